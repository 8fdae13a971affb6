// gdalwarp's approximate transformer over one target row (GDAL 3.6 GDALApproxTransform and
// GDALApproxTransformInternal, which gdalwarp runs with -et 0.125 by default): the first, middle and last points
// are transformed exactly; where the middle lies within the error threshold of the line through the ends
// (measured as |Δx| + |Δy| in source pixels), every point of the run is interpolated on that line; otherwise the
// run is split into [0, middle) and [middle, n), each handled the same way, and a half of 5 points or fewer is
// transformed exactly. The same arithmetic as GDAL's, in the same order, so that the same exact points give the
// same interpolated ones.

/** Writes the exact source pixel coordinates of target column `col` into the row's `us`/`vs` (NaN: no position). */
export type ExactColumn = (col: number) => void;

/** GDAL transforms runs of up to this many points exactly. */
const EXACT_RUN = 5;

/** A transformed point: source pixel coordinates. */
type Point = readonly [number, number];

/**
 * Fills `us`/`vs` for the `width` pixel centres of one target row (x = col + 0.5) as GDAL's approximate
 * transformer does with `maxError` (source pixels).
 *
 * @param us - source x of each column (output).
 * @param vs - source y of each column (output).
 * @param width - the row's length.
 * @param maxError - GDAL's `-et`: the largest |Δx| + |Δy| of the middle point left to interpolation.
 * @param exact - the exact transform of one column into `us`/`vs`.
 */
export function approxRow(
  us: Float64Array,
  vs: Float64Array,
  width: number,
  maxError: number,
  exact: ExactColumn,
): void {
  const last = width - 1;
  const mid = last >> 1;
  if (width <= EXACT_RUN || maxError === 0) {
    exactRange(exact, 0, last);
    return;
  }
  const sme = [0, mid, last].map((c) => transformed(us, vs, exact, c));
  // a failed start, middle or end: GDAL transforms the whole row exactly
  if (sme.some((p) => !Number.isFinite(p[0]) || !Number.isFinite(p[1]))) {
    exactRange(exact, 0, last);
    return;
  }
  const run: Run = { us, vs, exact, maxError };
  approxRun(run, 0, width, sme[0] as Point, sme[1] as Point, sme[2] as Point);
}

/** What every step of the recursion shares. */
interface Run {
  us: Float64Array;
  vs: Float64Array;
  exact: ExactColumn;
  maxError: number;
}

/** Exact transform of columns `from` … `to` (inclusive). */
function exactRange(exact: ExactColumn, from: number, to: number): void {
  for (let c = from; c <= to; c++) exact(c);
}

/** The exact transform of one column, read back. */
function transformed(us: Float64Array, vs: Float64Array, exact: ExactColumn, col: number): Point {
  exact(col);
  return [us[col] as number, vs[col] as number];
}

function put(r: Run, col: number, p: Point): void {
  r.us[col] = p[0];
  r.vs[col] = p[1];
}

/**
 * GDALApproxTransformInternal over columns `a` … `a + n − 1`, whose start, middle (`a + (n − 1) / 2`) and end
 * transform to `s0`, `s1`, `s2`.
 */
function approxRun(r: Run, a: number, n: number, s0: Point, s1: Point, s2: Point): void {
  const mid = (n - 1) >> 1;
  const x0 = a + 0.5;
  const span = a + n - 1 + 0.5 - x0;
  const dx = (s2[0] - s0[0]) / span;
  const dy = (s2[1] - s0[1]) / span;
  const dMid = a + mid + 0.5 - x0;
  const error = Math.abs(s0[0] + dx * dMid - s1[0]) + Math.abs(s0[1] + dy * dMid - s1[1]);
  if (error <= r.maxError) {
    for (let c = a + n - 1; c >= a; c--) {
      const dist = c + 0.5 - x0;
      r.us[c] = s0[0] + dx * dist;
      r.vs[c] = s0[1] + dy * dist;
    }
    return;
  }
  splitRun(r, a, n, s0, s1, s2);
}

/** The split of a run whose middle is off the line: two halves, interpolated again or transformed exactly. */
function splitRun(r: Run, a: number, n: number, s0: Point, s1: Point, s2: Point): void {
  const mid = (n - 1) >> 1;
  const exact1 = mid <= EXACT_RUN;
  const exact2 = n - mid <= EXACT_RUN;
  // the middle and end of the first half, the middle of the second
  const m1 = exact1 ? null : transformed(r.us, r.vs, r.exact, a + ((mid - 1) >> 1));
  const e1 = exact1 ? null : transformed(r.us, r.vs, r.exact, a + mid - 1);
  const m2 = exact2 ? null : transformed(r.us, r.vs, r.exact, a + mid + ((n - mid - 1) >> 1));
  const failed = (p: Point | null) => p !== null && (!Number.isFinite(p[0]) || !Number.isFinite(p[1]));
  if ((exact1 && exact2) || failed(m1) || failed(e1) || failed(m2)) {
    exactRange(r.exact, a + 1, a + mid - 1);
    exactRange(r.exact, a + mid + 1, a + n - 2);
    put(r, a, s0);
    put(r, a + mid, s1);
    put(r, a + n - 1, s2);
    return;
  }
  if (m1 && e1) approxRun(r, a, mid, s0, m1, e1);
  else {
    exactRange(r.exact, a + 1, a + mid - 1);
    put(r, a, s0);
  }
  if (m2) approxRun(r, a + mid, n - mid, s1, m2, s2);
  else {
    exactRange(r.exact, a + mid + 1, a + n - 2);
    put(r, a + mid, s1);
    put(r, a + n - 1, s2);
  }
}
