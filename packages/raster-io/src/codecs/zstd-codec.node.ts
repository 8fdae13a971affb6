import { constants as bufferConstants } from 'node:buffer';
import * as zlib from 'node:zlib';
import { RasterIoError } from '../errors.js';
import type { BlockInfo, Codec } from './codec.js';
import {
  firstFrameLength,
  frameWindowSize,
  isTruncatedFrame,
  loadLibzstd,
  MAX_STREAM_WINDOW,
} from './libzstd.node.js';

/** TIFF compression code of ZSTD (GDAL/libtiff's registration). */
export const ZSTD_COMPRESSION = 50000;

/** node:zlib's zstd, present from Node 22.15 / 23.8 on. */
type ZstdDecompressSync = (buf: Uint8Array, options: { maxOutputLength: number }) => Buffer;
type ZstdCompressSync = (buf: Uint8Array, options: { params: Record<number, number> }) => Buffer;
const nodeZlib = zlib as unknown as {
  zstdDecompressSync?: ZstdDecompressSync;
  zstdCompressSync?: ZstdCompressSync;
  constants: { ZSTD_c_compressionLevel?: number };
};
const nodeZstd = nodeZlib.zstdDecompressSync;

/** Which ZSTD implementation this thread decodes with, or null when there is none. */
export function zstdBackend(): string | null {
  const lib = loadLibzstd();
  if (lib) return `libzstd (${lib.library})`;
  return nodeZstd ? 'node:zlib' : null;
}

function tooLong(info: BlockInfo, cap: number, cause?: unknown): RasterIoError {
  return new RasterIoError('CORRUPT_BLOCK', `${info.file}: ZSTD block decodes to more than ${cap} bytes`, {
    cause,
  });
}

function corrupt(info: BlockInfo, detail: string, cause?: unknown): RasterIoError {
  return new RasterIoError('CORRUPT_BLOCK', `${info.file}: corrupt or truncated ZSTD block (${detail})`, {
    cause,
  });
}

function decodeWithNode(decompress: ZstdDecompressSync, block: Uint8Array, info: BlockInfo, cap: number) {
  try {
    const out = decompress(block, { maxOutputLength: Math.max(1, cap) });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLong(info, cap, err);
    throw corrupt(info, (err as Error).message, err);
  }
}

/**
 * Compression 50000 (ZSTD, as GDAL writes it) in Node: libzstd through koffi when it loads, else node:zlib's zstd
 * (Node ≥ 22.15). Decoding stops at the block's byte cap. With neither, reading or writing such a file fails with
 * `UNSUPPORTED_CODEC` saying what to install.
 */
export const zstdCodec: Codec = {
  name: 'zstd',
  decode(block, info) {
    const cap = info.maxBytes ?? info.expectedBytes;
    const lib = loadLibzstd();
    if (cap > bufferConstants.MAX_LENGTH)
      throw new RasterIoError(
        'TOO_LARGE',
        `${info.file}: a ZSTD block of ${cap} bytes is larger than a Node buffer`,
      );
    if (!lib && !nodeZstd) throw noBackend(info.file);
    // both backends decode one-shot, which would take what libtiff's streaming decoder refuses
    const window = frameWindowSize(block);
    if (window > MAX_STREAM_WINDOW)
      throw corrupt(info, `the frame declares a ${window}-byte window, over the 128 MiB libtiff decodes`);
    if (lib) {
      const into = info.reuse && info.into && info.into.byteLength >= cap ? info.into : undefined;
      const out = lib.decompress(block, cap, info.reuse, into);
      if (out === 'too-long') throw tooLong(info, cap);
      if (!(out instanceof Uint8Array)) throw corrupt(info, `libzstd: ${out.error}`);
      return out;
    }
    // node:zlib hands back what a cut frame decodes to without a word, where libzstd reports it
    if (isTruncatedFrame(block)) throw corrupt(info, 'the frame is cut short');
    // node:zlib decodes every frame; libtiff only the first
    return decodeWithNode(
      nodeZstd as ZstdDecompressSync,
      block.subarray(0, firstFrameLength(block)),
      info,
      cap,
    );
  },
  /** One ZSTD frame per block (libtiff reads only the first); the caller owns the result. */
  encode(block, level) {
    const lib = loadLibzstd();
    if (lib) return lib.compress(block, level);
    const compress = nodeZlib.zstdCompressSync;
    const levelParam = nodeZlib.constants.ZSTD_c_compressionLevel;
    if (!compress || levelParam === undefined) throw noBackend('ZSTD encode');
    const out = compress(block, { params: { [levelParam]: level } });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
};

function noBackend(file: string): RasterIoError {
  return new RasterIoError(
    'UNSUPPORTED_CODEC',
    `${file}: ZSTD (TIFF compression ${ZSTD_COMPRESSION}) needs libzstd (Debian/Ubuntu: libzstd1) with the optional koffi package, or Node ≥ 22.15`,
  );
}
