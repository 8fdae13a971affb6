// Where a read's pixels go: new bands or the caller's (`into`), and for worker decoding, shared memory the
// workers can write. Decoders get `targets()`; the caller gets `finish()`.
import { RasterIoError } from '../errors.js';
import { DTYPE_ARRAY, DTYPE_BYTES, isSharedMemory } from '../internal/typed-array.js';
import type { DType, RasterArray } from '../types.js';
import { sharedScratch } from './scratch-pool.js';

export interface OutputBandsPlan {
  dtype: DType;
  /** Samples per band (window width × height). */
  length: number;
  count: number;
  /** The caller's bands, checked by {@link checkInto}. */
  into?: readonly RasterArray[] | undefined;
  /** Workers decode: targets must be shared memory. */
  shared: boolean;
  /** Value of pixels no block writes (sparse or salvaged blocks). */
  fill: number;
  /**
   * Whether some pixels may be left unwritten by the blocks (sparse blocks, or `onCorruptBlock: 'fill'`).
   * When false every pixel of the window is written, so reused memory needs no clearing first.
   */
  gaps: boolean;
}

export interface OutputBands {
  /** The bands decoders write into; allocated (and cleared where needed) on first use. */
  targets(): RasterArray[];
  /**
   * When workers decode into shared scratch for new plain bands: allocate those bands now and touch their
   * pages, so the page faults of new memory happen on this otherwise idle thread while the workers decode,
   * not in the copy after them. A no-op otherwise.
   */
  prefault(): void;
  /** The caller's bands once every block is placed (copied out of shared scratch when workers decoded). */
  finish(): RasterArray[];
}

export function outputBands(plan: OutputBandsPlan): OutputBands {
  let targets: RasterArray[] | undefined;
  let scratch = false;
  const get = (): RasterArray[] => {
    if (targets) return targets;
    const into = plan.into;
    if (into && (!plan.shared || into.every(isSharedMemory))) {
      if (plan.gaps) for (const band of into) band.fill(plan.fill as never);
      targets = [...into];
      return targets;
    }
    scratch = plan.shared;
    targets = Array.from({ length: plan.count }, () => {
      const { band, fresh } = allocateBand(plan.dtype, plan.length, plan.shared);
      if (plan.gaps && (plan.fill !== 0 || !fresh)) band.fill(plan.fill as never);
      return band;
    });
    return targets;
  };
  let plain: RasterArray[] | undefined;
  return {
    targets: get,
    prefault() {
      if (!plan.shared || plan.into || plain) return;
      const Ctor = DTYPE_ARRAY[plan.dtype];
      plain = Array.from({ length: plan.count }, () => new Ctor(plan.length).fill(0 as never));
    },
    finish() {
      const decoded = get();
      if (!scratch) return decoded;
      // shared memory is for the workers only: callers get plain memory (or the bands they passed)
      return decoded.map((band, i) => {
        const out = plan.into?.[i] ?? plain?.[i] ?? band.slice();
        if (out !== band) out.set(band as never);
        sharedScratch.give(band);
        return out;
      });
    },
  };
}

/** A band to decode into: plain and zeroed, or for workers, shared scratch that may hold an earlier read's data. */
function allocateBand(dtype: DType, length: number, shared: boolean): { band: RasterArray; fresh: boolean } {
  const Ctor = DTYPE_ARRAY[dtype];
  if (!shared) return { band: new Ctor(length), fresh: true };
  const { view, fresh } = sharedScratch.take(length * DTYPE_BYTES[dtype]);
  return { band: new Ctor(view.buffer, 0, length), fresh };
}

/**
 * Check the caller's `into` bands: one per band read, each a typed array of the level's dtype (by its tag, so
 * arrays from other realms pass) holding exactly `length` samples, no two overlapping in memory.
 */
export function checkInto(
  into: unknown,
  dtype: DType,
  length: number,
  count: number,
  name: string,
): asserts into is readonly RasterArray[] {
  const bad = (why: string): never => {
    throw new RasterIoError('INVALID_ARGUMENT', `${name}: ${why}`);
  };
  if (!Array.isArray(into)) return bad('into must be an array of typed arrays, one per band read');
  if (into.length !== count) bad(`into holds ${into.length} array(s) for ${count} band(s) read`);
  const tag = `[object ${DTYPE_ARRAY[dtype].name}]`;
  const ranges = new Map<ArrayBufferLike, [number, number][]>();
  for (const [i, band] of into.entries()) {
    if (!ArrayBuffer.isView(band) || Object.prototype.toString.call(band) !== tag) {
      bad(`into[${i}] must be a ${DTYPE_ARRAY[dtype].name} (the file's ${dtype} samples)`);
    }
    const view = band as RasterArray;
    if (view.length !== length) {
      bad(`into[${i}] holds ${view.length} samples; the window needs ${length} (width × height)`);
    }
    const list = ranges.get(view.buffer) ?? [];
    list.push([view.byteOffset, view.byteOffset + view.byteLength]);
    ranges.set(view.buffer, list);
  }
  for (const list of ranges.values()) {
    list.sort((a, b) => a[0] - b[0]);
    for (let k = 1; k < list.length; k++) {
      if ((list[k] as [number, number])[0] < (list[k - 1] as [number, number])[1]) {
        bad('into arrays overlap in memory: each band needs memory of its own');
      }
    }
  }
}
