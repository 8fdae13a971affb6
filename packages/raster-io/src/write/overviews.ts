import { DTYPE_ARRAY } from '../internal/typed-array.js';
import type { DType, RasterArray } from '../types.js';

/** How overview pixels are computed from the full-resolution image. */
export type OverviewResampling = 'average' | 'nearest';

/** Size of an overview for a decimation factor (GDAL: ceil(size / factor)). */
export function overviewSize(width: number, height: number, factor: number): [number, number] {
  return [Math.ceil(width / factor), Math.ceil(height / factor)];
}

const INTEGER: ReadonlySet<DType> = new Set(['uint8', 'uint16', 'int16', 'uint32', 'int32']);

/**
 * Decimate one band. `average` averages the source pixels of each output pixel's footprint (ignoring
 * `noData`; rounded for integer dtypes); `nearest` takes the source pixel under the output pixel's centre.
 */
export function decimateBand(
  src: RasterArray,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  dtype: DType,
  method: OverviewResampling,
  noData: number | null | undefined,
): RasterArray {
  const out = new DTYPE_ARRAY[dtype](outWidth * outHeight);
  const rx = width / outWidth;
  const ry = height / outHeight;
  if (method === 'nearest') {
    const xs = new Int32Array(outWidth);
    for (let x = 0; x < outWidth; x++) xs[x] = Math.min(width - 1, Math.floor((x + 0.5) * rx));
    for (let y = 0; y < outHeight; y++) {
      const sy = Math.min(height - 1, Math.floor((y + 0.5) * ry));
      const srow = sy * width;
      const orow = y * outWidth;
      for (let x = 0; x < outWidth; x++) out[orow + x] = src[srow + (xs[x] as number)] as number;
    }
    return out;
  }
  const hasNoData = noData !== null && noData !== undefined;
  const nanNoData = hasNoData && Number.isNaN(noData);
  const round = INTEGER.has(dtype);
  for (let y = 0; y < outHeight; y++) {
    const y0 = Math.floor(y * ry);
    const y1 = Math.max(y0 + 1, Math.min(height, Math.floor((y + 1) * ry)));
    for (let x = 0; x < outWidth; x++) {
      const x0 = Math.floor(x * rx);
      const x1 = Math.max(x0 + 1, Math.min(width, Math.floor((x + 1) * rx)));
      let sum = 0;
      let n = 0;
      for (let yy = y0; yy < y1; yy++) {
        const row = yy * width;
        for (let xx = x0; xx < x1; xx++) {
          const v = src[row + xx] as number;
          if (hasNoData && (nanNoData ? Number.isNaN(v) : v === noData)) continue;
          if (Number.isNaN(v)) continue;
          sum += v;
          n++;
        }
      }
      out[y * outWidth + x] = n === 0 ? (hasNoData ? (noData as number) : Number.NaN) : round ? Math.round(sum / n) : sum / n;
    }
  }
  return out;
}
