// InferenceEngine implementation on TF.js.
import * as tf from '@tensorflow/tfjs-core';
import { throwIfAborted } from '@worldstrat/core';
import { type BackendPreference, type BackendSelection, selectBackend } from './backends/select-backend.js';
import type { InferenceEngine, PredictInput, PredictOutput, PredictUnresizedOptions } from './engine.js';
import { abortError, SrnetError } from './errors.js';
import {
  checkConfigArgument,
  checkNumber,
  checkOptions,
  checkStateDictArgument,
} from './internal/check-arguments.js';
import { type ModelConfig, resolveModelConfig } from './models/config.js';
import type { SrModel } from './models/sr-model.js';
import type { StateDict } from './models/state-dict.js';
import { checkFiniteOutput, checkPredictArguments, validateInput } from './models/validate-input.js';
import { modelFromStateDict } from './models/weights.js';

/** Options of {@link createTfjsEngine}. */
export interface TfjsEngineOptions {
  /** Backend to select first (default: keep the current TF.js backend; wasm, else cpu, when none is registered). */
  backend?: BackendPreference;
  /** Split large batches into chunks of this many samples (default 8). */
  batchSize?: number;
}

/** The TF.js engine, with access to its model and backend selection. */
export interface TfjsEngine extends InferenceEngine {
  readonly name: 'tfjs';
  readonly model: SrModel;
  /** Set when `options.backend` was given. */
  readonly backend?: BackendSelection;
}

/** NCHW-revisit input → NHWC `[B, R, H, W, C]`. */
export function toNhwcRevisits(data: Float32Array, shape: readonly number[]): tf.Tensor5D {
  return tf.tidy(() =>
    tf.transpose(tf.tensor5d(data, shape as [number, number, number, number, number]), [0, 1, 3, 4, 2]),
  );
}

/**
 * Create an eval-mode TF.js inference engine from PyTorch-layout weights.
 *
 * @param config - model configuration (partial; defaults filled)
 * @param stateDict - weights (e.g. from `stateDictFromSafetensors`)
 * @param options - backend to select, chunk size
 * @returns an {@link InferenceEngine}; call `dispose()` when done
 * @throws SrnetError weight errors (`MISSING_WEIGHTS`, `MISSHAPED_WEIGHTS`, `ARCHITECTURE_MISMATCH`), `BACKEND_UNAVAILABLE`
 * @example
 * const { stateDict, config } = stateDictFromSafetensors(bytes);
 * const engine = await createTfjsEngine(config, stateDict, { backend: 'wasm' });
 * const { data, shape } = await engine.predict({ data: lr, shape: [1, 8, 12, 50, 50] });
 */
export async function createTfjsEngine(
  config: Partial<ModelConfig>,
  stateDict: StateDict,
  options: TfjsEngineOptions = {},
): Promise<TfjsEngine> {
  const fn = 'createTfjsEngine';
  checkConfigArgument(fn, config);
  checkStateDictArgument(fn, stateDict);
  const o = checkOptions(fn, options, 'BAD_CONFIG');
  if (o.batchSize !== undefined) checkNumber(fn, 'options.batchSize', o.batchSize, 'BAD_CONFIG', { min: 1 });
  options = o;
  const selection = options.backend
    ? await selectBackend(options.backend)
    : tf.engine().backendNames().length === 0
      ? await selectBackend('wasm').catch(() => selectBackend('cpu')) // nothing registered yet: tfjs-core alone
      : undefined;
  await tf.ready();
  const cfg = resolveModelConfig(config);
  const model = modelFromStateDict(cfg, stateDict);
  const chunk = Math.max(1, Math.floor(options.batchSize ?? 8));
  // resize false: stop before the final bilinear resize (outputs zoom·H × zoom·W, any H and W).
  const run = async (fn: string, args: [unknown, unknown], resize: boolean): Promise<PredictOutput> => {
    if (model.isDisposed) throw new SrnetError('DISPOSED', 'engine was disposed; create a new one');
    const input = checkPredictArguments(fn, ...args);
    const { signal } = input;
    validateInput(input.data, input.shape, cfg);
    const [b, r, c, h, w] = input.shape;
    const [oh, ow] = resize ? cfg.outputSize : [h * cfg.zoomFactor, w * cfg.zoomFactor];
    const o = cfg.outChannels;
    const out = new Float32Array(b * o * oh * ow);
    const per = r * c * h * w;
    for (let s = 0; s < b; s += chunk) {
      throwIfAborted(signal, abortError);
      const n = Math.min(chunk, b - s);
      const y = tf.tidy(() => {
        const x = toNhwcRevisits(input.data.subarray(s * per, (s + n) * per), [n, r, c, h, w]);
        return tf.transpose(model.forward(x, { resize }), [0, 3, 1, 2]);
      });
      const d = (await y.data()) as Float32Array;
      y.dispose();
      out.set(d, s * o * oh * ow);
    }
    checkFiniteOutput(out);
    return { data: out, shape: [b, 1, o, oh, ow] };
  };
  return {
    name: 'tfjs',
    config: cfg,
    model,
    ...(selection ? { backend: selection } : {}),
    predict(input: PredictInput, opts?: { signal?: AbortSignal }): Promise<PredictOutput> {
      return run('predict', [input, opts], true);
    },
    predictUnresized(input: PredictInput, opts?: PredictUnresizedOptions): Promise<PredictOutput> {
      return run('predictUnresized', [input, opts], false);
    },
    dispose(): void {
      model.dispose();
    },
  };
}
