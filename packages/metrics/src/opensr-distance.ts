import { MetricsError } from './errors.js';
import { describe, type NumericArray } from './internal/validate.js';

/**
 * opensr-test's pixel distances: `l1`, `l2`, `pbias` (clamped |x−y|/|y|), `kl` (its clamped ratio form),
 * `sad` (spectral angle in degrees), `nd` (normalised difference |x−y|/|x+y|, also called `fd`) and `psnr`
 * (inverted PSNR, 1/PSNR with data range 1).
 */
export const OPENSR_DISTANCES = ['l1', 'l2', 'pbias', 'kl', 'sad', 'nd', 'psnr'] as const;

/** One of {@link OPENSR_DISTANCES}. */
export type OpensrDistance = (typeof OPENSR_DISTANCES)[number];

/** opensr-test aggregations we reproduce: one value per pixel (over channels) or one per image. */
export type OpensrAggregation = 'pixel' | 'image';

const EPS = 1e-8;
const LARGE = 1e2;
const IPSNR_EPS = 1e-10;

function clampRatio(v: number): number {
  return v > LARGE ? LARGE : v < 1 / LARGE ? 1 / LARGE : v;
}

/** Checks a distance name (opensr-test's `fd` is an alias of `nd`). */
export function checkOpensrDistance(fn: string, method: string): OpensrDistance {
  const m = method === 'fd' ? 'nd' : method;
  if (!(OPENSR_DISTANCES as readonly string[]).includes(m)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: distance must be one of ${OPENSR_DISTANCES.join(', ')}, got ${describe(method)}`,
    );
  }
  return m as OpensrDistance;
}

/**
 * Per-pixel distance map between two C×N images (N = H·W): reduces over channels at each pixel exactly as
 * opensr-test's `_compute_pixel` does (mean over channels, or the angle between the channel vectors).
 */
export function pixelDistance(
  method: OpensrDistance,
  x: NumericArray,
  y: NumericArray,
  c: number,
  n: number,
): Float64Array {
  const out = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    if (method === 'sad') {
      let dot = 0;
      let nx = 0;
      let ny = 0;
      for (let k = 0; k < c; k++) {
        const a = x[k * n + p];
        const b = y[k * n + p];
        dot += a * b;
        nx += a * a;
        ny += b * b;
      }
      out[p] = angleDegrees(dot, nx, ny);
    } else if (method === 'kl') {
      let mx = 0;
      let mr = 0;
      for (let k = 0; k < c; k++) {
        const a = x[k * n + p];
        mx += a;
        mr += clampRatio(Math.abs(a / (y[k * n + p] + EPS)));
      }
      out[p] = (mx / c) * Math.log(mr / c);
    } else {
      let acc = 0;
      for (let k = 0; k < c; k++) acc += elementTerm(method, x[k * n + p], y[k * n + p]);
      out[p] = method === 'psnr' ? invertedPsnr(acc / c) : acc / c;
    }
  }
  return out;
}

/** One distance over the whole image (opensr-test's `_compute_image`). */
export function imageDistance(
  method: OpensrDistance,
  x: NumericArray,
  y: NumericArray,
  total: number,
): number {
  if (method === 'sad') {
    let dot = 0;
    let nx = 0;
    let ny = 0;
    for (let i = 0; i < total; i++) {
      dot += x[i] * y[i];
      nx += x[i] * x[i];
      ny += y[i] * y[i];
    }
    return angleDegrees(dot, nx, ny);
  }
  if (method === 'kl') {
    let mx = 0;
    let mr = 0;
    for (let i = 0; i < total; i++) {
      mx += x[i];
      mr += clampRatio(Math.abs(x[i] / (y[i] + EPS)));
    }
    return (mx / total) * Math.log(mr / total);
  }
  let acc = 0;
  for (let i = 0; i < total; i++) acc += elementTerm(method, x[i], y[i]);
  return method === 'psnr' ? invertedPsnr(acc / total) : acc / total;
}

function elementTerm(method: OpensrDistance, a: number, b: number): number {
  switch (method) {
    case 'l1':
      return Math.abs(a - b);
    case 'l2':
    case 'psnr':
      return (a - b) * (a - b);
    case 'pbias':
      return clampRatio(Math.abs((a - b) / (b + EPS)));
    default: // 'nd'
      return Math.abs(a - b) / Math.abs(a + b + EPS);
  }
}

function invertedPsnr(l2: number): number {
  const m = l2 < IPSNR_EPS ? IPSNR_EPS : l2;
  return 1 / (10 * Math.log10(1 / m));
}

function angleDegrees(dot: number, nx: number, ny: number): number {
  // A zero vector gives 0/0 = NaN, as in the original; callers average with nanmean.
  const cos = dot / (Math.sqrt(nx) * Math.sqrt(ny));
  const clamped = cos > 1 ? 1 : cos < -1 ? -1 : cos;
  return (Math.acos(clamped) * 180) / Math.PI;
}

/** Mean over the non-NaN entries (NaN when there are none), like `torch.nanmean`. */
export function nanMean(values: Float64Array): number {
  let acc = 0;
  let count = 0;
  for (const v of values) {
    if (!Number.isNaN(v)) {
      acc += v;
      count++;
    }
  }
  return count === 0 ? Number.NaN : acc / count;
}

/**
 * Separable resampling weights of PyTorch's `interpolate(mode='bilinear', antialias=True)` for one axis with
 * the scale `inSize / outSize` given as `scale` (opensr-test passes `scale_factor`, so the scale is exact).
 * Each output pixel gets a triangle filter stretched to the scale when shrinking, normalised to sum 1.
 */
function antialiasWeights(
  inSize: number,
  outSize: number,
  scale: number,
): { start: Int32Array; size: Int32Array; weights: Float64Array[] } {
  const support = scale >= 1 ? scale : 1;
  const invScale = scale >= 1 ? 1 / scale : 1;
  const start = new Int32Array(outSize);
  const size = new Int32Array(outSize);
  const weights: Float64Array[] = [];
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const w = new Float64Array(Math.max(hi - lo, 0));
    let total = 0;
    for (let j = 0; j < w.length; j++) {
      const t = Math.abs((j + lo - center + 0.5) * invScale);
      w[j] = t < 1 ? 1 - t : 0;
      total += w[j];
    }
    if (total !== 0) for (let j = 0; j < w.length; j++) w[j] /= total;
    start[i] = lo;
    size[i] = w.length;
    weights.push(w);
  }
  return { start, size, weights };
}

/**
 * Resizes a C×H×W image by an integer factor with PyTorch's antialiased bilinear kernel, the resampling
 * opensr-test uses between the LR and HR grids (`factor` 1/s to bring SR onto the LR grid, s to bring LR onto
 * the HR grid).
 */
export function resizeAntialiasBilinear(
  x: NumericArray,
  c: number,
  h: number,
  w: number,
  factor: number,
): { data: Float64Array; h: number; w: number } {
  const oh = Math.floor(h * factor);
  const ow = Math.floor(w * factor);
  const wy = antialiasWeights(h, oh, 1 / factor);
  const wx = antialiasWeights(w, ow, 1 / factor);
  // Horizontal pass first, then vertical (the order PyTorch's separable kernel uses).
  const tmp = new Float64Array(c * h * ow);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < h; i++) {
      const row = k * h * w + i * w;
      for (let j = 0; j < ow; j++) {
        const ws = wx.weights[j];
        let acc = 0;
        for (let t = 0; t < ws.length; t++) acc += ws[t] * x[row + wx.start[j] + t];
        tmp[k * h * ow + i * ow + j] = acc;
      }
    }
  }
  const out = new Float64Array(c * oh * ow);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < oh; i++) {
      const ws = wy.weights[i];
      for (let j = 0; j < ow; j++) {
        let acc = 0;
        for (let t = 0; t < ws.length; t++) acc += ws[t] * tmp[k * h * ow + (wy.start[i] + t) * ow + j];
        out[k * oh * ow + i * ow + j] = acc;
      }
    }
  }
  return { data: out, h: oh, w: ow };
}
