import { RasterIoError, UnsupportedCodecError } from '../errors.js';
import type { Codec, LoadCodec } from './codec.js';

// Built-ins are a lazy lookup table (no registration on import keeps "sideEffects": false true).
const BUILT_IN: Readonly<Record<number, LoadCodec>> = {
  1: async () => (await import('./raw.js')).rawCodec,
  2: async () => (await import('./ccitt.js')).ccittCodec,
  3: async () => (await import('./ccitt.js')).ccittCodec,
  4: async () => (await import('./ccitt.js')).ccittCodec,
  5: async () => (await import('./lzw.js')).lzwCodec,
  7: async () => (await import('./jpeg.js')).jpegCodec,
  8: async () => (await import('./deflate.js')).deflateCodec,
  32946: async () => (await import('./deflate.js')).deflateCodec,
  32773: async () => (await import('./packbits.js')).packBitsCodec,
  34887: async () => {
    const [{ createLercCodec }, { deflateCodec }] = await Promise.all([
      import('./lerc.js'),
      import('./deflate.js'),
    ]);
    return createLercCodec({ deflate: deflateCodec });
  },
};

const registered = new Map<number, LoadCodec>();

/**
 * Register a codec for a TIFF compression code (e.g. 50000 zstd) used by every later read.
 *
 * @param compression - TIFF Compression tag value
 * @param load - resolves to the codec (use a dynamic `import()` to keep it lazy)
 * @param options - `override: true` replaces an existing registration or a built-in
 * @throws RasterIoError `CODEC_ALREADY_REGISTERED` when the code is taken and `override` is not set
 * @example
 * ```ts
 * registerCodec(50000, async () => ({ name: 'zstd', decode: (b, info) => myZstd(b, info.expectedBytes) }));
 * ```
 */
export function registerCodec(
  compression: number,
  load: LoadCodec,
  options: { override?: boolean } = {},
): void {
  if (!Number.isInteger(compression) || compression < 1 || compression > 65535) {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `registerCodec: compression must be a TIFF code 1..65535, got ${compression}`,
    );
  }
  if ((registered.has(compression) || compression in BUILT_IN) && !options.override) {
    throw new RasterIoError(
      'CODEC_ALREADY_REGISTERED',
      `compression ${compression} already has a codec; pass { override: true } to replace it`,
    );
  }
  registered.set(compression, load);
}

/** Remove a codec added with {@link registerCodec} (built-ins come back). Returns whether one was removed. */
export function unregisterCodec(compression: number): boolean {
  return registered.delete(compression);
}

/** Whether a compression code can be decoded (built-in or registered). */
export function hasCodec(compression: number): boolean {
  return registered.has(compression) || compression in BUILT_IN;
}

/**
 * Resolve the codec for a compression code: per-call overrides, then registered, then built-in.
 * @throws UnsupportedCodecError when none exists
 */
export async function getCodec(
  compression: number,
  file?: string,
  overrides?: Readonly<Record<number, Codec>>,
): Promise<Codec> {
  const direct = overrides?.[compression];
  if (direct) return direct;
  const load = registered.get(compression) ?? BUILT_IN[compression];
  if (!load) throw new UnsupportedCodecError(compression, file);
  return load();
}
