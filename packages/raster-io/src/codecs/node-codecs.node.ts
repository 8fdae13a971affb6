import type { Codec } from './codec.js';
import { jpegNodeCodec } from './jpeg-codec.node.js';
import { JPEG_COMPRESSION } from './jpeg-params.js';
import { createLercCodec } from './lerc.js';
import { LERC_COMPRESSION } from './lerc-params.js';
import { LZMA_COMPRESSION, lzmaCodec } from './lzma-codec.node.js';
import { lzwNodeCodec } from './lzw-codec.node.js';
import { webpCodec } from './webp-codec.node.js';
import { WEBP_COMPRESSION } from './webp-params.js';
import { zlibCodec } from './zlib-codec.node.js';
import { ZSTD_COMPRESSION, zstdCodec } from './zstd-codec.node.js';

/** LERC, LERC_DEFLATE and LERC_ZSTD with the native deflate and ZSTD codecs. */
export const lercNodeCodec: Codec = createLercCodec({ deflate: zlibCodec, zstd: zstdCodec });

/**
 * Codec overrides for Node: pass as `codecs` to `openGeoTiff` / `encodeGeoTiff` (the node helpers do). LZW through
 * libtiff where it decodes a block cleanly; deflate through libdeflate or node:zlib; ZSTD through libzstd or node:zlib's zstd; LZMA (read only) through liblzma; LERC (read only) unwrapped with those;
 * WEBP (read only) through libwebp; JPEG (read only) through libjpeg-turbo's TurboJPEG where it decodes a block cleanly.
 */
export const NODE_CODECS: Readonly<Record<number, Codec>> = {
  5: lzwNodeCodec,
  8: zlibCodec,
  32946: zlibCodec,
  [ZSTD_COMPRESSION]: zstdCodec,
  [LZMA_COMPRESSION]: lzmaCodec,
  [LERC_COMPRESSION]: lercNodeCodec,
  [WEBP_COMPRESSION]: webpCodec,
  [JPEG_COMPRESSION]: jpegNodeCodec,
};
