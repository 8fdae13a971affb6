// The 10 m output grid of a revisit, as upstream's SentinelHub requests define it: EPSG:4326 over the
// AOI bounds, W × H = round(|ΔE| / 10) × round(|ΔN| / 10) with ΔE, ΔN between the bbox's lower-left and
// upper-right corners projected into the UTM zone of the bbox centre.

import { describeValue } from '@worldstrat/core';
import type { BBox, TargetGrid } from '@worldstrat/raster-io';
import { transformCoords, utmEpsgForLonLat } from '@worldstrat/raster-io';
import { EoFetchError } from '../errors.js';
import { checkOptions } from '../internal/check-arguments.js';

/** Default largest side of an AOI raster in pixels (100 km at 10 m; WorldStrat AOIs are ≈ 158 px). */
export const DEFAULT_MAX_AOI_SIDE_PX = 10_000;

/** Options of {@link aoiPixelSize} and {@link aoiGrid}. */
export interface AoiSizeOptions {
  /** Largest width or height in pixels (default {@link DEFAULT_MAX_AOI_SIDE_PX}); beyond: `AOI_TOO_LARGE`. */
  maxSidePx?: number;
}

/**
 * Output size in pixels of a bbox at a ground resolution (upstream's `bbox_to_dimensions`).
 *
 * @param bounds - `[minLon, minLat, maxLon, maxLat]`
 * @param resolutionM - metres per pixel (default 10)
 * @param options - `maxSidePx`
 * @returns `[width, height]` (≈ 158 × 158 for a 2.5 km² AOI)
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` for non-finite or inverted bounds or resolution,
 *   `AOI_TOO_LARGE` when a side exceeds `maxSidePx`
 */
export function aoiPixelSize(bounds: BBox, resolutionM = 10, options: AoiSizeOptions = {}): [number, number] {
  checkOptions('aoiPixelSize', options);
  // values are described, never interpolated or JSON-encoded: a Symbol, a BigInt or a cyclic object would throw
  // a TypeError while the message is built
  const max = options.maxSidePx ?? DEFAULT_MAX_AOI_SIDE_PX;
  if (!(Number.isInteger(max) && (max as number) > 0))
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `maxSidePx must be a positive integer, got ${describeValue(max)}`,
    );
  if (!(typeof resolutionM === 'number' && Number.isFinite(resolutionM) && resolutionM > 0))
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `resolution ${describeValue(resolutionM)} m must be a positive number`,
    );
  if (
    !Array.isArray(bounds) ||
    bounds.length !== 4 ||
    bounds.some((x) => typeof x !== 'number' || !Number.isFinite(x))
  )
    throw new EoFetchError('INVALID_ARGUMENT', `bounds ${describeValue(bounds)} must be 4 finite numbers`);
  const [w, s, e, n] = bounds;
  if (w < -180 || e > 180 || s < -90 || n > 90)
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `bounds ${JSON.stringify(bounds)} are outside lon [-180, 180] / lat [-90, 90]`,
    );
  if (!(w < e && s < n))
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `bounds ${JSON.stringify(bounds)} must have min < max (antimeridian boxes: split them first)`,
    );
  const epsg = utmEpsgForLonLat((w + e) / 2, (s + n) / 2);
  const [[x0, y0], [x1, y1]] = transformCoords(4326, epsg, [
    [w, s],
    [e, n],
  ]);
  const size: [number, number] = [
    Math.max(1, Math.round(Math.abs(x1 - x0) / resolutionM)),
    Math.max(1, Math.round(Math.abs(y1 - y0) / resolutionM)),
  ];
  // far outside its UTM zone the projection degenerates (one side collapses, the other explodes)
  if (!size.every(Number.isFinite) || size[0] > max || size[1] > max)
    throw new EoFetchError(
      'AOI_TOO_LARGE',
      `AOI ${JSON.stringify(bounds)} would be ${size[0]} × ${size[1]} px at ${resolutionM} m (limit ${max} px a side); split it or raise maxSidePx`,
    );
  return size;
}

/**
 * The EPSG:4326 grid over an AOI with ≈ `resolutionM` pixels (the release's LR grid).
 *
 * @param bounds - AOI bounds
 * @param resolutionM - metres per pixel (default 10)
 * @param options - `maxSidePx`
 * @returns a target grid for raster-io's `warpRaster`
 * @example
 * ```ts
 * const grid = aoiGrid(aoi.bounds); // { epsg: 4326, width: 158, height: 158, transform: [...] }
 * ```
 */
export function aoiGrid(bounds: BBox, resolutionM = 10, options: AoiSizeOptions = {}): TargetGrid {
  const [width, height] = aoiPixelSize(bounds, resolutionM, options);
  const [w, s, e, n] = bounds;
  return { epsg: 4326, width, height, transform: [w, (e - w) / width, 0, n, 0, -(n - s) / height] };
}
