import { DTYPE_ARRAY } from '../internal/typed-array.js';
import type { DType, RasterArray } from '../types.js';

/** How overview pixels are computed from the full-resolution image. */
export type OverviewResampling = 'average' | 'nearest';

/** Size of an overview for a decimation factor (GDAL: ceil(size / factor)). */
export function overviewSize(width: number, height: number, factor: number): [number, number] {
  return [Math.ceil(width / factor), Math.ceil(height / factor)];
}

const INTEGER: ReadonlySet<DType> = new Set(['uint8', 'uint16', 'int16', 'uint32', 'int32']);

/** Source pixels and weights (overlap lengths) of each output pixel along one axis. */
function footprints(size: number, outSize: number): { start: Int32Array; weights: Float64Array[] } {
  const r = size / outSize;
  const start = new Int32Array(outSize);
  const weights: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const a = o * r;
    const b = Math.min(size, (o + 1) * r);
    const first = Math.floor(a);
    const last = Math.min(size - 1, Math.ceil(b) - 1);
    const w = new Float64Array(last - first + 1);
    for (let p = first; p <= last; p++) w[p - first] = Math.min(p + 1, b) - Math.max(p, a);
    start[o] = first;
    weights.push(w);
  }
  return { start, weights };
}

/**
 * Decimate one band the way GDAL's overview code does (gdaladdo / COG driver):
 * `nearest` takes source pixel round(o × ratio); `average` is the area-weighted mean of the source
 * pixels the output pixel covers (GDAL ≥ 3.1 weights partial pixels when the ratio is not an integer),
 * ignoring `noData` and NaN, rounded half away from zero for integer dtypes. Like gdaladdo, callers build
 * each overview from the previous (larger) one.
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
    for (let x = 0; x < outWidth; x++) xs[x] = Math.min(width - 1, Math.floor(0.5 + x * rx));
    for (let y = 0; y < outHeight; y++) {
      const sy = Math.min(height - 1, Math.floor(0.5 + y * ry));
      const srow = sy * width;
      const orow = y * outWidth;
      for (let x = 0; x < outWidth; x++) out[orow + x] = src[srow + (xs[x] as number)] as number;
    }
    return out;
  }
  const hasNoData = noData !== null && noData !== undefined;
  const round = INTEGER.has(dtype);
  const fx = footprints(width, outWidth);
  const fy = footprints(height, outHeight);
  for (let y = 0; y < outHeight; y++) {
    const y0 = fy.start[y] as number;
    const wy = fy.weights[y] as Float64Array;
    for (let x = 0; x < outWidth; x++) {
      const x0 = fx.start[x] as number;
      const wx = fx.weights[x] as Float64Array;
      let sum = 0;
      let wsum = 0;
      for (let j = 0; j < wy.length; j++) {
        const row = (y0 + j) * width + x0;
        const wj = wy[j] as number;
        for (let i = 0; i < wx.length; i++) {
          const v = src[row + i] as number;
          if ((hasNoData && v === noData) || Number.isNaN(v)) continue;
          const w = wj * (wx[i] as number);
          sum += v * w;
          wsum += w;
        }
      }
      out[y * outWidth + x] =
        wsum === 0
          ? hasNoData
            ? (noData as number)
            : Number.NaN
          : round
            ? roundHalfAway(sum / wsum)
            : sum / wsum;
    }
  }
  return out;
}

function roundHalfAway(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}
