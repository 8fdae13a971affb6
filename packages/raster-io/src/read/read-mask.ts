// A level's internal transparency mask (GDAL's per-dataset mask, written with GDAL_TIFF_INTERNAL_MASK=YES or by
// the COG driver for JPEG/WEBP imagery with an alpha or nodata), read over the same window as the pixels.
import { RasterIoError } from '../errors.js';
import { checkOptions } from '../internal/check-args.js';
import type { GeoBlock, RasterWindow } from '../types.js';
import { windowGeo } from './geo-from-tags.js';
import { type GeoTiff, geoTiffInternals } from './open-geotiff.js';
import {
  DEFAULT_READ_RASTER,
  type FilledBlock,
  levelOf,
  type ReadRasterOptions,
  readLevel,
  resolveWindow,
} from './read-raster.js';

/** Options for {@link readMask}: those of `readRaster` that choose and read a window, and the band. */
export type ReadMaskOptions = Pick<
  ReadRasterOptions,
  | 'window'
  | 'bbox'
  | 'bboxCrs'
  | 'level'
  | 'signal'
  | 'onProgress'
  | 'mergeGapBytes'
  | 'concurrency'
  | 'limits'
  | 'onCorruptBlock'
  | 'threads'
> & {
  /**
   * The band (0-based) whose mask to read (default 0): a per-dataset mask is every band's; a `.msk` sidecar may
   * hold one mask per band (`level.mask.perBand`).
   */
  band?: number;
};

/** What {@link readMask} returns. */
export interface ReadMaskResult {
  width: number;
  height: number;
  /** One byte per pixel, as GDAL's mask band reads: 255 valid, 0 masked. */
  mask: Uint8Array;
  /** The window's georeferencing (as `readRaster` gives it). */
  geo?: GeoBlock;
  /** Mask blocks left masked (0) by `onCorruptBlock: 'fill'`. */
  filledBlocks?: FilledBlock[];
}

/**
 * Read the transparency mask of a level (`tiff.levels[i].mask`) over a window, as GDAL's `GetMaskBand()` reads it:
 * an internal 1-bit mask comes back as 0 (masked) / 255 (valid), a `.msk` sidecar's band as stored (GDAL writes
 * 0 / 255 there; `gdal_translate -mask <band>` copies that band's values).
 *
 * @param tiff - from `openGeoTiff` / `openGeoTiffFile`
 * @param options - window | bbox (+bboxCrs), level, band, signal, onProgress, limits, onCorruptBlock, threads
 * @returns the mask, or null when the level (or that band) has none (nodata values or an alpha band, which GDAL
 *   also turns into masks, are the pixels' own: read them with `readRaster`)
 * @throws RasterIoError as `readRaster` does; never another error type
 * @example
 * ```ts
 * const tiff = await openGeoTiff(bytes);
 * const m = await readMask(tiff, { window: { x: 0, y: 0, width: 256, height: 256 } });
 * if (m) console.log(m.mask.filter((v) => v === 0).length, 'masked pixels');
 * ```
 */
export async function readMask(tiff: GeoTiff, options: ReadMaskOptions = {}): Promise<ReadMaskResult | null> {
  try {
    return await readMaskUnguarded(tiff, options);
  } catch (err) {
    if (err instanceof RasterIoError) throw err;
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${tiff?.name ?? 'memory'}: unexpected failure reading the mask (${(err as Error)?.message ?? String(err)})`,
      { cause: err },
    );
  }
}

async function readMaskUnguarded(tiff: GeoTiff, options: ReadMaskOptions): Promise<ReadMaskResult | null> {
  const { band = 0, ...rest } = checkOptions('readMask', options);
  const opts = { ...DEFAULT_READ_RASTER, ...rest };
  const { level } = levelOf(tiff, opts.level);
  if (!Number.isInteger(band) || band < 0 || band >= level.bandCount) {
    throw new RasterIoError(
      'BAND_OUT_OF_RANGE',
      `${tiff.name}: readMask band ${String(band)} is out of range; the file has ${level.bandCount} band(s), 0-based indices 0..${level.bandCount - 1}`,
    );
  }
  const mask = geoTiffInternals(tiff).masks[opts.level];
  const maskBand = mask?.bands[band];
  if (!mask || !level.mask || maskBand === undefined) return null;
  const win: RasterWindow = resolveWindow(tiff, level, opts);
  const r = await readLevel(mask.file ?? tiff, mask.level, mask.image, win, { ...opts, bands: [maskBand] });
  const values = r.bands[0] as Uint8Array;
  if (!mask.raw) for (let i = 0; i < values.length; i++) values[i] = values[i] ? 255 : 0;
  const result: ReadMaskResult = { width: r.width, height: r.height, mask: values };
  if (level.geo) result.geo = windowGeo(level.geo, win.x, win.y);
  if (r.filledBlocks) result.filledBlocks = r.filledBlocks;
  return result;
}
