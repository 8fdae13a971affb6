// The 10 m output grid of a revisit, as upstream's SentinelHub requests define it (spec §12): EPSG:4326 over the
// AOI bounds, W × H = round(|ΔE| / 10) × round(|ΔN| / 10) with ΔE, ΔN between the bbox's lower-left and
// upper-right corners projected into the UTM zone of the bbox centre.
import type { BBox, TargetGrid } from '@worldstrat/raster-io';
import { transformCoords, utmEpsgForLonLat } from '@worldstrat/raster-io';
import { EoFetchError } from '../errors.js';

/**
 * Output size in pixels of a bbox at a ground resolution (upstream's `bbox_to_dimensions`).
 *
 * @param bounds - `[minLon, minLat, maxLon, maxLat]`
 * @param resolutionM - metres per pixel (default 10)
 * @returns `[width, height]` (≈ 158 × 158 for a 2.5 km² AOI)
 */
export function aoiPixelSize(bounds: BBox, resolutionM = 10): [number, number] {
  const [w, s, e, n] = bounds;
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
  return [
    Math.max(1, Math.round(Math.abs(x1 - x0) / resolutionM)),
    Math.max(1, Math.round(Math.abs(y1 - y0) / resolutionM)),
  ];
}

/**
 * The EPSG:4326 grid over an AOI with ≈ `resolutionM` pixels (the release's LR grid).
 *
 * @param bounds - AOI bounds
 * @param resolutionM - metres per pixel (default 10)
 * @returns a target grid for raster-io's `warpRaster`
 * @example
 * ```ts
 * const grid = aoiGrid(aoi.bounds); // { epsg: 4326, width: 158, height: 158, transform: [...] }
 * ```
 */
export function aoiGrid(bounds: BBox, resolutionM = 10): TargetGrid {
  const [width, height] = aoiPixelSize(bounds, resolutionM);
  const [w, s, e, n] = bounds;
  return { epsg: 4326, width, height, transform: [w, (e - w) / width, 0, n, 0, -(n - s) / height] };
}
