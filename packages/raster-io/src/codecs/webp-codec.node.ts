import { RasterIoError } from '../errors.js';
import type { BlockInfo, Codec } from './codec.js';
import { loadLibwebp } from './libwebp.node.js';
import { WEBP_COMPRESSION } from './webp-params.js';

/** Which WebP decoder this thread uses (libwebp's soname and version), or null when there is none. */
export function webpBackend(): string | null {
  return loadLibwebp()?.library ?? null;
}

function corrupt(info: BlockInfo, detail: string): RasterIoError {
  return new RasterIoError('CORRUPT_BLOCK', `${info.file}: corrupt WEBP block (${detail})`);
}

/**
 * Compression 50001 (WEBP, as GDAL writes it: 8-bit RGB or RGBA, pixel-interleaved), read only, in Node through
 * the system's libwebp (GDAL's decoder, so the same pixels). As libtiff does, each block must hold one still image
 * of exactly the tile's size (the image width × the strip's rows for strips), with alpha only when the block has
 * four samples (a block of four samples without alpha decodes with alpha 255).
 */
export const webpCodec: Codec = {
  name: 'webp',
  decode(block, info) {
    const params = info.webp;
    if (!params) throw new RasterIoError('INVALID_ARGUMENT', `${info.file}: WEBP block without its geometry`);
    const lib = loadLibwebp();
    if (!lib) throw noBackend(info.file);
    const { width, height, samples } = params;
    const f = lib.features(block);
    if (typeof f === 'number') throw corrupt(info, `not a WebP image libwebp can read: status ${f}`);
    if (f.hasAnimation) throw corrupt(info, 'an animated WebP');
    if (f.width !== width || f.height !== height)
      throw corrupt(info, `a ${f.width}×${f.height} image where the block is ${width}×${height}`);
    if (f.hasAlpha && samples === 3) throw corrupt(info, 'an image with alpha in a 3-sample block');
    const bytes = width * height * samples;
    if (bytes !== info.expectedBytes)
      throw corrupt(info, `${bytes} bytes of pixels where the block holds ${info.expectedBytes}`);
    const out = lib.decode(block, width, height, samples, info.reuse, info.reuse ? info.into : undefined);
    if (!out) throw corrupt(info, 'libwebp could not decode it (truncated or damaged)');
    return out;
  },
};

function noBackend(file: string): RasterIoError {
  return new RasterIoError(
    'UNSUPPORTED_CODEC',
    `${file}: WEBP (TIFF compression ${WEBP_COMPRESSION}) needs Node with libwebp (Debian/Ubuntu: libwebp7, installed with GDAL) and the optional koffi package`,
  );
}
