// The pixel a point falls in, with the floating-point steps of the tools it must agree with: a point written
// with a few decimals often lies exactly on a pixel edge (every one-decimal longitude on the LCCS 1/360° grid),
// where (x − originX) / pixelWidth and the inverse geotransform round to different sides.
import type { GeoTransform } from '@worldstrat/raster-io';

/** Maps a point in the raster's CRS to its (column, row); both may lie outside the raster. */
export type PixelIndex = (x: number, y: number) => [col: number, row: number];

/**
 * GDAL's pixel of a point (gdallocationinfo, GDALRasterBand reads at a location): the north-up inverse of
 * GDALInvGeoTransform, `inv = [−x0/w, 1/w, 0, −y0/h, 0, 1/h]`, evaluated as `inv0 + inv1·x + inv2·y`, then floor.
 * @param transform a north-up geotransform (no rotation terms).
 */
export function gdalPixelIndex(transform: GeoTransform): PixelIndex {
  const [x0, w, , y0, , h] = transform;
  const inv = [-x0 / w, 1 / w, 0, -y0 / h, 0, 1 / h] as const;
  return (x, y) => [
    Math.floor(inv[0] + inv[1] * x + inv[2] * y),
    Math.floor(inv[3] + inv[4] * x + inv[5] * y),
  ];
}

/** Python's `sys.float_info.epsilon`. */
const DBL_EPSILON = 2 ** -52;

/**
 * Upstream's pixel: rasterio 1.2's `index(x, y, op=math.ceil)`. rasterio inverts the `affine` matrix
 * (`idet = 1/(a·e − b·d)`, `ra = e·idet`, `rb = −b·idet`, `rd = −d·idet`, `re = a·idet`, `c' = −c·ra − f·rb`,
 * `f' = −c·rd − f·re`), moves the point by −ε (ε = 2^−52; the sign flips because `op` rounds up) and applies
 * `ceil` to `(x·ra + y·rb + c', x·rd + y·re + f')`.
 * @param transform a north-up geotransform (GDAL order, as rasterio's `Affine.from_gdal` reads it).
 */
export function rasterioCeilPixelIndex(transform: GeoTransform): PixelIndex {
  const [c, a, b, f, d, e] = transform;
  const idet = 1 / (a * e - b * d);
  const ra = e * idet;
  const rb = -b * idet;
  const rd = -d * idet;
  const re = a * idet;
  const rc = -c * ra - f * rb;
  const rf = -c * rd - f * re;
  const eps = -DBL_EPSILON;
  return (x, y) => {
    const vx = x + eps;
    const vy = y + eps;
    return [Math.ceil(vx * ra + vy * rb + rc), Math.ceil(vx * rd + vy * re + rf)];
  };
}
