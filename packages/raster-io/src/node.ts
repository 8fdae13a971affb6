// Node-only entry of @worldstrat/raster-io (the only place node:* modules are imported).

export { jpegBackend, jpegNodeCodec } from './codecs/jpeg-codec.node.js';
export { lzmaBackend, lzmaCodec } from './codecs/lzma-codec.node.js';
export { lzwBackend, lzwNodeCodec } from './codecs/lzw-codec.node.js';
export { NODE_CODECS } from './codecs/node-codecs.node.js';
export { webpBackend, webpCodec } from './codecs/webp-codec.node.js';
export { deflateBackend, zlibCodec } from './codecs/zlib-codec.node.js';
export { zstdBackend, zstdCodec } from './codecs/zstd-codec.node.js';
export * from './index.js';
export { nodeBlockDecoder } from './read/decode-pool.node.js';
export { openGeoTiffFile, readGeoTiffFile } from './read/read-geotiff-file.node.js';
export { readSafetensorsFile, writeSafetensorsFile } from './safetensors/safetensors-file.node.js';
export type { FileByteSource, FileSourceOptions } from './source/file-source.node.js';
export { fileSource } from './source/file-source.node.js';
export type { CogWriter, CogWriterOptions } from './write/cog-writer.node.js';
export { createCogWriter } from './write/cog-writer.node.js';
export { writeFileAtomic } from './write/write-file-atomic.node.js';
export { type WriteGeoTiffOptions, writeGeoTiff } from './write/write-geotiff.node.js';
