// The per-scene transforms of upstream's make_transforms_JIF, on planar Float32 stacks.
import { RasterIoError, resize } from '@worldstrat/raster-io';
import { DatasetError } from '../errors.js';
import {
  argumentError,
  checkFinite,
  checkInteger,
  checkNumbers,
  checkOptions,
  checkShape,
} from '../internal/check-arguments.js';
import { JIF_GEOMETRY, JIF_S2_MEAN, JIF_S2_STD, SPOT_MAX_12_BIT } from './constants.js';

/** Shape of a revisit stack: [revisits, channels, height, width]. */
export type StackShape = [number, number, number, number];

/** The largest output side of the transforms (a 65536² plane is already 16 GiB of float32). */
const MAX_SIZE = 65_535;

const STACK = 'runs, channels, height, width';

/** raster-io's `resize`, its refusals (an output too large to allocate) as this package's error. */
function resized(fn: string, ...args: Parameters<typeof resize>): Float32Array {
  try {
    return resize(...args);
  } catch (e) {
    if (e instanceof RasterIoError)
      throw new DatasetError('INVALID_ARGUMENT', `${fn}: ${e.message}`, { cause: e });
    throw e;
  }
}

const checkSize = (fn: string, size: unknown, name = 'size'): number =>
  checkInteger(fn, name, size, 1, MAX_SIZE);

function checkStack(data: ArrayLike<number>, shape: readonly number[], what: string, labels = STACK): void {
  checkNumbers(what, 'data', data);
  checkShape(what, 'shape', shape, labels);
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n || shape.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new DatasetError(
      'SHAPE_MISMATCH',
      `${what}: ${data.length} values do not fill shape [${shape.join(', ')}]; pass data of length ${n}`,
    );
  }
}

/**
 * Per-band normalisation `(x − mean[c]) / std[c]` in float32 (torchvision Normalize with JIF_S2_MEAN/STD).
 *
 * @param data - (R, C, H, W) reflectances.
 * @param shape - [R, C, H, W]; C must match the constants (12) unless `mean`/`std` are given.
 * @param mean - per-channel mean (default JIF_S2_MEAN).
 * @param std - per-channel std (default JIF_S2_STD).
 * @returns a new normalised Float32Array.
 * @throws {DatasetError} `SHAPE_MISMATCH` when sizes disagree.
 * @example
 * ```ts
 * const z = normalizeLr(lr, [8, 12, 158, 158]);
 * ```
 */
export function normalizeLr(
  data: ArrayLike<number>,
  shape: StackShape,
  mean: readonly number[] = JIF_S2_MEAN,
  std: readonly number[] = JIF_S2_STD,
): Float32Array {
  checkStack(data, shape, 'normalizeLr');
  checkNumbers('normalizeLr', 'mean', mean);
  checkNumbers('normalizeLr', 'std', std);
  const [r, c, h, w] = shape;
  if (mean.length !== c || std.length !== c) {
    throw new DatasetError(
      'SHAPE_MISMATCH',
      `normalizeLr: ${c} channels but ${mean.length} means / ${std.length} stds`,
    );
  }
  const out = new Float32Array(r * c * h * w);
  const plane = h * w;
  for (let i = 0; i < r * c; i++) {
    const m = Math.fround(mean[i % c]);
    const s = Math.fround(std[i % c]);
    const base = i * plane;
    for (let p = 0; p < plane; p++) out[base + p] = Math.fround(data[base + p] - m) / s;
  }
  return out;
}

/**
 * The LR transform: normalise, then antialiased bilinear resize to 160×160 (torchvision semantics).
 *
 * @param data - (R, 12, h, w) float32 reflectances.
 * @param shape - [R, 12, h, w].
 * @param size - output side; default 160.
 * @returns (R, 12, size, size).
 * @example
 * ```ts
 * const lr160 = transformLr(lr, [8, 12, 158, 158]);
 * ```
 */
export function transformLr(
  data: ArrayLike<number>,
  shape: StackShape,
  size: number = JIF_GEOMETRY.lrInput,
): Float32Array {
  checkStack(data, shape, 'transformLr');
  checkSize('transformLr', size);
  const z = normalizeLr(data, shape);
  const [r, c, h, w] = shape;
  return resized('transformLr', z, [r * c, h, w], [size, size], { method: 'bilinear', antialias: true });
}

/**
 * The HR transform: DN / 10000 (12-bit) or / 255 (8-bit), antialiased bilinear resize to 500×500, clamp to [0, 1].
 *
 * @param data - (C, H, W) DNs (any integer typed array).
 * @param shape - [C, H, W].
 * @param options - divisor (default 10000) and output side (default 500).
 * @returns (C, size, size) in [0, 1].
 * @example
 * ```ts
 * const hr500 = transformHr(dn, [3, 1054, 1054]);
 * ```
 */
export function transformHr(
  data: ArrayLike<number>,
  shape: [number, number, number],
  options?: { divisor?: number; size?: number },
): Float32Array {
  checkStack(data, shape, 'transformHr', 'channels, height, width');
  const o = checkOptions('transformHr', options);
  const divisor = o.divisor ?? SPOT_MAX_12_BIT;
  if (checkFinite('transformHr', 'options.divisor', divisor) === 0)
    throw argumentError('transformHr', 'options.divisor', 'a non-zero number', divisor);
  const size = checkSize('transformHr', o.size ?? JIF_GEOMETRY.hrOutput, 'options.size');
  const scaled = new Float32Array(data.length);
  for (let i = 0; i < scaled.length; i++) scaled[i] = Math.trunc(data[i]) / divisor;
  const out = resized('transformHr', scaled, shape, [size, size], { method: 'bilinear', antialias: true });
  for (let i = 0; i < out.length; i++) out[i] = out[i] < 0 ? 0 : out[i] > 1 ? 1 : out[i];
  return out;
}

/**
 * The cloud-mask transform: nearest-neighbour resize to 160×160.
 *
 * @param data - (R, 1, h, w) mask values.
 * @param shape - [R, 1, h, w].
 * @param size - output side; default 160.
 * @returns (R, 1, size, size) as float32.
 * @example
 * ```ts
 * const lrc160 = transformLrc(clm, [8, 1, 158, 158]);
 * ```
 */
export function transformLrc(
  data: ArrayLike<number>,
  shape: StackShape,
  size: number = JIF_GEOMETRY.lrInput,
): Float32Array {
  checkStack(data, shape, 'transformLrc');
  checkSize('transformLrc', size);
  const [r, c, h, w] = shape;
  return resized('transformLrc', Float32Array.from(data), [r * c, h, w], [size, size], { method: 'nearest' });
}
