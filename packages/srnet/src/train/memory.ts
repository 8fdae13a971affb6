// Training memory: an estimate of one step's tensor bytes per sample (from the architecture, hidden size, revisits
// and chip size), a budget per backend, and the micro-batch that fits. Also recognises allocation failures
// (wasm `Aborted()`, typed-array allocation errors) so training can say what fits instead of crashing.
import { SrnetError } from '../errors.js';
import { argumentError } from '../internal/check-arguments.js';
import { fusionLevels, validateModelConfig } from '../models/architecture.js';
import type { ModelConfig } from '../models/config.js';

/** Largest heap of TF.js's wasm32 backend (4 GiB − 64 KiB); past it the module aborts. */
export const WASM_HEAP_MAX_BYTES = 4_294_901_760;

const GiB = 1024 ** 3;

/**
 * Bytes one training step may hold in tensors on a backend: 75 % of the wasm heap (the rest is the allocator's
 * slack and TF.js's own buffers), 4 GiB on the cpu backend (typed arrays outside the JS heap), 2 GiB on GPU
 * backends (a conservative device-memory share), 8 GiB for tfjs-node.
 *
 * @param backend - TF.js backend name (`tf.getBackend()`)
 * @returns the budget in bytes
 * @example trainingMemoryBudget('wasm') // ≈ 3 GiB
 */
export function trainingMemoryBudget(backend: string): number {
  switch (backend) {
    case 'wasm':
      return Math.floor(0.75 * WASM_HEAP_MAX_BYTES);
    case 'cpu':
      return 4 * GiB;
    case 'tensorflow':
      return 8 * GiB;
    default:
      return 2 * GiB;
  }
}

/** Result of {@link estimateTrainingMemory}. */
export interface TrainingMemoryEstimate {
  /** Peak tensor bytes of one sample in a training step (activations kept for the backward pass + gradients). */
  perSampleBytes: number;
  /** Bytes independent of the batch: weights, their gradients, the gradient sums and Adam's two moments. */
  fixedBytes: number;
}

/**
 * Peak step bytes per byte of counted forward activations: the backward pass holds gradients next to the saved
 * activations, plus TF.js's reshaped/transposed copies and kernel temporaries. Measured on wasm (tf.profile
 * peakBytes, one sample at 50×50, dropout 0.5): HighRes-net R=8 hidden 64 / 128 peak at 4.5× / 5.0× the count,
 * SRCNN-MF R=8 hidden 128 at 4.4×; 5.5 keeps the estimate ≈ 10 % above the worst of them.
 */
const BACKWARD_FACTOR = 5.5;

/**
 * Estimate the memory of one training step from the architecture (SRCNN-MF or HighRes-net), hidden channels,
 * revisits, residual layers, dropout and the LR chip size: the float32 activations the forward pass keeps for
 * backpropagation (reflect padding, convolutions, PReLU, dropout masks, fusion, pixel shuffle, the final resize
 * and the 81-shift registered loss), times {@link BACKWARD_FACTOR}.
 *
 * @param config - the model configuration
 * @param chip - LR chip size [height, width] (WorldStrat: [50, 50])
 * @returns bytes per sample and fixed bytes
 * @example estimateTrainingMemory(resolveModelConfig({ kind: 'highresnet', revisits: 8 }), [50, 50])
 */
export function estimateTrainingMemory(config: ModelConfig, chip: [number, number]): TrainingMemoryEstimate {
  validateModelConfig(config);
  if (!Array.isArray(chip) || chip.length !== 2 || !chip.every((v) => Number.isSafeInteger(v) && v >= 1))
    argumentError(
      'estimateTrainingMemory',
      'chip',
      '[height, width] positive integers',
      chip,
      'BAD_INPUT_SHAPE',
    );
  const [h, w] = chip;
  const P = h * w;
  const hid = config.hiddenChannels;
  const R = config.revisits;
  const C = config.inChannels;
  const k = (config.kernelSize - 1) / 2;
  const padF = ((h + 2 * k) * (w + 2 * k)) / P;
  const drop = config.dropout > 0 ? 4 : 0; // mask + output, twice per double conv
  // pad(in) + conv + PReLU + pad(mid) + conv + PReLU (+ dropout), per LR pixel of one image
  const doubleConv = (cin: number, cout: number) => padF * (cin + cout) + cout * (4 + drop);
  let el = 2 * R * C + R * doubleConv(C, hid); // input (+ its NHWC copy) and the shared encoder
  if (config.kind === 'srcnn') {
    el += R * hid + doubleConv(R * hid, hid);
    el += config.residualLayers * (doubleConv(hid, hid) + hid);
  } else {
    const padded = 2 ** fusionLevels(R);
    el += (padded - R) * hid + padded * hid; // zero revisits, rank-3 copy
    // each fusion pair: two slices, concat, residual double conv, skip add, pad + conv + PReLU
    el += (padded - 1) * (6 * hid + doubleConv(2 * hid, 2 * hid) + 2 * hid + padF * 2 * hid + 2 * hid);
  }
  const z = config.zoomFactor;
  const ks = (config.srKernelSize - 1) / 2;
  const padS = ((z * h + 2 * ks) * (z * w + 2 * ks)) / (z * z * P);
  const m = hid / (z * z);
  const o = config.outChannels;
  el += hid + z * z * (padS * m + 2 * m + padS * m + 2 * o); // pixel shuffle, two convs + PReLU
  let bytes = 4 * el * P;
  const out = config.outputSize[0] * config.outputSize[1] * o;
  bytes += 4 * out * (4 + 3 * 81); // differentiable resize, then the 81-shift search of the registered loss
  let params = 0;
  for (const n of [C * hid, R * hid * hid, hid * hid, 4 * hid * hid, m * m, m * o]) params += n;
  params *= config.kernelSize * config.kernelSize;
  return {
    perSampleBytes: Math.ceil(BACKWARD_FACTOR * bytes),
    fixedBytes: 5 * 4 * (params + config.residualLayers * 2 * hid * hid * config.kernelSize ** 2),
  };
}

/**
 * The largest micro-batch (≤ `batch`) whose estimated step fits `budget`.
 *
 * @throws SrnetError `OUT_OF_MEMORY` when even one sample does not fit, with the estimate and what to change
 */
export function fitMicroBatch(
  config: ModelConfig,
  chip: [number, number],
  batch: number,
  budget: number,
  backend: string,
): number {
  const e = estimateTrainingMemory(config, chip);
  const n = Math.floor((budget - e.fixedBytes) / e.perSampleBytes);
  if (n < 1)
    throw new SrnetError(
      'OUT_OF_MEMORY',
      `one ${chip.join('×')} sample of ${config.kind} R=${config.revisits} hidden ${config.hiddenChannels} needs ≈ ${gib(e.perSampleBytes + e.fixedBytes)} GiB to train, more than the ${gib(budget)} GiB budget of the ${backend} backend; use smaller chips, fewer hidden channels, or a GPU backend`,
      { perSampleBytes: e.perSampleBytes, fixedBytes: e.fixedBytes, budget, backend },
    );
  return Math.min(batch, n);
}

/** GiB with two decimals, for messages. */
export function gib(bytes: number): string {
  return (bytes / GiB).toFixed(2);
}

/**
 * True when `err` is an allocation failure: the wasm module's `Aborted()` (its heap could not grow), an
 * ArrayBuffer/typed-array allocation error, or a backend's out-of-memory message.
 */
export function isOutOfMemory(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const msg = `${err.name}: ${err.message}`;
  if (typeof WebAssembly !== 'undefined' && err instanceof WebAssembly.RuntimeError)
    return /Aborted|memory|unreachable/i.test(msg);
  return /Aborted\(|out of memory|\bOOM\b|allocation failed|Invalid (typed )?array length|Cannot enlarge memory|failed to allocate|Array buffer allocation/i.test(
    msg,
  );
}
