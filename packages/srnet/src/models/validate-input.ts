// Input checks shared by the engine and training: rank, bands, revisits, finiteness.

import type { PredictInput } from '../engine.js';
import { SrnetError } from '../errors.js';
import {
  argumentError,
  checkArrayLike,
  checkNumber,
  checkObject,
  checkOptionalString,
  checkOptions,
  checkSignal,
} from '../internal/check-arguments.js';
import type { ModelConfig } from './config.js';

/** An engine call's arguments as read once by {@link checkPredictArguments}. */
export interface PredictCall extends PredictInput {
  signal?: AbortSignal;
  /** `options.interior` (false when absent). */
  interior: boolean;
}

/**
 * The arguments of an engine's `predict` / `predictUnresized`, checked alike on every engine and read once (the
 * engine runs on the copy, so a getter or Proxy cannot answer differently later): `input` an object with
 * Float32Array `data` and a plain array of 5 numbers as `shape` (`BAD_INPUT_SHAPE`; {@link validateInput} checks
 * the sizes), `options` absent or an object with an AbortSignal `signal` and a boolean `interior` (`BAD_CONFIG`).
 *
 * @param fn - the method, named in errors.
 * @throws SrnetError `BAD_INPUT_SHAPE`, `BAD_CONFIG`
 */
export function checkPredictArguments(fn: string, input: unknown, options: unknown): PredictCall {
  const i = checkObject<Record<string, unknown>>(fn, 'input', input, 'BAD_INPUT_SHAPE');
  const data = i.data;
  if (!(data instanceof Float32Array))
    argumentError(fn, 'input.data', 'a Float32Array', data, 'BAD_INPUT_SHAPE');
  const shape = copyShape(fn, i.shape);
  const o = checkOptions<Record<string, unknown>>(
    fn,
    options as Record<string, unknown> | undefined,
    'BAD_CONFIG',
  );
  const { signal, interior } = o;
  checkSignal(fn, 'options.signal', signal, 'BAD_CONFIG');
  if (interior !== undefined && typeof interior !== 'boolean')
    argumentError(fn, 'options.interior', 'a boolean', interior, 'BAD_CONFIG');
  return { data, shape, ...(signal ? { signal: signal as AbortSignal } : {}), interior: interior === true };
}

/** A copy of a 5-D shape: a plain array (not a typed or array-like object, which ORT refuses) of 5 numbers. */
function copyShape(fn: string, shape: unknown): PredictInput['shape'] {
  if (!Array.isArray(shape) || shape.length !== 5)
    argumentError(fn, 'input.shape', 'an array of 5 dims (B, R, C, H, W)', shape, 'BAD_INPUT_SHAPE');
  const copy = Array.from(shape as unknown[]);
  if (!copy.every((d) => typeof d === 'number'))
    argumentError(fn, 'input.shape', 'an array of 5 numbers (B, R, C, H, W)', copy, 'BAD_INPUT_SHAPE');
  return copy as PredictInput['shape'];
}

/**
 * The smallest LR chip side the model runs on: PyTorch's reflect padding needs pad < size, for the `kernelSize`
 * convs at LR resolution and for the `srKernelSize` convs on the `zoomFactor`× larger pixel-shuffled map
 * (upstream's 3×3 convs pad 1 px: 2×2 chips run).
 */
export function minimumChipSide(
  config: Pick<ModelConfig, 'kernelSize' | 'srKernelSize' | 'zoomFactor'>,
): number {
  const pad = (config.kernelSize - 1) / 2;
  const srPad = (config.srKernelSize - 1) / 2;
  return Math.max(1, pad + 1, Math.ceil((srPad + 1) / config.zoomFactor));
}

/**
 * Validate a `(B, R, C, H, W)` input for `config`.
 *
 * @param data - row-major values
 * @param shape - the 5-D shape
 * @param config - model configuration (C must equal inChannels; SRCNN needs R = revisits; HighResNet any R ≥ 1;
 *   H and W at least {@link minimumChipSide})
 * @param options - `checkFinite` (default true) scans for NaN/±Infinity
 * @throws SrnetError `BAD_INPUT_SHAPE`, `BAD_BANDS`, `BAD_REVISITS`, `NON_FINITE_INPUT`
 */
export function validateInput(
  data: ArrayLike<number>,
  shape: readonly number[],
  config: ModelConfig,
  options: { checkFinite?: boolean; what?: string } = {},
): void {
  const fn = 'validateInput';
  checkArrayLike(fn, 'data', data, 'BAD_INPUT_SHAPE');
  checkArrayLike(fn, 'shape', shape, 'BAD_INPUT_SHAPE');
  if (!Array.from(shape).every((d) => typeof d === 'number'))
    argumentError(fn, 'shape', 'an array of numbers', shape, 'BAD_INPUT_SHAPE');
  checkObject(fn, 'config', config, 'BAD_CONFIG');
  checkNumber(fn, 'config.revisits', config.revisits, 'BAD_CONFIG', { integer: true, min: 1 });
  checkNumber(fn, 'config.inChannels', config.inChannels, 'BAD_CONFIG', { integer: true, min: 1 });
  for (const key of ['kernelSize', 'srKernelSize', 'zoomFactor'] as const)
    checkNumber(fn, `config.${key}`, config[key], 'BAD_CONFIG', { integer: true, min: 1 });
  const o = checkOptions(fn, options, 'BAD_CONFIG');
  const what = checkOptionalString(fn, 'options.what', o.what, 'BAD_CONFIG') ?? 'input';
  options = o;
  if (shape.length !== 5) {
    throw new SrnetError(
      'BAD_INPUT_SHAPE',
      `${what} has rank ${shape.length} (shape [${shape}]); expected 5-D (B, R, C, H, W) like upstream, e.g. [1, ${config.revisits}, ${config.inChannels}, 50, 50]`,
    );
  }
  if (shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new SrnetError(
      'BAD_INPUT_SHAPE',
      `${what} shape [${shape}] has a non-positive or non-integer dimension`,
    );
  }
  const [, r, c, h, w] = shape as [number, number, number, number, number];
  if (c !== config.inChannels) {
    throw new SrnetError(
      'BAD_BANDS',
      `${what} has ${c} bands (axis 2 of [${shape}]); the model expects ${config.inChannels} (e.g. the 12 Sentinel-2 L2A bands)`,
    );
  }
  if (config.kind === 'srcnn' && r !== config.revisits) {
    throw new SrnetError(
      'BAD_REVISITS',
      `${what} has ${r} revisits (axis 1 of [${shape}]); this SRCNN was built for exactly ${config.revisits}`,
    );
  }
  const min = minimumChipSide(config);
  if (h < min || w < min)
    throw new SrnetError(
      'BAD_INPUT_SHAPE',
      `${what} chips are ${h}×${w}; the model's reflect padding (${(config.kernelSize - 1) / 2} px on ${config.kernelSize}×${config.kernelSize} convs, ${(config.srKernelSize - 1) / 2} px on the ${config.srKernelSize}×${config.srKernelSize} SR convs after the ×${config.zoomFactor} shuffle) needs at least ${min}×${min}, as in PyTorch (pad < size; upstream uses 50×50)`,
    );
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n)
    throw new SrnetError(
      'BAD_INPUT_SHAPE',
      `${what} has ${data.length} values but shape [${shape}] needs ${n}`,
    );
  if (options.checkFinite !== false) {
    for (let i = 0; i < n; i++) {
      const v = data[i] as number;
      if (!Number.isFinite(v)) {
        throw new SrnetError(
          'NON_FINITE_INPUT',
          `${what} holds a non-finite value (${v}) at flat index ${i}; replace NaN/Inf (e.g. no-data) before inference`,
          { index: i },
        );
      }
    }
  }
}

/**
 * An engine's output for a checked, finite input: NaN or ±Infinity there means weights that overflow float32
 * arithmetic (1e30 in a file), which the finite-weight checks let through.
 * @param data - the output values.
 * @param file - the weights file, for the message and details (none for in-memory weights).
 * @throws SrnetError `NON_FINITE_WEIGHTS` with the count
 */
export function checkFiniteOutput(data: Float32Array, file?: string): void {
  let bad = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i] as number)) bad++;
  if (bad === 0) return;
  throw new SrnetError(
    'NON_FINITE_WEIGHTS',
    `${file ? `${file}: ` : ''}the model returned ${bad} NaN or infinite values of ${data.length} for a finite input: its weights overflow float32 arithmetic (a corrupt or mis-scaled file)`,
    { ...(file ? { file } : {}), nonFinite: bad },
  );
}
