import { constants as bufferConstants } from 'node:buffer';
import { RasterIoError } from '../errors.js';
import type { Codec } from './codec.js';
import { loadLiblzma } from './liblzma.node.js';

/** TIFF compression code of LZMA (libtiff's LZMA2 in .xz streams, as GDAL writes it). */
export const LZMA_COMPRESSION = 34925;

/**
 * Decoder memory one block may use. GDAL's presets need at most 65 MiB (preset 9's 64 MiB dictionary); a stream
 * declaring more is refused rather than allocated.
 */
const LZMA_MEMLIMIT = 256 * 1024 * 1024;

/** Which LZMA implementation this thread decodes with, or null when there is none. */
export function lzmaBackend(): string | null {
  const lib = loadLiblzma();
  return lib ? `liblzma (${lib.library})` : null;
}

/**
 * Compression 34925 (LZMA, read only) in Node: the system liblzma through koffi. Decoding stops at the block's byte
 * cap and at {@link LZMA_MEMLIMIT} of decoder memory; corrupt, cut or overlong streams are `CORRUPT_BLOCK`. Without
 * liblzma, reading such a file fails with `UNSUPPORTED_CODEC` saying what to install.
 */
export const lzmaCodec: Codec = {
  name: 'lzma',
  decode(block, info) {
    const cap = info.maxBytes ?? info.expectedBytes;
    const lib = loadLiblzma();
    if (!lib)
      throw new RasterIoError(
        'UNSUPPORTED_CODEC',
        `${info.file}: LZMA (TIFF compression ${LZMA_COMPRESSION}) needs liblzma (Debian/Ubuntu: liblzma5) with the optional koffi package`,
      );
    if (cap > bufferConstants.MAX_LENGTH)
      throw new RasterIoError(
        'TOO_LARGE',
        `${info.file}: an LZMA block of ${cap} bytes is larger than a Node buffer`,
      );
    const out = lib.decode(block, cap, LZMA_MEMLIMIT, info.reuse);
    if (!(out instanceof Uint8Array))
      throw new RasterIoError('CORRUPT_BLOCK', `${info.file}: bad LZMA block (liblzma: ${out.error})`);
    return out;
  },
};
