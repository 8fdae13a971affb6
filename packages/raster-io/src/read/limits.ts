// Bounds on what a file's header may make the reader allocate or walk (hostile files declare anything).
import { RasterIoError } from '../errors.js';

/** Limits checked against header-declared sizes before anything is allocated. */
export interface RasterIoLimits {
  /** Samples one read may return: width × height × bands of the window (default 2^31). */
  maxPixels: number;
  /** Decoded bytes of one tile or strip, and stored bytes of one block (default 2 GiB). */
  maxBlockBytes: number;
  /** Decoded bytes of all the blocks one read touches (default 8 GiB). */
  maxDecodedBytes: number;
  /** Tiles/strips one read may touch (default 2^22). */
  maxBlocks: number;
  /** IFDs (pages, overviews, masks) one file may chain (default 1024). */
  maxIfds: number;
  /**
   * Bytes of one tag's value array, e.g. TileOffsets, and of the values of the tags read whole at open (GeoKeys,
   * tiepoints, JPEG tables, ...) summed over all directories (default 256 MiB).
   */
  maxTagBytes: number;
}

/**
 * Defaults: admit a whole 10980×10980×13 uint16 Sentinel-2 tile (1.57 G samples, 3.1 GB) or a SPOT 6/7
 * panchromatic scene in one read, and refuse the 46341² / 100000² headers of hostile files.
 */
export const DEFAULT_RASTER_IO_LIMITS: Readonly<RasterIoLimits> = Object.freeze({
  maxPixels: 2 ** 31,
  maxBlockBytes: 2 ** 31,
  maxDecodedBytes: 8 * 2 ** 30,
  maxBlocks: 2 ** 22,
  maxIfds: 1024,
  maxTagBytes: 256 * 2 ** 20,
});

/** Merge limit overrides over the defaults, rejecting values that are not positive numbers. */
export function resolveLimits(
  name: string,
  ...layers: (Partial<RasterIoLimits> | undefined)[]
): RasterIoLimits {
  const out: RasterIoLimits = { ...DEFAULT_RASTER_IO_LIMITS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if (!(k in DEFAULT_RASTER_IO_LIMITS)) {
        throw new RasterIoError(
          'INVALID_ARGUMENT',
          `${name}: unknown limit "${k}"; known: ${Object.keys(DEFAULT_RASTER_IO_LIMITS).join(', ')}`,
        );
      }
      if (typeof v !== 'number' || !(v > 0)) {
        throw new RasterIoError(
          'INVALID_ARGUMENT',
          `${name}: limits.${k} must be a positive number, got ${v}`,
        );
      }
      out[k as keyof RasterIoLimits] = v;
    }
  }
  return out;
}

/** Throw `TOO_LARGE` when `value` exceeds `limits[key]`. */
export function checkLimit(
  limits: RasterIoLimits,
  key: keyof RasterIoLimits,
  value: number,
  name: string,
  what: string,
): void {
  if (!(value <= limits[key])) {
    throw new RasterIoError(
      'TOO_LARGE',
      `${name}: ${what} is ${value}, over limits.${key} = ${limits[key]}; raise it with { limits: { ${key}: ... } } if the file is genuine`,
    );
  }
}
