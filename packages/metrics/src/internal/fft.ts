// Complex FFTs in float64 for any length: iterative radix-2 for powers of two, Bluestein's chirp-z
// (a power-of-two convolution) otherwise. Split re/im arrays; inverse transforms divide by n like numpy.

interface Radix2Plan {
  n: number;
  rev: Uint32Array;
  cos: Float64Array;
  sin: Float64Array;
}

interface BluesteinPlan {
  n: number;
  m: number;
  chirpRe: Float64Array;
  chirpIm: Float64Array;
  // FFT of the conjugate chirp filter, for the forward transform.
  filterRe: Float64Array;
  filterIm: Float64Array;
  bufRe: Float64Array;
  bufIm: Float64Array;
}

const radix2Plans = new Map<number, Radix2Plan>();
const bluesteinPlans = new Map<number, BluesteinPlan>();

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function radix2Plan(n: number): Radix2Plan {
  let plan = radix2Plans.get(n);
  if (plan) return plan;
  const rev = new Uint32Array(n);
  const bits = Math.round(Math.log2(n));
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = Math.sin((2 * Math.PI * k) / n);
  }
  plan = { n, rev, cos, sin };
  radix2Plans.set(n, plan);
  return plan;
}

/** In-place unnormalised radix-2 transform; `sign` −1 forward (e^{−2πi…}), +1 backward. */
function radix2(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  if (n <= 1) return;
  const { rev, cos, sin } = radix2Plan(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i];
    if (j > i) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sign * sin[k * step];
        const a = start + k;
        const b = a + half;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

function bluesteinPlan(n: number): BluesteinPlan {
  let plan = bluesteinPlans.get(n);
  if (plan) return plan;
  let m = 1;
  while (m < 2 * n - 1) m <<= 1;
  const chirpRe = new Float64Array(n);
  const chirpIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    // k² mod 2n keeps the angle small, so the chirp stays accurate for large n.
    const angle = (Math.PI * ((k * k) % (2 * n))) / n;
    chirpRe[k] = Math.cos(angle);
    chirpIm[k] = -Math.sin(angle);
  }
  const filterRe = new Float64Array(m);
  const filterIm = new Float64Array(m);
  filterRe[0] = chirpRe[0];
  filterIm[0] = -chirpIm[0];
  for (let k = 1; k < n; k++) {
    filterRe[k] = filterRe[m - k] = chirpRe[k];
    filterIm[k] = filterIm[m - k] = -chirpIm[k];
  }
  radix2(filterRe, filterIm, -1);
  plan = {
    n,
    m,
    chirpRe,
    chirpIm,
    filterRe,
    filterIm,
    bufRe: new Float64Array(m),
    bufIm: new Float64Array(m),
  };
  bluesteinPlans.set(n, plan);
  return plan;
}

/** Forward DFT of any length by Bluestein; the backward one is conj(forward(conj(x))). */
function bluestein(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  const p = bluesteinPlan(n);
  const { m, chirpRe, chirpIm, bufRe, bufIm } = p;
  // The backward transform conjugates on the way in and out.
  const conj = sign > 0 ? -1 : 1;
  bufRe.fill(0);
  bufIm.fill(0);
  for (let k = 0; k < n; k++) {
    const xr = re[k];
    const xi = conj * im[k];
    bufRe[k] = xr * chirpRe[k] - xi * chirpIm[k];
    bufIm[k] = xr * chirpIm[k] + xi * chirpRe[k];
  }
  radix2(bufRe, bufIm, -1);
  for (let k = 0; k < m; k++) {
    const ar = bufRe[k];
    const ai = bufIm[k];
    bufRe[k] = ar * p.filterRe[k] - ai * p.filterIm[k];
    bufIm[k] = ar * p.filterIm[k] + ai * p.filterRe[k];
  }
  radix2(bufRe, bufIm, 1);
  for (let k = 0; k < n; k++) {
    const cr = bufRe[k] / m;
    const ci = bufIm[k] / m;
    re[k] = cr * chirpRe[k] - ci * chirpIm[k];
    im[k] = conj * (cr * chirpIm[k] + ci * chirpRe[k]);
  }
}

/** In-place 1-D DFT of any length; `inverse` divides by n (numpy's `ifft`). */
export function fft1d(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  const sign = inverse ? 1 : -1;
  if (isPowerOfTwo(n)) radix2(re, im, sign);
  else bluestein(re, im, sign);
  if (inverse) {
    for (let k = 0; k < n; k++) {
      re[k] /= n;
      im[k] /= n;
    }
  }
}

/** In-place 2-D DFT of an h×w row-major complex image (numpy's `fft2`/`ifft2`). */
export function fft2d(re: Float64Array, im: Float64Array, h: number, w: number, inverse = false): void {
  const rowRe = new Float64Array(w);
  const rowIm = new Float64Array(w);
  for (let i = 0; i < h; i++) {
    rowRe.set(re.subarray(i * w, (i + 1) * w));
    rowIm.set(im.subarray(i * w, (i + 1) * w));
    fft1d(rowRe, rowIm, inverse);
    re.set(rowRe, i * w);
    im.set(rowIm, i * w);
  }
  const colRe = new Float64Array(h);
  const colIm = new Float64Array(h);
  for (let j = 0; j < w; j++) {
    for (let i = 0; i < h; i++) {
      colRe[i] = re[i * w + j];
      colIm[i] = im[i * w + j];
    }
    fft1d(colRe, colIm, inverse);
    for (let i = 0; i < h; i++) {
      re[i * w + j] = colRe[i];
      im[i * w + j] = colIm[i];
    }
  }
}
