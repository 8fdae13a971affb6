// Seeded value noise and fractal Brownian motion on a pixel grid (used for forest crowns, clouds, field texture).
import {
  argumentError,
  checkFinite,
  checkInteger,
  checkMethods,
  checkObject,
} from '../internal/check-arguments.js';
import type { SynthRng } from './rng.js';

/** Largest side and pixel count of {@link fbm} (2³⁰ float32 values are 4 GiB). */
const MAX_SIDE = 1 << 20;
const MAX_PIXELS = 2 ** 30;

/** Options of {@link fbm}. */
export interface FbmOptions {
  /** Size in pixels of the coarsest lattice cell. */
  cellPx: number;
  /** Number of octaves (each halves the cell size). Default 4. */
  octaves?: number;
  /** Amplitude factor per octave. Default 0.5. */
  gain?: number;
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/** One octave of bilinear-smoothstep value noise in [0, 1], added (times `amp`) into `out`. */
function addValueNoise(out: Float32Array, w: number, h: number, cellPx: number, amp: number, rng: SynthRng) {
  const gw = Math.ceil(w / cellPx) + 2;
  const gh = Math.ceil(h / cellPx) + 2;
  const lattice = new Float32Array(gw * gh);
  for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next();
  const fx = new Float32Array(w);
  const ix = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    const u = x / cellPx;
    ix[x] = Math.floor(u);
    fx[x] = smooth(u - ix[x]);
  }
  for (let y = 0; y < h; y++) {
    const v = y / cellPx;
    const iy = Math.floor(v);
    const fy = smooth(v - iy);
    const r0 = iy * gw;
    const r1 = r0 + gw;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = ix[x];
      const a = lattice[r0 + i] + (lattice[r0 + i + 1] - lattice[r0 + i]) * fx[x];
      const b = lattice[r1 + i] + (lattice[r1 + i + 1] - lattice[r1 + i]) * fx[x];
      out[row + x] += amp * (a + (b - a) * fy);
    }
  }
}

/**
 * Fractal value noise normalised to [0, 1] (seeded, resolution given in pixels).
 *
 * @param w - width in pixels.
 * @param h - height in pixels.
 * @param rng - seeded random source.
 * @param options - lattice cell size, octaves, gain.
 * @returns a `w*h` Float32Array in [0, 1].
 * @example
 * ```ts
 * const clouds = fbm(158, 158, createRng(1), { cellPx: 40 });
 * ```
 */
export function fbm(w: number, h: number, rng: SynthRng, options: FbmOptions): Float32Array {
  checkInteger('fbm', 'w', w, 1, MAX_SIDE);
  checkInteger('fbm', 'h', h, 1, MAX_SIDE);
  checkMethods('fbm', 'rng', rng, ['next']);
  checkObject('fbm', 'options', options);
  const cellPx = checkFinite('fbm', 'options.cellPx', options.cellPx);
  const octaves = checkFinite('fbm', 'options.octaves', options.octaves ?? 4);
  const gain = checkFinite('fbm', 'options.gain', options.gain ?? 0.5);
  if (w * h > MAX_PIXELS) throw argumentError('fbm', 'w × h', `at most ${MAX_PIXELS} pixels`, w * h);
  const out = new Float32Array(w * h);
  let amp = 1;
  let cell = cellPx;
  let total = 0;
  for (let o = 0; o < octaves && cell >= 1; o++) {
    addValueNoise(out, w, h, cell, amp, rng);
    total += amp;
    amp *= gain;
    cell /= 2;
  }
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < out.length; i++) {
    if (out[i] < lo) lo = out[i];
    if (out[i] > hi) hi = out[i];
  }
  const span = hi - lo || total;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] - lo) / span;
  return out;
}

/**
 * The value below which a fraction `q` of the samples lie (q in [0, 1]); sorts a copy.
 *
 * @param values - samples.
 * @param q - quantile.
 * @returns the q-quantile.
 */
export function quantile(values: Float32Array, q: number): number {
  const s = Float32Array.from(values).sort();
  const i = Math.min(s.length - 1, Math.max(0, Math.floor(q * (s.length - 1))));
  return s[i];
}
