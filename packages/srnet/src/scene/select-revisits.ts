// Which revisits feed the model: the best R of a longer list, or a shorter list padded to R.
import type { Raster } from '@worldstrat/raster-io';
import {
  argumentError,
  checkArray,
  checkNumber,
  checkOptions,
  checkRasterArg,
} from '../internal/check-arguments.js';

/** Checks band indices: whole numbers ≥ 0 (a band a raster lacks counts as missing everywhere). */
function checkBandIndices(fn: string, bands: unknown): number[] {
  for (const [i, b] of checkArray<unknown>(fn, 'bands', bands, 'BAD_BANDS').entries())
    if (!Number.isSafeInteger(b) || (b as number) < 0)
      argumentError(fn, `bands[${i}]`, 'a band index ≥ 0', b, 'BAD_BANDS');
  return bands as number[];
}

/** Checks an optional cloud mask: absent, or a raster with at least one band. */
function checkCloudMask(fn: string, name: string, mask: unknown): void {
  if (mask === undefined || mask === null) return;
  checkRasterArg(fn, name, mask, 'SCENE_SIZE_MISMATCH');
}

/** How revisit slots beyond the available revisits are filled. */
export type RevisitPadding = 'repeat' | 'zeros';

/** The revisit choice for a scene. */
export interface RevisitSelection {
  /** Indices (into the scene) of the revisits used, in the given order. */
  used: number[];
  /** For each of the model's R slots: the scene index it reads, or -1 for an all-zero (band-mean) slot. */
  slots: number[];
  /** Per scene revisit: fraction of pixels that are NaN/nodata in any used band, or cloudy/no-data in its mask. */
  badFraction: number[];
  /** The rule, in words (for logs and reports). */
  rule: string;
}

/**
 * True when a value is missing: NaN, ±Infinity, equal to the raster's noData, or beyond `maxAbs` in magnitude
 * (an implausible value, see `superResolve`'s `maxAbsValue`).
 */
export function isMissing(value: number, noData: number | null | undefined, maxAbs = Infinity): boolean {
  return (
    !Number.isFinite(value) ||
    Math.abs(value) > maxAbs ||
    (noData !== undefined && noData !== null && value === noData)
  );
}

/**
 * A raster's noData as its pixels of `band` hold it (internal): NaN for none (NaN equals nothing), else the value
 * in the band's own precision. A float32 band stores `fround(noData)` (GDAL compares so; raster-io's reader and
 * quicklook too), so noData -9999.9 on a float32 band must match -9999.900390625, not mark it valid.
 */
export function bandNoData(band: ArrayLike<number> | undefined, noData: number | null | undefined): number {
  if (noData === undefined || noData === null) return Number.NaN;
  const nd = Number(noData);
  return band instanceof Float32Array ? Math.fround(nd) : nd;
}

/**
 * Sets `missing[p] = 1` for every pixel of `band` that {@link isMissing} calls missing (internal). One typed
 * loop per band: a call per value boxed every float sample on the heap. An absent band is missing everywhere.
 */
export function markMissing(
  band: ArrayLike<number> | undefined,
  noData: number | null | undefined,
  maxAbs: number,
  missing: Uint8Array,
): void {
  if (band === undefined) {
    missing.fill(1);
    return;
  }
  const nd = bandNoData(band, noData);
  for (let p = 0; p < missing.length; p++) {
    const v = band[p] as number;
    if (!Number.isFinite(v) || Math.abs(v) > maxAbs || v === nd) missing[p] = 1;
  }
}

/**
 * Fraction of bad pixels of one revisit: a pixel is bad when any of `bands` is missing (NaN / ±Inf / noData /
 * |value| > `maxAbs`) or, with a cloud mask (SentinelHub CLM: 0 clear, 1 cloud, 255 no data), when the mask is not 0.
 */
export function badPixelFraction(
  raster: Raster,
  bands: number[],
  cloudMask?: Raster,
  maxAbs = Infinity,
): number {
  const fn = 'badPixelFraction';
  checkRasterArg(fn, 'raster', raster, 'SCENE_SIZE_MISMATCH');
  checkBandIndices(fn, bands);
  checkCloudMask(fn, 'cloudMask', cloudMask);
  if (typeof maxAbs !== 'number' || !(maxAbs >= 0))
    argumentError(fn, 'maxAbs', 'a number ≥ 0 (Infinity: no bound)', maxAbs, 'BAD_SCENE_OPTIONS');
  const n = raster.width * raster.height;
  if (n === 0) return 1;
  const badPixels = new Uint8Array(n);
  const mask = cloudMask?.bands[0];
  if (mask !== undefined) for (let p = 0; p < n; p++) if ((mask[p] as number) !== 0) badPixels[p] = 1;
  for (const b of bands) markMissing(raster.bands[b], raster.noData, maxAbs, badPixels);
  let bad = 0;
  for (let p = 0; p < n; p++) bad += badPixels[p] as number;
  return bad / n;
}

/**
 * Choose the revisits for a model with `modelRevisits` slots.
 *
 * - More revisits than slots: rank by bad-pixel fraction (NaN/nodata, plus cloud if masks are given),
 *   ascending; ties keep the given order (WorldStrat's files are already ranked by date distance + cloud
 *   cover, so the given order is the fallback quality rank). The chosen revisits are fed in their given order.
 * - Fewer: `repeat` (default) cycles through the available revisits (slot j reads revisit j mod n), so
 *   every slot holds a real observation — SRCNN-MF packs each slot into its own channels and HighRes-net
 *   fuses slot r with r + R/2, and both were trained on real revisits only; `zeros` fills the missing slots
 *   with zeros in normalised units (the band means).
 */
export function selectRevisits(
  scene: Raster[],
  modelRevisits: number,
  bands: number[],
  options: { padding?: RevisitPadding; cloudMasks?: (Raster | undefined)[]; maxAbs?: number } = {},
): RevisitSelection {
  const fn = 'selectRevisits';
  for (const [i, r] of checkArray<unknown>(fn, 'scene', scene, 'SCENE_SIZE_MISMATCH').entries())
    checkRasterArg(fn, `scene[${i}]`, r, 'SCENE_SIZE_MISMATCH');
  if (scene.length === 0)
    argumentError(fn, 'scene', 'a non-empty array of revisits', scene, 'SCENE_SIZE_MISMATCH');
  checkNumber(fn, 'modelRevisits', modelRevisits, 'BAD_REVISITS', { integer: true, min: 1, max: 1 << 16 });
  checkBandIndices(fn, bands);
  const o = checkOptions(fn, options, 'BAD_SCENE_OPTIONS');
  if (o.padding !== undefined && o.padding !== 'repeat' && o.padding !== 'zeros')
    argumentError(fn, 'options.padding', "'repeat' or 'zeros'", o.padding, 'BAD_SCENE_OPTIONS');
  if (o.cloudMasks !== undefined) checkArray(fn, 'options.cloudMasks', o.cloudMasks, 'SCENE_SIZE_MISMATCH');
  options = o;
  const padding = options.padding ?? 'repeat';
  const badFraction = scene.map((r, i) =>
    badPixelFraction(r, bands, options.cloudMasks?.[i], options.maxAbs),
  );
  let used = scene.map((_, i) => i);
  let rule: string;
  if (scene.length > modelRevisits) {
    used = [...used]
      .sort((a, b) => (badFraction[a] as number) - (badFraction[b] as number) || a - b)
      .slice(0, modelRevisits)
      .sort((a, b) => a - b);
    rule = `picked ${modelRevisits} of ${scene.length} revisits with the fewest bad pixels (ties: given order)`;
  } else if (scene.length < modelRevisits) {
    rule =
      padding === 'repeat'
        ? `${scene.length} revisits repeated cyclically to fill ${modelRevisits} slots`
        : `${scene.length} revisits plus ${modelRevisits - scene.length} zero (band-mean) slots`;
  } else {
    rule = `all ${scene.length} revisits`;
  }
  const slots = Array.from({ length: modelRevisits }, (_, j) => {
    if (j < used.length) return used[j] as number;
    return padding === 'repeat' ? (used[j % used.length] as number) : -1;
  });
  return { used, slots, badFraction, rule };
}
