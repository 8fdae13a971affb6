// The chip plan of whole-scene inference: fixed-size overlapping chips through the model's own predict(),
// blended with separable linear feathering (upstream's chip-by-chip behaviour).
import type { InferenceEngine, PredictOutput } from '../engine.js';
import { abortError, SrnetError } from '../errors.js';
import { isRecord } from '../internal/check-arguments.js';
import { showValue } from '../internal/show-value.js';
import { type ChipAxis, type ChipGrid, featherWeights } from './chip-grid.js';
import { fillRegion, type SceneInput } from './scene-input.js';

/** What {@link runChips} needs besides the scene input. */
export interface ChipRun {
  engine: InferenceEngine;
  grid: ChipGrid;
  batchSize: number;
  /** Output planes (zero-filled), one per output channel, `grid.x.outLength × grid.y.outLength`. */
  planes: Float32Array[];
  signal?: AbortSignal;
  onChips?: (done: number, total: number) => void;
}

/**
 * Feathering weights, cached by (length, ramp, first, last). A class, not a closure: the hot loops below see only
 * typed arrays and numbers, and nothing per-run that V8 would embed in their optimised code (code that embeds a
 * closure is thrown away when that closure dies, so every scene re-warmed the loops, boxing as it went).
 */
class FeatherWeights {
  readonly #cache = new Map<string, Float32Array>();

  get(len: number, ramp: number, first: boolean, last: boolean): Float32Array {
    const key = `${len}:${ramp}:${first}:${last}`;
    let w = this.#cache.get(key);
    if (!w) {
      w = featherWeights(len, ramp, !first, !last);
      this.#cache.set(key, w);
    }
    return w;
  }
}

/** Add one SR chip (`src` from `srcOff`, channel planes of `oh × ow`) weighted by `wy[y]·wx[x]` at (Y0, X0). */
function addWeightedChip(
  planes: readonly Float32Array[],
  OW: number,
  Y0: number,
  X0: number,
  yEnd: number,
  xEnd: number,
  wy: Float32Array,
  wx: Float32Array,
  src: Float32Array,
  srcOff: number,
  oh: number,
  ow: number,
): void {
  for (let ch = 0; ch < planes.length; ch++) {
    const plane = planes[ch] as Float32Array;
    const chOff = srcOff + ch * oh * ow;
    for (let oy = 0; oy < yEnd; oy++) {
      const rowOut = (Y0 + oy) * OW + X0;
      const rowSrc = chOff + oy * ow;
      const wyv = wy[oy] as number;
      for (let ox = 0; ox < xEnd; ox++)
        plane[rowOut + ox] =
          (plane[rowOut + ox] as number) + wyv * (wx[ox] as number) * (src[rowSrc + ox] as number);
    }
  }
}

/**
 * An engine output has exactly the `expected` shape and as many values: a short batch or data array would leave
 * output pixels unwritten (NaN) yet counted as valid.
 */
export function outputFits(out: PredictOutput, expected: readonly number[]): boolean {
  return (
    Array.isArray(out?.shape) &&
    out.shape.length === expected.length &&
    out.shape.every((d, i) => d === expected[i]) &&
    out.data instanceof Float32Array &&
    out.data.length === expected.reduce((a, b) => a * b, 1)
  );
}

/**
 * An engine output's shape and length for messages; a hostile or broken engine may return null or a shape that
 * is no array (whose `join` would throw a TypeError in place of the BAD_INPUT_SHAPE).
 */
export function describeOutput(out: unknown): { shape: string; length: string } {
  const o = isRecord(out) ? out : {};
  const shape = Array.isArray(o.shape)
    ? `[${o.shape.map((d) => showValue(d)).join(', ')}]`
    : showValue(o.shape);
  const length = ArrayBuffer.isView(o.data) ? String((o.data as Float32Array).length) : showValue(o.data);
  return { shape, length };
}

/** Add one batch of SR chips, feather-weighted, into the output planes. */
function accumulate(run: ChipRun, weights: FeatherWeights, out: PredictOutput, indices: number[]): void {
  const { grid, planes, engine } = run;
  const [oh, ow] = grid.outChip;
  const outC = planes.length;
  const xs = grid.x.origins;
  const ys = grid.y.origins;
  const expected = [indices.length, 1, outC, oh, ow];
  if (!outputFits(out, expected)) {
    const got = describeOutput(out);
    throw new SrnetError(
      'BAD_INPUT_SHAPE',
      `engine '${engine.name}' returned chips of shape ${got.shape}, expected [${expected.join(', ')}] for a batch of ${indices.length} from its config (${got.length} values, ${expected.reduce((a, b) => a * b, 1)} needed)`,
      { shape: out?.shape, expected },
    );
  }
  for (let slot = 0; slot < indices.length; slot++) {
    const index = indices[slot] as number;
    const cy = Math.floor(index / xs.length);
    const cx = index % xs.length;
    const Y0 = grid.y.outOrigins[cy] as number;
    const X0 = grid.x.outOrigins[cx] as number;
    addWeightedChip(
      planes,
      grid.x.outLength,
      Y0,
      X0,
      Math.min(oh, grid.y.outLength - Y0),
      Math.min(ow, grid.x.outLength - X0),
      weights.get(oh, grid.y.rampOut, cy === 0, cy === ys.length - 1),
      weights.get(ow, grid.x.rampOut, cx === 0, cx === xs.length - 1),
      out.data,
      slot * outC * oh * ow,
      oh,
      ow,
    );
  }
}

/** Sum over one axis of every chip's feathering weights (the separable blend weight along that axis). */
function axisWeightSums(axis: ChipAxis, len: number, weights: FeatherWeights): Float64Array {
  const sum = new Float64Array(axis.outLength);
  const n = axis.outOrigins.length;
  for (let i = 0; i < n; i++) {
    const o = axis.outOrigins[i] as number;
    const w = weights.get(len, axis.rampOut, i === 0, i === n - 1);
    for (let k = 0; k < len && o + k < axis.outLength; k++)
      sum[o + k] = (sum[o + k] as number) + (w[k] as number);
  }
  return sum;
}

/** Divide every plane by the separable weight `Sy[Y]·Sx[X]`. */
function divideBySeparable(planes: readonly Float32Array[], Sy: Float64Array, Sx: Float64Array): void {
  const OW = Sx.length;
  for (let ch = 0; ch < planes.length; ch++) {
    const plane = planes[ch] as Float32Array;
    for (let Y = 0; Y < Sy.length; Y++) {
      const sy = Sy[Y] as number;
      for (let X = 0; X < OW; X++)
        plane[Y * OW + X] = (plane[Y * OW + X] as number) / (sy * (Sx[X] as number));
    }
  }
}

/** Divide the accumulated planes by the blend weights: separable, so the weight at (Y, X) is Sy[Y]·Sx[X]. */
function normaliseByWeights(run: ChipRun, weights: FeatherWeights): void {
  const { grid, planes } = run;
  divideBySeparable(
    planes,
    axisWeightSums(grid.y, grid.outChip[0], weights),
    axisWeightSums(grid.x, grid.outChip[1], weights),
  );
}

/**
 * Run every chip of the grid through `engine.predict` in batches (the next batch is cut before the current one
 * is awaited), feather-blend them into the output planes and normalise by the blend weights.
 *
 * @throws SrnetError `BAD_INPUT_SHAPE` (engine output of the wrong shape), `ABORTED`.
 */
export async function runChips(input: SceneInput, run: ChipRun): Promise<void> {
  const { engine, grid, batchSize, signal } = run;
  const chip = grid.chipSize;
  const perChip = input.revisits * input.channels * chip * chip;
  const xs = grid.x.origins;
  const ys = grid.y.origins;
  const total = grid.count;
  const weights = new FeatherWeights();
  let inflight: { promise: Promise<PredictOutput>; indices: number[] } | null = null;
  let done = 0;
  const drain = async (): Promise<void> => {
    if (!inflight) return;
    accumulate(run, weights, await inflight.promise, inflight.indices);
    done += inflight.indices.length;
    run.onChips?.(done, total);
  };
  for (let start = 0; start < total; start += batchSize) {
    if (signal?.aborted) {
      await inflight?.promise.catch(() => undefined);
      throw abortError(signal);
    }
    const count = Math.min(batchSize, total - start);
    const data = new Float32Array(count * perChip);
    const indices = Array.from({ length: count }, (_, i) => start + i);
    for (const [slot, index] of indices.entries()) {
      const y0 = ys[Math.floor(index / xs.length)] as number;
      const x0 = xs[index % xs.length] as number;
      fillRegion(input, data, slot * perChip, x0, y0, chip, chip);
    }
    // Promise.resolve: an engine answering synchronously (no promise) used to throw a TypeError at .catch
    const promise = Promise.resolve(
      engine.predict({ data, shape: [count, input.revisits, input.channels, chip, chip] }, { signal }),
    );
    promise.catch(() => undefined); // handled in drain(); no unhandled rejection while the previous batch drains
    await drain();
    inflight = { promise, indices };
  }
  await drain();
  normaliseByWeights(run, weights);
}
