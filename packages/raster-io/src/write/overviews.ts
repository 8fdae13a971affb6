import { DTYPE_ARRAY } from '../internal/typed-array.js';
import type { DType, RasterArray } from '../types.js';

/** How overview pixels are computed from the full-resolution image. */
export type OverviewResampling = 'average' | 'nearest';

/** Size of an overview for a decimation factor (GDAL: ceil(size / factor)). */
export function overviewSize(width: number, height: number, factor: number): [number, number] {
  return [Math.ceil(width / factor), Math.ceil(height / factor)];
}

/** One overview level as gdaladdo builds it. */
export interface OverviewLevel {
  width: number;
  height: number;
  /** The level its pixels are decimated from: 0 = full resolution, k = the k-th overview (1-based). */
  source: number;
}

/**
 * The overviews gdaladdo (GDAL 3.6) builds for `factors` on a GeoTIFF of the same layout, largest first, and the
 * level each one is computed from. `separate`: several bands stored band by band (PlanarConfiguration 2).
 */
export function overviewLevels(
  width: number,
  height: number,
  factors: readonly number[],
  method: OverviewResampling,
  separate: boolean,
): OverviewLevel[] {
  const levels: OverviewLevel[] = [];
  const made: number[] = [];
  let onePixel = false;
  for (const f of factors) {
    const [w, h] = overviewSize(width, height, f);
    // GTiff's IBuildOverviews: no second 1 × 1 level, and no level for a factor an existing one already "has".
    if (onePixel && w === 1 && h === 1) continue;
    if (w === 1 && h === 1) onePixel = true;
    const adjusted = adjustedFactor(f, width, height);
    if (made.some((m) => m === f || m === adjusted)) continue;
    made.push(levelFactor(w, h, width, height));
    levels.push({ width: w, height: h, source: sourceLevel(levels, w, method, separate) });
  }
  return levels;
}

/**
 * Where the next level's pixels come from. Band-by-band files go through GDALRegenerateOverviews: 'average'
 * cascades from the previous level, 'nearest' samples full resolution. Single-band and pixel-interleaved files go
 * through GDALRegenerateOverviewsMultiBand, which uses the previous level only when it is wider than this one
 * (a 1-pixel-wide level is followed by one from full resolution; the height does not matter).
 */
function sourceLevel(
  levels: readonly OverviewLevel[],
  width: number,
  method: OverviewResampling,
  separate: boolean,
): number {
  if (separate) return method === 'average' ? levels.length : 0;
  const prev = levels[levels.length - 1];
  return prev && prev.width > width ? levels.length : 0;
}

/** GDALComputeOvFactor: a level's factor, measured along x unless the raster is over twice as high as wide. */
function levelFactor(w: number, h: number, width: number, height: number): number {
  return width >= Math.floor(height / 2) ? Math.floor(0.5 + width / w) : Math.floor(0.5 + height / h);
}

/** GDALOvLevelAdjust2: the factor the level made for `f` reports. */
function adjustedFactor(f: number, width: number, height: number): number {
  const alongX = width >= Math.floor(height / 2) && !(width < height && width < f);
  const size = alongX ? width : height;
  return Math.floor(0.5 + size / Math.ceil(size / f));
}

/**
 * Decimate one band the way gdaladdo (GDAL 3.6) does; callers build each overview from the previous one.
 * `nearest` takes source pixel round(o × ratio). `average` follows GDAL's resampler step by step so that
 * the pixels are identical (see the package README for the rules).
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
  into?: RasterArray,
): RasterArray {
  const out = into ?? new DTYPE_ARRAY[dtype](outWidth * outHeight);
  // uint8/uint16/int16 nearest and uint8/uint16/float32 averages are computed in the band's own type, straight
  // into it (no work copy: on hosts with costly page faults, fresh work arrays per level and band were a third
  // of a COG write's calling thread).
  const direct = workIsInteger(dtype) || dtype === 'float32';
  if (method === 'nearest') {
    if (direct || dtype === 'int16') nearestGdal(src, width, height, outWidth, outHeight, dtype, out);
    else storeWork(nearestGdal(src, width, height, outWidth, outHeight, dtype), out, dtype);
  } else if (direct) averageGdal(src, width, height, outWidth, outHeight, dtype, noData, out);
  else storeWork(averageGdal(src, width, height, outWidth, outHeight, dtype, noData), out, dtype);
  return out;
}

/** Nearest source pixels; GDAL 3.6 passes 32-bit integers and float64 through float32 here too. */
function nearestGdal(
  src: RasterArray,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  dtype: DType,
  into?: RasterArray,
): RasterArray {
  const out =
    into ??
    (workIsInteger(dtype) || dtype === 'int16'
      ? new DTYPE_ARRAY[dtype](outWidth * outHeight)
      : new Float32Array(outWidth * outHeight));
  const rx = width / outWidth;
  const ry = height / outHeight;
  const xs = new Int32Array(outWidth);
  for (let x = 0; x < outWidth; x++) xs[x] = Math.min(width - 1, Math.floor(0.5 + x * rx));
  for (let y = 0; y < outHeight; y++) {
    const srow = Math.min(height - 1, Math.floor(0.5 + y * ry)) * width;
    const orow = y * outWidth;
    for (let x = 0; x < outWidth; x++) out[orow + x] = src[srow + (xs[x] as number)] as number;
  }
  return out;
}

/** One output pixel's source run along an axis, with GDAL's edge weights. */
interface Span {
  start: number;
  end: number; // exclusive
  first: number; // weight of `start`
  last: number; // weight of `end - 1` (when end - start > 1)
  total: number;
}

function spans(size: number, outSize: number): Span[] {
  const ratio = size / outSize;
  const out: Span[] = [];
  for (let o = 0; o < outSize; o++) {
    const a = o * ratio;
    const b = (o + 1) * ratio;
    const start = Math.trunc(a + 1e-8);
    let end = Math.ceil(b - 1e-8);
    if (end === start) end++;
    if (end > size) end = size;
    const first = end === start + 1 ? 1 : 1 - (a - start);
    const last = 1 - (end - b);
    const total = start + 1 < end ? first + (end - start - 2) + last : first;
    out.push({ start, end, first, last, total });
  }
  return out;
}

/** GDAL computes averages of uint8/uint16 in their own type, of every other type in float32. */
function workIsInteger(dtype: DType): boolean {
  return dtype === 'uint8' || dtype === 'uint16';
}

/** Values as GDAL's resampler sees them: float32 for the float32 work type. */
function toWork(src: RasterArray, dtype: DType): RasterArray {
  return workIsInteger(dtype) || dtype === 'float32' ? src : Float32Array.from(src as ArrayLike<number>);
}

const INT_RANGE = {
  uint8: [0, 255],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
} as const;

/**
 * GDAL's nodata mask: true = valid. NaN nodata masks NaN; float nodata compares within 2 float ulps; an integer
 * band's nodata is truncated to the type when in its range (else nothing is masked).
 */
function validMask(src: RasterArray, dtype: DType, noData: number): Uint8Array {
  const mask = new Uint8Array(src.length);
  if (Number.isNaN(noData)) {
    for (let i = 0; i < src.length; i++) mask[i] = Number.isNaN(src[i] as number) ? 0 : 1;
    return mask;
  }
  if (!dtype.startsWith('float')) {
    const [lo, hi] = INT_RANGE[dtype as keyof typeof INT_RANGE];
    if (!(noData >= lo && noData <= hi)) return mask.fill(1); // out of range: nothing is nodata
    // GDAL's nodata mask casts an in-range value to the type (C truncation): 0.5 on uint8 masks the 0s
    const nd = Math.trunc(noData);
    for (let i = 0; i < src.length; i++) mask[i] = src[i] === nd ? 0 : 1;
    return mask;
  }
  const nd = dtype === 'float32' ? Math.fround(noData) : noData;
  const eps = dtype === 'float32' ? 2 ** -23 : 2 ** -52;
  for (let i = 0; i < src.length; i++) {
    const v = src[i] as number;
    mask[i] = v === nd || Math.abs(v - nd) < eps * Math.abs(v + nd) * 2 ? 0 : 1;
  }
  return mask;
}

/** GDAL's replacement for an average that lands on the nodata value (in float32, like GDAL). */
function replacementValue(dtype: DType, noData: number): number {
  const f = Math.fround(noData);
  switch (dtype) {
    case 'uint8':
      return f === 255 ? 254 : f + 1;
    case 'uint16':
      return f === 65535 ? 65534 : f + 1;
    case 'int16':
      return f === 32767 ? 32766 : f + 1;
    case 'uint32':
    case 'int32': {
      // GDAL steps a double by ±1 until its float32 differs: that is f + 1, else f's float32 neighbour in the
      // step's direction (a loop of 2^k steps past 2^33, and endless for ±Infinity, which masks nothing anyway)
      const top = dtype === 'uint32' ? 4294967295 - 128 : 2147483647 - 64;
      const r = Math.fround(f + 1);
      if (r !== f || !Number.isFinite(f)) return r;
      return float32Neighbour(f, r >= top ? -1 : 1);
    }
    default:
      return f === 0 ? 2 ** -126 : Math.fround(f + 1e-7 * f);
  }
}

/** The float32 next to finite, non-zero float32 `f` towards +∞ (`direction` 1) or −∞ (−1). */
function float32Neighbour(f: number, direction: 1 | -1): number {
  const value = Float32Array.of(f);
  const bits = new Int32Array(value.buffer);
  // the magnitude's bit pattern grows with the magnitude: away from zero is one more, towards it one less
  bits[0] = (bits[0] as number) + (f > 0 === direction > 0 ? 1 : -1);
  return value[0] as number;
}

/** GDAL's nodata handling for one band: validity mask, nodata and its replacement in the work type. */
interface NoDataRule {
  mask: Uint8Array;
  value: number;
  replacement: number;
}

/**
 * The average overview in GDAL's work type (uint8/uint16 or float32 values), into `into` when given (an array
 * that holds those values exactly: the band itself for uint8, uint16 and float32).
 */
function averageGdal(
  srcIn: RasterArray,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  dtype: DType,
  noData: number | null | undefined,
  into?: RasterArray,
): RasterArray {
  const src = toWork(srcIn, dtype);
  const intWork = workIsInteger(dtype);
  const out =
    into ?? (intWork ? new Float64Array(outWidth * outHeight) : new Float32Array(outWidth * outHeight));
  const nd: NoDataRule | undefined =
    noData === null || noData === undefined
      ? undefined
      : {
          mask: validMask(srcIn, dtype, noData),
          value: workValue(noData, dtype),
          replacement: replacementValue(dtype, noData),
        };
  const xs = spans(width, outWidth);
  const ys = spans(height, outHeight);
  const spacingTwo = xs.every(
    (s, i) => s.end - s.start === 2 && (i === 0 || (xs[i - 1] as Span).end === s.start),
  );
  const cols = nd ? undefined : columnSpans(xs);
  for (let y = 0; y < outHeight; y++) {
    const sy = ys[y] as Span;
    // GDAL's factor-2 shortcut (no nodata, 2×2 footprint): the plain mean, edge weights ignored.
    if (spacingTwo && sy.end === sy.start + 2 && !nd)
      shortcutRow(src, width, sy.start, xs, intWork, out, y * outWidth);
    else if (cols) weightedRow(src, width, cols, sy, intWork, out, y * outWidth);
    else
      for (let x = 0; x < outWidth; x++)
        out[y * outWidth + x] = weightedPixel(src, width, xs[x] as Span, sy, intWork, nd);
  }
  return out;
}

/** The column spans as flat arrays, plus one accumulator per output column (for {@link weightedRow}). */
interface ColumnSpans {
  start: Int32Array;
  end: Int32Array;
  first: Float64Array;
  last: Float64Array;
  total: Float64Array;
  acc: Float64Array;
}

function columnSpans(xs: readonly Span[]): ColumnSpans {
  const n = xs.length;
  const c: ColumnSpans = {
    start: new Int32Array(n),
    end: new Int32Array(n),
    first: new Float64Array(n),
    last: new Float64Array(n),
    total: new Float64Array(n),
    acc: new Float64Array(n),
  };
  xs.forEach((s, x) => {
    c.start[x] = s.start;
    c.end[x] = s.end;
    c.first[x] = s.first;
    c.last[x] = s.last;
    c.total[x] = s.total;
  });
  return c;
}

/**
 * One output row without nodata: {@link weightedPixel}'s arithmetic in its order (each source row's weighted
 * line sum, added row by row), source rows outside and columns inside so the rows are read in sequence.
 */
function weightedRow(
  src: RasterArray,
  width: number,
  cols: ColumnSpans,
  sy: Span,
  intWork: boolean,
  out: RasterArray,
  at: number,
): void {
  const { start, end, first, last, total, acc } = cols;
  const n = acc.length;
  acc.fill(0);
  for (let r = sy.start; r < sy.end; r++) {
    const wy = r === sy.start ? sy.first : r + 1 === sy.end ? sy.last : 1;
    const row = r * width;
    for (let x = 0; x < n; x++) {
      const s = start[x] as number;
      const e = end[x] as number;
      let line = 0;
      for (let c = s; c < e; c++) {
        const wx = c === s ? (first[x] as number) : c + 1 === e ? (last[x] as number) : 1;
        const v = src[row + c] as number;
        line += wx === 1 ? v : v * wx;
      }
      acc[x] = (acc[x] as number) + line * wy;
    }
  }
  for (let x = 0; x < n; x++) {
    const weight = (total[x] as number) * sy.total;
    const mean = (acc[x] as number) / weight;
    out[at + x] = intWork ? Math.trunc(mean + 0.5) : Math.fround(mean);
  }
}

/** One output row of GDAL's 2×2 shortcut; its SSE2 loop (groups of 4) adds columns before rows. */
function shortcutRow(
  src: RasterArray,
  width: number,
  row: number,
  xs: readonly Span[],
  intWork: boolean,
  out: RasterArray,
  at: number,
): void {
  const f32 = Math.fround;
  const r0 = row * width;
  const r1 = r0 + width;
  const simd = xs.length - (xs.length % 4);
  for (let x = 0; x < xs.length; x++) {
    const c = (xs[x] as Span).start;
    const a = src[r0 + c] as number;
    const b = src[r0 + c + 1] as number;
    const cc = src[r1 + c] as number;
    const d = src[r1 + c + 1] as number;
    if (intWork) out[at + x] = Math.floor((a + b + cc + d + 2) / 4);
    else if (x < simd) out[at + x] = f32(f32(f32(a + cc) + f32(b + d)) * 0.25);
    else out[at + x] = f32(f32(f32(f32(a + b) + cc) + d) * 0.25);
  }
}

/** One output pixel: edge-weighted mean of its footprint, summed per row in GDAL's order. */
function weightedPixel(
  src: RasterArray,
  width: number,
  sx: Span,
  sy: Span,
  intWork: boolean,
  nd: NoDataRule | undefined,
): number {
  let total = 0;
  let weight = 0;
  let count = 0;
  for (let r = sy.start; r < sy.end; r++) {
    const wy = r === sy.start ? sy.first : r + 1 === sy.end ? sy.last : 1;
    const row = r * width;
    let line = 0;
    let lineWeight = 0;
    for (let c = sx.start; c < sx.end; c++) {
      if (nd && !nd.mask[row + c]) continue;
      const wx = c === sx.start ? sx.first : c + 1 === sx.end ? sx.last : 1;
      const v = src[row + c] as number;
      line += wx === 1 ? v : v * wx;
      lineWeight += wx;
      count++;
    }
    total += line * wy;
    weight += lineWeight * wy;
  }
  if (!nd) weight = sx.total * sy.total;
  else if (count === 0) return nd.value;
  const v = intWork ? Math.trunc(total / weight + 0.5) : Math.fround(total / weight);
  return nd && v === nd.value ? nd.replacement : v;
}

/** The nodata value in the work type (GDAL casts it through float). */
function workValue(noData: number, dtype: DType): number {
  const f = Math.fround(noData);
  if (!workIsInteger(dtype)) return f;
  const probe = new DTYPE_ARRAY[dtype](1);
  probe[0] = f;
  return probe[0] as number;
}

/** Work values into the band type: GDAL rounds float32 half away from zero (in float32) and clamps. */
function storeWork(work: ArrayLike<number>, out: RasterArray, dtype: DType): void {
  if (workIsInteger(dtype) || dtype.startsWith('float')) {
    for (let i = 0; i < work.length; i++) out[i] = work[i] as number;
    return;
  }
  const [lo, hi] =
    dtype === 'int16' ? [-32768, 32767] : dtype === 'int32' ? [-2147483648, 2147483647] : [0, 4294967295];
  for (let i = 0; i < work.length; i++) {
    const v = work[i] as number;
    out[i] = Number.isNaN(v)
      ? 0
      : v >= hi
        ? hi
        : v <= lo
          ? lo
          : Math.trunc(v > 0 ? Math.fround(v + 0.5) : Math.fround(v - 0.5));
  }
}

/**
 * One band's decimation, row by row, for writers that receive the source in row order:
 * `rowsFor(y)` is the source row range `[start, end)` output row `y` reads; `row(window, y)` computes that
 * output row from exactly those rows (`window` holds them, `width` values each). Pixels are identical to
 * {@link decimateBand}'s.
 */
export interface RowDecimator {
  rowsFor(y: number): [number, number];
  row(window: RasterArray, y: number): RasterArray;
}

/** A {@link RowDecimator} from a `width`×`height` level to `outWidth`×`outHeight`. */
export function rowDecimator(
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  dtype: DType,
  method: OverviewResampling,
  noData: number | null | undefined,
): RowDecimator {
  return method === 'nearest'
    ? nearestRows(width, height, outWidth, outHeight, dtype)
    : averageRows(width, height, outWidth, outHeight, dtype, noData);
}

function nearestRows(
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  dtype: DType,
): RowDecimator {
  const ry = height / outHeight;
  const source = (y: number): number => Math.min(height - 1, Math.floor(0.5 + y * ry));
  return {
    rowsFor: (y) => [source(y), source(y) + 1],
    row(window) {
      const work = nearestGdal(window, width, 1, outWidth, 1, dtype);
      const out = new DTYPE_ARRAY[dtype](outWidth);
      storeWork(work, out, dtype);
      return out;
    },
  };
}

function averageRows(
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  dtype: DType,
  noData: number | null | undefined,
): RowDecimator {
  const xs = spans(width, outWidth);
  const ys = spans(height, outHeight);
  const intWork = workIsInteger(dtype);
  const spacingTwo = xs.every(
    (s, i) => s.end - s.start === 2 && (i === 0 || (xs[i - 1] as Span).end === s.start),
  );
  return {
    rowsFor: (y) => [(ys[y] as Span).start, (ys[y] as Span).end],
    row(window, y) {
      const src = toWork(window, dtype);
      const nd: NoDataRule | undefined =
        noData === null || noData === undefined
          ? undefined
          : {
              mask: validMask(window, dtype, noData),
              value: workValue(noData, dtype),
              replacement: replacementValue(dtype, noData),
            };
      // The same span, counted from the window's first row (its weights are unchanged).
      const sy = ys[y] as Span;
      const local: Span = { ...sy, start: 0, end: sy.end - sy.start };
      const work = intWork ? new Float64Array(outWidth) : new Float32Array(outWidth);
      if (spacingTwo && local.end === 2 && !nd) shortcutRow(src, width, 0, xs, intWork, work, 0);
      else
        for (let x = 0; x < outWidth; x++)
          work[x] = weightedPixel(src, width, xs[x] as Span, local, intWork, nd);
      const out = new DTYPE_ARRAY[dtype](outWidth);
      storeWork(work, out, dtype);
      return out;
    },
  };
}
