// The 3×3 chip grid of upstream's CropDict.

import { bankersRound } from '@worldstrat/core';
import { DatasetError } from '../errors.js';
import { checkInteger, checkOptions, checkTypedArray } from '../internal/check-arguments.js';
import { JIF_GEOMETRY } from './constants.js';

/** Most windows {@link chipWindows} lists (upstream's grid is 3 × 3). */
const MAX_WINDOWS = 1 << 20;

/** One chip: LR window and the matching HR window (HR offsets use Python's round-half-even). */
export interface ChipWindow {
  /** Chip index k (0..8): left = chip·⌊k/3⌋, top = chip·(k mod 3). */
  index: number;
  lr: { top: number; left: number; size: number };
  hr: { top: number; left: number; size: number };
}

/** Options of {@link chipWindows}. */
export interface ChipWindowsOptions {
  lrSize?: number;
  hrSize?: number;
  chip?: number;
  stride?: number;
}

/**
 * The chip windows of one scene, in upstream order (outer loop over columns, inner over rows).
 * With the defaults (LR 160, HR 500, chip 50): LR offsets 0/50/100, HR offsets 0/156/312, HR chip 156.
 *
 * @param options - LR/HR sizes, chip size and stride.
 * @returns the windows, k = 0..n²−1.
 * @throws {DatasetError} `INVALID_ARGUMENT` when the chip does not fit the LR side, or its HR window (offset and
 *   size both `round(hrSize / lrSize × LR value)`, half to even, like upstream) is empty or runs past the HR side.
 * @example
 * ```ts
 * chipWindows()[7]; // { index: 7, lr: { top: 50, left: 100, size: 50 }, hr: { top: 156, left: 312, size: 156 } }
 * ```
 */
export function chipWindows(options?: ChipWindowsOptions): ChipWindow[] {
  const o = checkOptions('chipWindows', options);
  const size = (key: keyof ChipWindowsOptions, fallback: number): number =>
    o[key] === undefined ? fallback : checkInteger('chipWindows', `options.${key}`, o[key], 1);
  const lrSize = size('lrSize', JIF_GEOMETRY.lrInput);
  const hrSize = size('hrSize', JIF_GEOMETRY.hrOutput);
  const chip = size('chip', JIF_GEOMETRY.chip);
  const stride = size('stride', chip);
  if (chip < 1 || chip > lrSize || stride < 1) {
    throw new DatasetError(
      'INVALID_ARGUMENT',
      `chip ${chip} / stride ${stride} does not fit an LR side of ${lrSize}`,
    );
  }
  const perSide = Math.floor((lrSize - chip) / stride) + 1;
  if (perSide * perSide > MAX_WINDOWS) {
    throw new DatasetError(
      'INVALID_ARGUMENT',
      `chipWindows: chip ${chip} / stride ${stride} on an LR side of ${lrSize} makes ${perSide}² windows, more than ${MAX_WINDOWS}`,
    );
  }
  const offsets: number[] = [];
  for (let o = 0; o <= lrSize - chip; o += stride) offsets.push(o);
  const ratio = hrSize / lrSize;
  const hrChip = bankersRound(ratio * chip);
  checkHrFits(offsets[offsets.length - 1], { lrSize, hrSize, chip, hrChip });
  const out: ChipWindow[] = [];
  for (const left of offsets) {
    for (const top of offsets) {
      out.push({
        index: out.length,
        lr: { top, left, size: chip },
        hr: { top: bankersRound(ratio * top), left: bankersRound(ratio * left), size: hrChip },
      });
    }
  }
  return out;
}

/**
 * Upstream rounds the HR offset and the HR size separately, so the last window can end past the HR image (20 → 23
 * px, chip 10: top 12, size 12); such windows (and empty ones) are refused, never returned to be cropped.
 */
function checkHrFits(
  lastOffset: number,
  g: { lrSize: number; hrSize: number; chip: number; hrChip: number },
): void {
  const top = bankersRound((g.hrSize / g.lrSize) * lastOffset);
  if (g.hrChip >= 1 && top + g.hrChip <= g.hrSize) return;
  throw new DatasetError(
    'INVALID_ARGUMENT',
    `chipWindows: options.chip ${g.chip} on an LR side of ${g.lrSize} maps to HR windows of ${g.hrChip} px, the last at ${top}: outside an HR side of ${g.hrSize}`,
  );
}

/**
 * Crop a square window from every plane of a planar stack.
 *
 * @param data - (P, H, W) planes.
 * @param planes - P.
 * @param height - H.
 * @param width - W.
 * @param top - first row.
 * @param left - first column.
 * @param size - side of the window.
 * @returns (P, size, size).
 * @example
 * ```ts
 * const c = cropPlanes(lr160, 96, 160, 160, 50, 100, 50);
 * ```
 */
export function cropPlanes(
  data: Float32Array,
  planes: number,
  height: number,
  width: number,
  top: number,
  left: number,
  size: number,
): Float32Array {
  checkTypedArray('cropPlanes', 'data', data);
  checkInteger('cropPlanes', 'planes', planes, 0);
  checkInteger('cropPlanes', 'height', height, 0);
  checkInteger('cropPlanes', 'width', width, 0);
  checkInteger('cropPlanes', 'top', top, 0);
  checkInteger('cropPlanes', 'left', left, 0);
  checkInteger('cropPlanes', 'size', size, 0);
  if (data.length < planes * height * width) {
    throw new DatasetError(
      'SHAPE_MISMATCH',
      `cropPlanes: ${data.length} values do not hold ${planes}×${height}×${width} planes`,
    );
  }
  if (top < 0 || left < 0 || top + size > height || left + size > width) {
    throw new DatasetError(
      'INVALID_ARGUMENT',
      `window ${top},${left}+${size} outside a ${height}×${width} image`,
    );
  }
  const out = new Float32Array(planes * size * size);
  for (let p = 0; p < planes; p++) {
    for (let r = 0; r < size; r++) {
      const src = p * height * width + (top + r) * width + left;
      out.set(data.subarray(src, src + size), (p * size + r) * size);
    }
  }
  return out;
}
