// Where the overlapping LR chips of a scene go, and where their SR outputs land on the output grid.
import { SrnetError } from '../errors.js';
import { argumentError, checkNumber } from '../internal/check-arguments.js';

/** Largest chip side (LR px) the overlap search accepts: it walks the candidate overlaps one by one. */
const MAX_CHIP_SIZE = 1 << 16;

/** The chip layout along one axis. */
export interface ChipAxis {
  /** LR pixels of the scene along this axis. */
  length: number;
  /** LR origins of the chips (multiples of `unit`; the last chips may reach into mirrored padding). */
  origins: number[];
  /** Output-grid origins of the chips (`origin · outChip / chip`, always whole pixels). */
  outOrigins: number[];
  /** LR stride between chips (`chip − overlap`). */
  stride: number;
  /** Output pixels along this axis: `round(length · scale)`. */
  outLength: number;
  /** Output pixels per LR pixel (`outChip / chip`, e.g. 156/50 = 3.12). */
  scale: number;
  /** Smallest LR step whose output is a whole number of pixels (`chip / gcd(chip, outChip)`, 25 for 50→156). */
  unit: number;
  /** Output pixels of the feathering ramp (`overlap · scale`). */
  rampOut: number;
}

/** The 2-D chip grid of a scene. */
export interface ChipGrid {
  chipSize: number;
  overlap: number;
  /** Model output chip size [outH, outW]. */
  outChip: [number, number];
  x: ChipAxis;
  y: ChipAxis;
  /** Number of chips (`x.origins.length · y.origins.length`). */
  count: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Overlaps (LR px) that put every chip output on whole output pixels, for one chip/output size pair. */
export function validOverlaps(chipSize: number, outChip: number): number[] {
  const unit = chipSize / gcd(chipSize, outChip);
  const out: number[] = [];
  for (let o = 0; o < chipSize; o += unit) out.push(o);
  return out;
}

/**
 * The default overlap: the smallest valid overlap ≥ chipSize/4 on both axes (25 LR px for 50 → 156), or 0 when
 * only 0 is valid.
 */
export function defaultOverlap(chipSize: number, outChip: [number, number]): number {
  const fn = 'defaultOverlap';
  checkNumber(fn, 'chipSize', chipSize, 'BAD_SCENE_OPTIONS', { integer: true, min: 1, max: MAX_CHIP_SIZE });
  if (
    !Array.isArray(outChip) ||
    outChip.length !== 2 ||
    !outChip.every((v) => Number.isSafeInteger(v) && v >= 1)
  )
    argumentError(fn, 'outChip', 'two positive integers [height, width]', outChip, 'BAD_SCENE_OPTIONS');
  const ys = validOverlaps(chipSize, outChip[0]);
  const xs = new Set(validOverlaps(chipSize, outChip[1]));
  return ys.find((o) => o >= chipSize / 4 && xs.has(o)) ?? 0;
}

function planAxis(
  length: number,
  chipSize: number,
  overlap: number,
  outChip: number,
  axis: string,
): ChipAxis {
  const unit = chipSize / gcd(chipSize, outChip);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= chipSize || overlap % unit !== 0) {
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `overlap ${overlap} is not usable on the ${axis} axis: chip origins must be multiples of ${unit} LR px so that each ${chipSize}-px chip's ${outChip}-px output lands on whole output pixels (scale ${outChip}/${chipSize}); use one of ${validOverlaps(chipSize, outChip).join(', ')}`,
      { overlap, valid: validOverlaps(chipSize, outChip) },
    );
  }
  const stride = chipSize - overlap;
  const count = length <= chipSize ? 1 : 1 + Math.ceil((length - chipSize) / stride);
  const origins = Array.from({ length: count }, (_, i) => i * stride);
  const scale = outChip / chipSize;
  return {
    length,
    origins,
    outOrigins: origins.map((o) => (o * outChip) / chipSize),
    stride,
    outLength: Math.round(length * scale),
    scale,
    unit,
    rampOut: (overlap * outChip) / chipSize,
  };
}

/**
 * Plan the chips of a `width × height` LR scene: chips of `chipSize` LR px at stride `chipSize − overlap`,
 * the last row/column reaching into mirrored padding when the scene is not a whole number of strides, and
 * the output grid at `outChip / chipSize` output px per LR px.
 *
 * @throws SrnetError `BAD_SCENE_OPTIONS` for an overlap that would put chip outputs between output pixels.
 */
export function planChipGrid(
  width: number,
  height: number,
  chipSize: number,
  overlap: number,
  outChip: [number, number],
): ChipGrid {
  if (!Number.isInteger(chipSize) || chipSize < 1)
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `chipSize ${chipSize} must be a positive integer (the model's training chip is 50)`,
    );
  const x = planAxis(width, chipSize, overlap, outChip[1], 'x');
  const y = planAxis(height, chipSize, overlap, outChip[0], 'y');
  return {
    chipSize,
    overlap,
    outChip: [outChip[0], outChip[1]],
    x,
    y,
    count: x.origins.length * y.origins.length,
  };
}

/**
 * Feathering weights of one chip along one axis (length = output chip size): a linear ramp
 * `(i + 0.5) / ramp` over the overlap on each side that has a neighbour, 1 elsewhere. Two overlapping ramps
 * sum to exactly 1, so blending a constant gives that constant.
 */
export function featherWeights(
  outChip: number,
  rampOut: number,
  taperStart: boolean,
  taperEnd: boolean,
): Float32Array {
  const w = new Float32Array(outChip);
  for (let i = 0; i < outChip; i++) {
    let v = 1;
    if (rampOut > 0) {
      if (taperStart) v = Math.min(v, (i + 0.5) / rampOut);
      if (taperEnd) v = Math.min(v, (outChip - i - 0.5) / rampOut);
    }
    w[i] = v;
  }
  return w;
}

/** Mirror an index into [0, n) without repeating the edge (PyTorch/NumPy `reflect`), for any overshoot. */
export function reflectIndex(i: number, n: number): number {
  checkNumber('reflectIndex', 'i', i, 'BAD_SCENE_OPTIONS', { integer: true });
  checkNumber('reflectIndex', 'n', n, 'BAD_SCENE_OPTIONS', { integer: true, min: 1 });
  return reflect(i, n);
}

/** {@link reflectIndex} without the argument checks, for per-pixel loops (internal). */
export function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}
