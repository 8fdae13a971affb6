import { LANCZOS_SHIFT_COUNT, LANCZOS_SHIFT_PX, LANCZOS_SHIFT_STEP, LANCZOS_TAPS } from './constants.js';
import { MetricsError } from './errors.js';
import { checkOptions, describe } from './internal/validate.js';

/**
 * Which 1-D shift kernel to build.
 * - `'upstream'`: WorldStrat's `Shift(2, 'lanczos', 0.5)` kernel, bit-faithful: `x = (a − 5) − s`,
 *   `px = π·x + 0.001`, `k[a] = 3·sin(px)·sin(px/3)/px²`, neither truncated to |x| < 3 nor normalised (spec B13).
 *   Its s = 0 kernel is not an exact delta (off-centre taps up to 2.6e-4).
 * - `'lanczos3'`: the textbook Lanczos-3 kernel: `sinc(x)·sinc(x/3)` for |x| < 3, 0 elsewhere, exact 1/0 at
 *   integer x, normalised to sum 1. Integer shifts are exact deltas, so a perfect prediction scores cMSE 0.
 */
export type LanczosVariant = 'upstream' | 'lanczos3';

/** Options of {@link lanczosKernel1d} and friends. */
export interface LanczosKernelOptions {
  /** Kernel definition; default `'upstream'`. */
  variant?: LanczosVariant;
}

/**
 * The 9 one-dimensional shifts of the WorldStrat search, `−2, −1.5, …, 2` px (float32 values).
 *
 * @returns a new `Float32Array(9)`; index `i` holds `−2 + 0.5·i`.
 * @example
 * ```ts
 * lanczosShifts(); // Float32Array [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2]
 * ```
 */
export function lanczosShifts(): Float32Array {
  const out = new Float32Array(LANCZOS_SHIFT_COUNT);
  for (let i = 0; i < LANCZOS_SHIFT_COUNT; i++) out[i] = -LANCZOS_SHIFT_PX + LANCZOS_SHIFT_STEP * i;
  return out;
}

/**
 * One 11-tap 1-D Lanczos shift kernel. Valid correlation with it maps `y` to `y_s[i] ≈ y[i + 5 + s]`.
 *
 * @param shift - the sub-pixel shift `s` in pixels, |s| ≤ 5 (|s| ≤ 2 keeps the lobes inside the 11 taps).
 * @param options - `variant` (default `'upstream'`).
 * @returns a new `Float32Array(11)` (float64 maths rounded once to float32, as upstream stores them).
 * @throws {@link MetricsError} `INVALID_OPTION` for a shift outside −5..5 px or an unknown variant.
 * @example
 * ```ts
 * lanczosKernel1d(0.5)[5]; // ≈ 0.60835
 * ```
 */
export function lanczosKernel1d(shift: number, options: LanczosKernelOptions = {}): Float32Array {
  const variant = checkOptions('lanczosKernel1d', options).variant ?? 'upstream';
  checkShift(shift);
  const out = new Float32Array(LANCZOS_TAPS);
  const centre = (LANCZOS_TAPS - 1) / 2;
  if (variant === 'upstream') {
    // Upstream computes the shift in float32; use the same value.
    const s = Math.fround(shift);
    for (let a = 0; a < LANCZOS_TAPS; a++) {
      const px = Math.PI * (a - centre - s) + 0.001;
      out[a] = (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
    }
    return out;
  }
  if (variant === 'lanczos3') {
    const taps = new Float64Array(LANCZOS_TAPS);
    let sum = 0;
    for (let a = 0; a < LANCZOS_TAPS; a++) {
      const x = a - centre - shift;
      let v: number;
      // sinc(x)·sinc(x/3) is 1 − (10/27)·π²x² + …: 1 to the last bit below 1e-8, where x² could underflow to 0/0
      if (Math.abs(x) < 1e-8) v = 1;
      else if (Math.abs(x) >= 3 || Number.isInteger(x)) v = 0;
      else v = (3 * Math.sin(Math.PI * x) * Math.sin((Math.PI * x) / 3)) / (Math.PI * Math.PI * x * x);
      taps[a] = v;
      sum += v;
    }
    for (let a = 0; a < LANCZOS_TAPS; a++) out[a] = taps[a] / sum;
    return out;
  }
  throw new MetricsError(
    'INVALID_OPTION',
    `lanczosKernel1d: unknown variant ${describe(variant)}; use 'upstream' or 'lanczos3'`,
  );
}

// The 11 taps reach ±5 px around the centre; a larger shift moves every lobe off them (the lanczos3 taps
// would all be 0 and normalise to NaN, and the upstream float32 shift overflows beyond 3.4e38).
const MAX_KERNEL_SHIFT = (LANCZOS_TAPS - 1) / 2;

function checkShift(shift: number): void {
  if (typeof shift !== 'number' || !(Math.abs(shift) <= MAX_KERNEL_SHIFT)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `lanczosKernel1d: shift must be a number in −${MAX_KERNEL_SHIFT}..${MAX_KERNEL_SHIFT} px, got ${describe(shift)}`,
    );
  }
}

/**
 * All 9 one-dimensional kernels of the search, row-major `kernels[i*11 + a]` for shift `shifts[i]`.
 * The 2-D kernel `iy*9 + ix` is `outer(kernels[iy], kernels[ix])` (rows use `s_y`, columns `s_x`).
 *
 * @param options - `variant` (default `'upstream'`).
 * @returns `{ shifts: Float32Array(9), kernels: Float32Array(9*11) }`.
 * @example
 * ```ts
 * const { shifts, kernels } = lanczosKernels1d();
 * ```
 */
export function lanczosKernels1d(options: LanczosKernelOptions = {}): {
  shifts: Float32Array;
  kernels: Float32Array;
} {
  const opts = checkOptions('lanczosKernels1d', options);
  const shifts = lanczosShifts();
  const kernels = new Float32Array(LANCZOS_SHIFT_COUNT * LANCZOS_TAPS);
  for (let i = 0; i < LANCZOS_SHIFT_COUNT; i++)
    kernels.set(lanczosKernel1d(shifts[i], opts), i * LANCZOS_TAPS);
  return { shifts, kernels };
}

/**
 * The 81 two-dimensional 11×11 kernels, PyTorch layout `(81, 1, 11, 11)` flattened:
 * `out[k*121 + a*11 + b] = k1d[iy][a] · k1d[ix][b]` with `k = iy*9 + ix` (products taken in float32 like upstream).
 *
 * @param options - `variant` (default `'upstream'`).
 * @returns a new `Float32Array(81*121)`.
 * @example
 * ```ts
 * const k2d = lanczosKernels2d(); // k2d.length === 9801
 * ```
 */
export function lanczosKernels2d(options: LanczosKernelOptions = {}): Float32Array {
  const { kernels } = lanczosKernels1d(options);
  const n = LANCZOS_SHIFT_COUNT;
  const t = LANCZOS_TAPS;
  const out = new Float32Array(n * n * t * t);
  for (let iy = 0; iy < n; iy++) {
    for (let ix = 0; ix < n; ix++) {
      const base = (iy * n + ix) * t * t;
      for (let a = 0; a < t; a++) {
        for (let b = 0; b < t; b++) out[base + a * t + b] = kernels[iy * t + a] * kernels[ix * t + b];
      }
    }
  }
  return out;
}

/**
 * The (s_y, s_x) shift in pixels of 2-D kernel index `iy*9 + ix`.
 *
 * @param index - kernel index in 0..80.
 * @returns `[s_y, s_x]`.
 * @throws {@link MetricsError} `INVALID_OPTION` when the index is out of range.
 * @example
 * ```ts
 * shiftOfIndex(40); // [0, 0]
 * ```
 */
export function shiftOfIndex(index: number): [number, number] {
  const n = LANCZOS_SHIFT_COUNT;
  if (!Number.isInteger(index) || index < 0 || index >= n * n) {
    throw new MetricsError(
      'INVALID_OPTION',
      `shiftOfIndex: index must be an integer in 0..${n * n - 1}, got ${describe(index)}`,
    );
  }
  const iy = Math.floor(index / n);
  const ix = index % n;
  return [-LANCZOS_SHIFT_PX + LANCZOS_SHIFT_STEP * iy, -LANCZOS_SHIFT_PX + LANCZOS_SHIFT_STEP * ix];
}
