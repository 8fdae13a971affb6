// Whole-scene super-resolution: choose revisits, normalise, run any InferenceEngine over large seamless tiles
// (or upstream's overlapping chips, feather-blended) into one georeferenced output raster.
import {
  findMagnitudeMismatch,
  findSampleKindMismatch,
  type GeoBlock,
  type GeoTransform,
  type Raster,
  rasterSampleType,
  SCALE_RATIO_LIMIT,
  typicalMagnitude,
} from '@worldstrat/raster-io';
import type { InferenceEngine } from '../engine.js';
import { SrnetError } from '../errors.js';
import {
  argumentError,
  checkArray,
  checkArrayLike,
  checkFunction,
  checkNumber,
  checkObject,
  checkRasterArg,
  checkSignal,
  isRecord,
} from '../internal/check-arguments.js';
import { showValue } from '../internal/show-value.js';
import { type ChipGrid, defaultOverlap, planChipGrid } from './chip-grid.js';
import { runChips } from './chip-plan.js';
import { type BandNormalisation, JIF_S2_NORMALISATION } from './normalisation.js';
import { lrValidity, type SceneInput } from './scene-input.js';
import { checkCallSize, checkedOutputGrid } from './scene-limits.js';
import { bandNoData, type RevisitPadding, type RevisitSelection, selectRevisits } from './select-revisits.js';
import { DEFAULT_TILE_SIZE, planTileGrid, receptiveRadius, runTiles, type TileGrid } from './tile-plan.js';

/** Progress of {@link superResolve}: `select` (revisit ranking) then `infer` (tiles or chips done of total). */
export interface SceneProgress {
  stage: 'select' | 'infer';
  done: number;
  total: number;
}

/** Options of {@link superResolve}. */
export interface SuperResolveOptions {
  /** The model to run (ONNX Runtime or TF.js engine). */
  engine: InferenceEngine;
  /**
   * `seamless`: large tiles with a margin covering the receptive field, run without the final resize and
   * cropped, so each output pixel is computed once and equals one whole-scene pass (needs an engine with
   * `predictUnresized`: the srnet ONNX and TF.js engines). `chips`: upstream's overlapping `chipSize` chips
   * through `predict()`, feather-blended (each pixel computed ~4 times; differs from `seamless` only within the
   * receptive field of chip borders). Default `auto`: `seamless` when the engine supports it and no `overlap` is
   * given, else `chips`.
   */
  tiling?: 'auto' | 'seamless' | 'chips';
  /**
   * `seamless` tile side in LR px, margins included (default: the engine's `seamlessTileSize`, 384 for the Node
   * ONNX engine, else 256). Memory grows with its square.
   */
  tileSize?: number;
  /** LR chip size the model was trained on (default 50): fixes the scale `outputSize / chipSize` in both tilings. */
  chipSize?: number;
  /**
   * `chips` tiling: LR pixels shared by neighbouring chips (default: the smallest valid overlap ≥ chipSize/4,
   * i.e. 25 for 50 → 156). Must be a multiple of `chipSize / gcd(chipSize, outputSize)` so chips land on whole
   * output pixels.
   */
  overlap?: number;
  /** `chips` tiling: chips per `predict()` call (default 8). Memory holds two batches of chips at most. */
  batchSize?: number;
  /** 0-based band indices of the rasters to feed, in model channel order (default 0..inChannels−1). */
  bands?: number[];
  /** `'jif'` (default: WorldStrat's 12-band S2 constants), `'none'` (input already normalised) or custom. */
  normalisation?: BandNormalisation | 'jif' | 'none';
  /**
   * Linear conversion of the raster values to reflectance before normalisation: `x · scale + offset`
   * (default 1 and 0: the rasters already hold L2A reflectance, as WorldStrat's do). For L2A DN use
   * `{ scale: 1e-4, offset: -0.1 }` on processing baseline ≥ 04.00 (or raster-io `dnToReflectance` first).
   */
  reflectance?: { scale?: number; offset?: number };
  /**
   * Largest plausible |reflectance| (after `reflectance` scale/offset). Larger finite values (e.g. 1e30 from a
   * broken product) are treated as missing, like NaN, and reported in `warnings`. Default
   * {@link MAX_PLAUSIBLE_REFLECTANCE}; `Infinity` turns the check off.
   */
  maxReflectance?: number;
  /** How to fill model revisit slots when the scene has fewer revisits (default `repeat`). */
  revisitPadding?: RevisitPadding;
  /** Optional cloud masks (SentinelHub CLM, 0 = clear), one per revisit, used only to rank revisits. */
  cloudMasks?: (Raster | undefined)[];
  signal?: AbortSignal;
  onProgress?: (progress: SceneProgress) => void;
}

/** The result of {@link superResolve}. */
export interface SuperResolveResult {
  /** float32 SR raster: `outChannels` bands, `noData` NaN, same CRS, transform scaled by the size ratio. */
  raster: Raster;
  /**
   * 1 where the output is valid, 0 where no revisit had data at the source LR pixel or the engine returned a
   * non-finite value in any band (those pixels are NaN in every band).
   */
  validMask: Uint8Array;
  /** The tiling used (`auto` resolved). */
  tiling: 'seamless' | 'chips';
  /** The chip layout, for the `chips` tiling. */
  grid?: ChipGrid;
  /** The tile layout, for the `seamless` tiling. */
  tiles?: TileGrid;
  /** Which revisits were used and why. */
  revisits: RevisitSelection;
  /** Output pixels per LR pixel, [y, x] (156/50 = 3.12 for the benchmark models). */
  scale: [number, number];
  /** Problems with the used revisits that the product silently works around otherwise (empty bands, absurd values). */
  warnings: SceneWarning[];
}

/**
 * Largest plausible |reflectance|: L2A reflectance is about 0..1.5 and 16-bit DN stay below 65 536, so a
 * magnitude beyond 1e5 is a broken value, not a bright pixel.
 */
export const MAX_PLAUSIBLE_REFLECTANCE = 1e5;

/**
 * A problem with one band of one used revisit. `EMPTY_BAND`: no pixel of the band holds data (all NaN / ±Inf /
 * noData / implausible), so the revisit contributes nothing there and its slot is filled from the others.
 * `IMPLAUSIBLE_VALUES`: `count` finite pixels exceed `maxReflectance`; they are treated as missing.
 */
export interface SceneWarning {
  code: 'EMPTY_BAND' | 'IMPLAUSIBLE_VALUES';
  /** Index of the revisit in the scene. */
  revisit: number;
  /** 0-based band index of the raster. */
  band: number;
  /** Pixels affected. */
  count: number;
  message: string;
}

/** Per band: NaN, ±Inf or noData values, values beyond `maxAbsRaw` in magnitude, and the largest of those. */
function countMissingAndAbsurd(
  data: ArrayLike<number>,
  noData: Raster['noData'],
  maxAbsRaw: number,
): { missing: number; absurd: number; worst: number } {
  const nd = bandNoData(data, noData);
  let missing = 0;
  let absurd = 0;
  let worst = 0;
  for (let p = 0; p < data.length; p++) {
    const v = data[p] as number; // inline tests, no call: a call per value boxed float samples
    if (!Number.isFinite(v) || v === nd) missing++;
    else if (Math.abs(v) > maxAbsRaw) {
      absurd++;
      if (Math.abs(v) > Math.abs(worst)) worst = v;
    }
  }
  return { missing, absurd, worst };
}

/** Scan the used bands of the used revisits for empty bands and implausible values. */
function sceneWarnings(
  scene: Raster[],
  used: number[],
  bands: number[],
  maxAbsRaw: number,
  maxReflectance: number,
): SceneWarning[] {
  const out: SceneWarning[] = [];
  for (const i of used) {
    const r = scene[i] as Raster;
    for (const b of bands) {
      const data = r.bands[b] as ArrayLike<number>;
      const { missing, absurd, worst } = countMissingAndAbsurd(data, r.noData, maxAbsRaw);
      if (absurd > 0)
        out.push({
          code: 'IMPLAUSIBLE_VALUES',
          revisit: i,
          band: b,
          count: absurd,
          message: `revisit ${i} band ${b}: ${absurd} pixel(s) beyond ±${maxReflectance} reflectance (e.g. ${Number(worst.toPrecision(3))}); treated as missing`,
        });
      if (missing + absurd === data.length)
        out.push({
          code: 'EMPTY_BAND',
          revisit: i,
          band: b,
          count: data.length,
          message: `revisit ${i} band ${b} holds no valid pixel (${missing} NaN/Inf/noData, ${absurd} implausible); filled from the other revisits`,
        });
    }
  }
  return out;
}

/** GeoKeys that say nothing about the CRS: raster type (the transform is PixelIsArea already) and citations. */
const NON_CRS_GEOKEYS = new Set(['1025', '1026', '2049', '3073']);

/** The CRS-defining GeoKeys as comparable text (a CRS without an EPSG code, `epsg` 0, is only its keys). */
function crsKeysText(keys: GeoBlock['geoKeys']): string {
  const o: unknown = keys;
  if (!isRecord(o)) return '';
  const entries = Object.keys(o)
    .filter((k) => !NON_CRS_GEOKEYS.has(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => [
      k,
      Array.isArray(o[k]) || ArrayBuffer.isView(o[k]) ? Array.from(o[k] as ArrayLike<unknown>) : o[k],
    ]);
  return JSON.stringify(entries);
}

function sameTransform(a: GeoTransform, b: GeoTransform): boolean {
  const tol = 1e-6 * Math.max(Math.abs(a[1]), Math.abs(a[5]), 1e-12);
  return a.every((v, i) => Math.abs(v - (b[i] as number)) <= tol);
}

/** Checks the scene argument is an array of rasters whose `geo`, when present, has an EPSG code and six numbers. */
function checkSceneArgument(fn: string, scene: unknown): void {
  for (const [i, r] of checkArray<unknown>(fn, 'scene', scene, 'SCENE_SIZE_MISMATCH').entries()) {
    checkRasterArg(fn, `scene[${i}]`, r, 'SCENE_SIZE_MISMATCH');
    // a string "-9999" used to mask pixels in one test and feed them to the model as -9999 in another
    const noData = (r as Raster).noData as unknown;
    if (noData !== undefined && noData !== null && typeof noData !== 'number')
      argumentError(fn, `scene[${i}].noData`, 'a number or null', noData, 'BAD_REVISITS');
    const geo = (r as Raster).geo as unknown;
    if (geo === undefined || geo === null) continue;
    if (!isRecord(geo) || !Number.isSafeInteger(geo.epsg))
      argumentError(
        fn,
        `scene[${i}].geo`,
        '{ epsg, transform } with an integer EPSG code',
        geo,
        'MISSING_GEOREFERENCING',
      );
    checkTransform(fn, `scene[${i}].geo.transform`, geo.transform);
  }
}

/** A geotransform: six finite numbers. */
function isTransform(t: unknown): t is GeoTransform {
  return (
    (Array.isArray(t) || ArrayBuffer.isView(t)) &&
    (t as ArrayLike<unknown>).length === 6 &&
    Array.from(t as ArrayLike<unknown>).every((v) => Number.isFinite(v))
  );
}

/** Checks a geotransform: six finite numbers. */
function checkTransform(fn: string, name: string, t: unknown): void {
  if (!isTransform(t)) argumentError(fn, name, 'six finite numbers', t, 'MISSING_GEOREFERENCING');
}

/**
 * Check that every revisit has the same band count. Bands are fed by position, so a 13-band L1C revisit among
 * 12-band L2A ones would shift every band from B10 on into the wrong model channel.
 */
function checkBandCounts(scene: Raster[]): void {
  const counts = scene.map((r) => r.bands.length);
  const tally = new Map<number, number>();
  for (const n of counts) tally.set(n, (tally.get(n) ?? 0) + 1);
  if (tally.size < 2) return;
  // the usual count (ties: revisit 0's) is the layout; the first revisit off it is named
  let usual = counts[0] as number;
  for (const [n, k] of tally) if (k > (tally.get(usual) as number)) usual = n;
  const i = counts.findIndex((n) => n !== usual);
  throw new SrnetError(
    'BAD_BANDS',
    `revisit ${i} has ${counts[i]} bands but ${tally.get(usual)} of the ${scene.length} revisits have ${usual}; bands are fed by position, so every revisit needs the same band layout (e.g. all L2A, 12 bands): leave it out or convert it`,
    { index: i, bandCount: counts[i], expected: usual },
  );
}

/**
 * Check that every revisit is integer (DN) or every one float (reflectance). Values are fed as they are, with
 * one scene-wide `reflectance` conversion, so a uint16 DN revisit among float reflectance ones would enter
 * the model ×10⁴ off. The conventions (sample type, usual kind with ties to revisit 0) are raster-io's.
 */
function checkSampleTypes(scene: Raster[]): void {
  // the band arrays' type, else the dtype as text (a JSON raster's, whatever it holds)
  const types = scene.map((r) => rasterSampleType(r) ?? String(r.dtype));
  const off = findSampleKindMismatch(types);
  if (!off) return;
  const { index: i, sampleType, expected, count: n } = off;
  throw new SrnetError(
    'BAD_REVISITS',
    `revisit ${i} holds ${sampleType} values but ${n} of the ${scene.length} revisits hold ${expected}: integer DN and float reflectance differ in scale by about 10⁴, and one reflectance conversion applies to the whole scene; convert that revisit (raster-io dnToReflectance) or leave it out`,
    { index: i, dtype: sampleType, expected },
  );
}

/**
 * Check that the revisits' values share one scale. Same-type revisits can still differ: a float32 file of DN
 * among float32 reflectance. Bright (cloud, ~1) and dark (water, ~0.005) reflectance stay within ~200×. Typical
 * magnitudes (of the used bands, implausible values left out), the reference (the revisit on the same scale as
 * the most others, ties: the first) and the SCALE_RATIO_LIMIT are raster-io's.
 */
function checkRevisitScales(scene: Raster[], bands: number[], maxAbsRaw: number): void {
  const typical = scene.map((r) => {
    // noData read as the other missing-value tests here read it: in float32 precision when the used bands are float32
    const nd = bandNoData(
      bands.every((b) => r.bands[b] instanceof Float32Array) ? r.bands[bands[0] as number] : undefined,
      r.noData,
    );
    return typicalMagnitude(
      { bands: r.bands, noData: Number.isNaN(nd) ? null : nd },
      { bands, maxAbs: maxAbsRaw },
    );
  });
  const off = findMagnitudeMismatch(typical);
  if (!off) return;
  const { index: i, reference: ref } = off;
  const show = (v: number) => v.toPrecision(3);
  throw new SrnetError(
    'BAD_REVISITS',
    `revisit ${i} holds values of typical magnitude ${show(off.magnitude)} but revisit ${ref} holds ${show(off.referenceMagnitude)}: over ${SCALE_RATIO_LIMIT}× apart, as for a DN revisit among reflectance ones; bring every revisit to one scale (raster-io dnToReflectance) or leave that one out`,
    { index: i, typical: off.magnitude, expected: off.referenceMagnitude },
  );
}

/** Check that the revisits are co-registered and georeferenced; returns [width, height]. */
export function checkScene(scene: Raster[]): [number, number] {
  checkSceneArgument('checkScene', scene);
  if (scene.length === 0)
    throw new SrnetError(
      'SCENE_SIZE_MISMATCH',
      'scene has no revisits; pass at least one co-registered Raster',
    );
  checkBandCounts(scene);
  checkSampleTypes(scene);
  const first = scene[0] as Raster;
  for (const [i, r] of scene.entries()) {
    if (r.width !== first.width || r.height !== first.height) {
      throw new SrnetError(
        'SCENE_SIZE_MISMATCH',
        `revisit ${i} is ${r.width}×${r.height} but revisit 0 is ${first.width}×${first.height}; warp all revisits to one grid first (raster-io warpRaster)`,
        { index: i },
      );
    }
    if (!r.geo) {
      throw new SrnetError(
        'MISSING_GEOREFERENCING',
        `revisit ${i} has no georeferencing (geo block); read it from a GeoTIFF or set raster.geo = { epsg, transform }`,
        { index: i },
      );
    }
    const g0 = first.geo as NonNullable<Raster['geo']>;
    if (r.geo.epsg !== g0.epsg) {
      throw new SrnetError(
        'CRS_MISMATCH',
        `revisit ${i} is in EPSG:${r.geo.epsg} but revisit 0 is in EPSG:${g0.epsg}; reproject to one CRS first (raster-io warpRaster)`,
        { index: i },
      );
    }
    // EPSG 0 is every CRS without a code (raster-io keeps it in geoKeys): two such revisits match only by their keys
    if (g0.epsg === 0 && crsKeysText(r.geo.geoKeys) !== crsKeysText(g0.geoKeys)) {
      throw new SrnetError(
        'CRS_MISMATCH',
        `revisit ${i} and revisit 0 are in different user-defined CRSs (EPSG 0, their GeoKeys differ); reproject to one CRS first (raster-io warpRaster)`,
        { index: i },
      );
    }
    if (!sameTransform(r.geo.transform, g0.transform)) {
      throw new SrnetError(
        'CRS_MISMATCH',
        `revisit ${i} has geotransform [${r.geo.transform.join(', ')}], revisit 0 has [${g0.transform.join(', ')}]; the revisits are not co-registered — warp them to one grid first`,
        { index: i },
      );
    }
  }
  return [first.width, first.height];
}

/** The geotransform of the output grid: same origin, pixel size divided by the scale. */
export function scaleTransform(t: GeoTransform, scaleY: number, scaleX: number): GeoTransform {
  checkTransform('scaleTransform', 't', t);
  for (const [name, v] of [
    ['scaleY', scaleY],
    ['scaleX', scaleX],
  ] as const)
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0))
      argumentError('scaleTransform', name, 'a finite number > 0', v, 'BAD_SCENE_OPTIONS');
  return [t[0], t[1] / scaleX, t[2] / scaleY, t[3], t[4] / scaleX, t[5] / scaleY];
}

/** Each mean finite, each std finite and > 0: anything else turns every output pixel NaN (or flips its sign). */
function checkNormalisationValues(mean: unknown[], std: unknown[]): void {
  for (const [i, m] of mean.entries())
    if (!(typeof m === 'number' && Number.isFinite(m)))
      argumentError(
        'superResolve',
        `options.normalisation.mean[${i}]`,
        'a finite number',
        m,
        'BAD_SCENE_OPTIONS',
      );
  for (const [i, s] of std.entries())
    if (!(typeof s === 'number' && Number.isFinite(s) && s > 0))
      argumentError(
        'superResolve',
        `options.normalisation.std[${i}]`,
        'a finite number > 0',
        s,
        'BAD_SCENE_OPTIONS',
      );
}

/** The folded per-band normalisation in raster units and the plausibility bound, from the options. */
function normalisationOf(
  options: SuperResolveOptions,
  C: number,
): { mean: number[]; std: number[]; maxAbsRaw: number; maxReflectance: number } {
  const norm = options.normalisation ?? 'jif';
  let mean: number[];
  let std: number[];
  if (norm === 'none') {
    mean = new Array(C).fill(0);
    std = new Array(C).fill(1);
  } else {
    const n = norm === 'jif' ? JIF_S2_NORMALISATION : norm;
    if (!isRecord(n))
      argumentError(
        'superResolve',
        'options.normalisation',
        "{ mean, std }, 'jif' or 'none'",
        n,
        'BAD_SCENE_OPTIONS',
      );
    checkArrayLike('superResolve', 'options.normalisation.mean', n.mean, 'BAD_SCENE_OPTIONS');
    checkArrayLike('superResolve', 'options.normalisation.std', n.std, 'BAD_SCENE_OPTIONS');
    if (n.mean.length !== C || n.std.length !== C) {
      throw new SrnetError(
        'BAD_SCENE_OPTIONS',
        `normalisation has ${n.mean.length} means / ${n.std.length} stds but the model takes ${C} bands; pass normalisation: { mean, std } with ${C} values, or 'none'`,
      );
    }
    mean = Array.from(n.mean);
    std = Array.from(n.std);
    checkNormalisationValues(mean, std);
  }
  // Fold the reflectance conversion into the normalisation: ((x·a + c) − m) / s = (x − (m − c)/a) / (s/a).
  if (options.reflectance !== undefined && !isRecord(options.reflectance))
    argumentError(
      'superResolve',
      'options.reflectance',
      '{ scale, offset }',
      options.reflectance,
      'BAD_SCENE_OPTIONS',
    );
  const a = options.reflectance?.scale ?? 1;
  const c0 = options.reflectance?.offset ?? 0;
  if (!(Number.isFinite(a) && a !== 0 && Number.isFinite(c0))) {
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `reflectance { scale: ${showValue(a)}, offset: ${showValue(c0)} } must be finite with scale ≠ 0`,
    );
  }
  const maxReflectance = options.maxReflectance ?? MAX_PLAUSIBLE_REFLECTANCE;
  if (!(typeof maxReflectance === 'number' && maxReflectance > 0))
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `maxReflectance ${showValue(maxReflectance)} must be > 0 (Infinity: no check)`,
    );
  return {
    mean: mean.map((m) => (m - c0) / a),
    std: std.map((s) => s / a),
    // In raster units: |x| > (B + |c|)/|a| implies |x·a + c| > B, so only truly implausible values are dropped.
    maxAbsRaw: (maxReflectance + Math.abs(c0)) / Math.abs(a),
    maxReflectance,
  };
}

/** The model bands to feed, checked against the model and the revisits. */
function bandsOf(scene: Raster[], options: SuperResolveOptions, C: number): number[] {
  const bandCount = Math.min(...scene.map((r) => r.bands.length));
  const bands = options.bands ?? Array.from({ length: C }, (_, i) => i);
  if (!Array.isArray(bands))
    argumentError('superResolve', 'options.bands', 'an array of band indices', bands, 'BAD_BANDS');
  // checked and used as one copy: some() skips the holes of a sparse array ([0, , 2] passed, then failed deep in
  // raster-io), and a Proxy could answer the check and the later reads differently
  const list: unknown[] = Array.from(bands as unknown[]);
  if (
    list.length !== C ||
    list.some((b) => !Number.isInteger(b) || (b as number) < 0 || (b as number) >= bandCount)
  ) {
    throw new SrnetError(
      'BAD_BANDS',
      `bands ${showValue(list)} must be ${C} indices in 0..${bandCount - 1} (the model takes ${C} bands; the revisits have ${bandCount})`,
      { bands: list, bandCount },
    );
  }
  return list as number[];
}

function checkCloudMasks(options: SuperResolveOptions, scene: Raster[], W: number, H: number): void {
  const masks = options.cloudMasks ?? [];
  if (!Array.isArray(masks))
    argumentError('superResolve', 'options.cloudMasks', 'an array of rasters', masks, 'SCENE_SIZE_MISMATCH');
  // more masks than revisits: the list is not one per revisit (shifted or for another scene), so none can be trusted
  if (masks.length > scene.length)
    throw new SrnetError(
      'SCENE_SIZE_MISMATCH',
      `cloudMasks holds ${masks.length} masks for ${scene.length} revisits; pass at most one per revisit, in revisit order`,
    );
  for (const [i, m] of masks.entries()) {
    if (m !== undefined && m !== null)
      checkRasterArg('superResolve', `options.cloudMasks[${i}]`, m, 'SCENE_SIZE_MISMATCH');
    if (m && (m.width !== W || m.height !== H || m.bands.length < 1)) {
      throw new SrnetError(
        'SCENE_SIZE_MISMATCH',
        `cloud mask ${i} is ${m.width}×${m.height} (${m.bands.length} bands) but the revisits are ${W}×${H}; pass one single-band mask per revisit on the same grid`,
        { index: i },
      );
    }
    // a georeferenced mask must lie on its revisit's grid, or it ranks the revisits by another place's clouds
    const g = (scene[i] as Raster).geo;
    if (
      m?.geo &&
      g &&
      (m.geo.epsg !== g.epsg || !isTransform(m.geo.transform) || !sameTransform(m.geo.transform, g.transform))
    )
      throw new SrnetError(
        'CRS_MISMATCH',
        `cloud mask ${i} is georeferenced as EPSG:${showValue(m.geo.epsg)} ${showValue(m.geo.transform)} but revisit ${i} as EPSG:${g.epsg} [${g.transform.join(', ')}]; pass masks on the revisits' grid`,
        { index: i },
      );
  }
}

/** Resolve `tiling: 'auto'` and check that the engine can run the chosen tiling. */
function tilingOf(options: SuperResolveOptions, W: number, H: number): 'seamless' | 'chips' {
  const { engine } = options;
  const tiling = options.tiling ?? 'auto';
  if (tiling !== 'auto' && tiling !== 'seamless' && tiling !== 'chips')
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `tiling ${showValue(tiling)} must be 'auto', 'seamless' or 'chips'`,
    );
  const can = typeof engine.predictUnresized === 'function';
  if (tiling === 'seamless' && !can)
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `tiling 'seamless' needs an engine with predictUnresized (the srnet ONNX and TF.js engines); engine '${typeof engine.name === 'string' ? engine.name : showValue(engine.name)}' has none — use tiling 'chips'`,
    );
  if (tiling === 'seamless' && (W < 3 || H < 3))
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `tiling 'seamless' needs a scene of at least 3×3 LR px (this one is ${W}×${H}); use tiling 'chips'`,
    );
  if (tiling !== 'auto') return tiling;
  // An explicit chip overlap asks for the chip plan (e.g. the worldstrat CLI's --overlap).
  return can && W >= 3 && H >= 3 && options.overlap === undefined ? 'seamless' : 'chips';
}

/**
 * Output pixels whose LR pixel had no data in any used revisit become NaN; so do pixels the engine left
 * non-finite in any band (a diverged or faulty model), so the mask never calls a NaN pixel valid. Returns the mask.
 */
function maskOutput(
  planes: Float32Array[],
  lrValid: Uint8Array,
  W: number,
  H: number,
  out: [number, number],
  scale: [number, number],
): Uint8Array {
  const [OH, OW] = out;
  const validMask = new Uint8Array(OW * OH);
  for (let Y = 0; Y < OH; Y++) {
    const ly = Math.min(H - 1, Math.floor((Y + 0.5) / scale[0]));
    for (let X = 0; X < OW; X++) {
      const q = Y * OW + X;
      const lx = Math.min(W - 1, Math.floor((X + 0.5) / scale[1]));
      let ok = lrValid[ly * W + lx] === 1;
      for (let b = 0; ok && b < planes.length; b++)
        ok = Number.isFinite((planes[b] as Float32Array)[q] as number);
      validMask[q] = ok ? 1 : 0;
      if (!ok) for (const plane of planes) plane[q] = Number.NaN;
    }
  }
  return validMask;
}

/** A batch of chips in and out of the model fits one typed array each (batchSize and the model fix them). */
function checkChipCalls(grid: ChipGrid, batchSize: number, cfg: InferenceEngine['config']): void {
  const n = Math.min(batchSize, grid.count);
  const [oh, ow] = grid.outChip;
  checkCallSize(
    `a batch of ${n} chips of ${grid.chipSize}×${grid.chipSize} LR px (batchSize ${batchSize})`,
    [
      ['input', n * cfg.revisits * cfg.inChannels * grid.chipSize ** 2],
      ['output', n * cfg.outChannels * oh * ow],
    ],
    'use a smaller batchSize',
  );
}

/** The largest seamless tile in and out of the model fits one typed array each. */
function checkTileCalls(tiles: TileGrid, cfg: InferenceEngine['config']): void {
  const widest = (a: TileGrid['x']) =>
    a.inEnd.reduce((m, e, k) => Math.max(m, e - (a.inStart[k] as number)), 0);
  const [tw, th] = [widest(tiles.x), widest(tiles.y)];
  checkCallSize(
    `a ${tw}×${th} LR tile (tileSize ${tiles.tileSize})`,
    [
      ['input', cfg.revisits * cfg.inChannels * tw * th],
      ['output', cfg.outChannels * cfg.zoomFactor ** 2 * tw * th],
    ],
    'use a smaller tileSize',
  );
}

/** The members of superResolve's arguments that its steps read, checked before any of them runs. */
function checkSuperResolveArguments(scene: unknown, options: unknown): void {
  const fn = 'superResolve';
  const code = 'BAD_SCENE_OPTIONS';
  checkSceneArgument(fn, scene);
  const o = checkObject<SuperResolveOptions>(fn, 'options', options, code);
  const engine = checkObject<InferenceEngine>(fn, 'options.engine', o.engine, code);
  checkFunction(fn, 'options.engine.predict', engine.predict, code);
  const cfg = checkObject<Record<string, unknown>>(fn, 'options.engine.config', engine.config, code);
  for (const key of ['revisits', 'inChannels', 'outChannels', 'zoomFactor'] as const)
    checkNumber(fn, `options.engine.config.${key}`, cfg[key], code, { integer: true, min: 1 });
  const size = cfg.outputSize;
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isSafeInteger(v) && v >= 1))
    argumentError(fn, 'options.engine.config.outputSize', 'two positive integers', size, code);
  // their ranges are checked where they are used; a value that is not a number at all cannot even be quoted there
  for (const key of ['chipSize', 'tileSize', 'overlap', 'batchSize', 'maxReflectance'] as const)
    if (o[key] !== undefined && typeof o[key] !== 'number')
      argumentError(fn, `options.${key}`, 'a number', o[key], code);
  if (o.onProgress !== undefined) checkFunction(fn, 'options.onProgress', o.onProgress, code);
  checkSignal(fn, 'options.signal', o.signal, code);
}

/**
 * Super-resolve a whole scene: R co-registered, georeferenced revisits of any size.
 *
 * Steps: (1) choose the revisits (see `selectRevisits`: best R by fewest NaN/nodata/cloud pixels, or pad a
 * short list by repeating); (2) normalise per band exactly as training does (`(x − mean) / std`), filling
 * missing pixels (NaN, ±Inf, noData) with the mean of the revisits that have data there, or with the band mean
 * when none has; (3) `seamless` tiling (default with the srnet engines): run large tiles with a margin covering
 * the receptive field through the model without its final resize and resample each tile's core bilinearly on
 * the scene grid, so the result equals one whole-scene pass; `chips` tiling: run overlapping `chipSize` chips
 * (mirrored beyond the scene edge) in batches and blend them with separable linear feathering; the output grid
 * has `outputSize / chipSize` px per LR px either way; (4) mask: output pixels whose LR pixel had no data in any
 * used revisit are NaN (`validMask` 0). Values beyond `maxReflectance` count as missing; empty bands and such
 * values are listed in `warnings`.
 *
 * Memory: the output raster, a W×H byte mask and one tile (or two batches of chips) of model input and output;
 * an output band past `MAX_OUTPUT_PIXELS` px, a result past `MAX_OUTPUT_SAMPLES` values, or one model
 * call past `MAX_OUTPUT_PIXELS` values is refused before anything is allocated.
 *
 * @param scene - revisits as raster-io Rasters (any numeric dtype), all the same size, CRS and geotransform.
 * @param options - engine, tiling, tile/chip size, overlap, batch size, normalisation, progress, signal.
 * @returns the SR raster (float32, NaN noData, scaled geotransform) and what was done.
 * @throws SrnetError `SCENE_SIZE_MISMATCH`, `CRS_MISMATCH`, `MISSING_GEOREFERENCING`, `BAD_BANDS` (also for
 *   revisits with different band counts), `BAD_SCENE_OPTIONS` (also an output or model call past the limits
 *   above), `ABORTED`.
 * @example
 * const engine = await createOnnxEngine(onnxBytes, { intraOpNumThreads: 2 });
 * const { raster } = await superResolve(revisits, { engine });
 */
export async function superResolve(
  scene: Raster[],
  options: SuperResolveOptions,
): Promise<SuperResolveResult> {
  checkSuperResolveArguments(scene, options);
  const { engine, signal, onProgress } = options;
  const cfg = engine.config;
  const [W, H] = checkScene(scene);
  const chip = options.chipSize ?? 50;
  const outChip: [number, number] = [cfg.outputSize[0], cfg.outputSize[1]];
  if (!Number.isInteger(chip) || chip < 1)
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `chipSize ${chip} must be a positive integer (the model's training chip is 50)`,
    );
  if (chip * cfg.zoomFactor > Math.min(outChip[0], outChip[1])) {
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `chipSize ${chip} × zoom ${cfg.zoomFactor} exceeds the model's output ${outChip.join('×')}: the final resize would downsample; use chipSize ≤ ${Math.floor(Math.min(...outChip) / cfg.zoomFactor)}`,
    );
  }
  const scale: [number, number] = [outChip[0] / chip, outChip[1] / chip];
  const how = `outputSize ${outChip.join('×')} / chipSize ${chip}`;
  const [OH, OW] = checkedOutputGrid(W, H, scale, cfg.outChannels, how);
  const tiling = tilingOf(options, W, H);
  const overlap = options.overlap ?? defaultOverlap(chip, outChip);
  // Planned (and so validated) in either tiling: an unusable overlap is an error even when tiles ignore it.
  const chipGrid = planChipGrid(W, H, chip, overlap, outChip);
  const grid = tiling === 'chips' ? chipGrid : undefined;
  const batchSize = options.batchSize ?? 8;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new SrnetError('BAD_SCENE_OPTIONS', `batchSize ${batchSize} must be a positive integer`);
  if (grid) checkChipCalls(grid, batchSize, cfg);

  const C = cfg.inChannels;
  const bands = bandsOf(scene, options, C);
  const { mean, std, maxAbsRaw, maxReflectance } = normalisationOf(options, C);
  checkRevisitScales(scene, bands, maxAbsRaw);
  checkCloudMasks(options, scene, W, H);

  onProgress?.({ stage: 'select', done: 0, total: scene.length });
  const selection = selectRevisits(scene, cfg.revisits, bands, {
    padding: options.revisitPadding,
    cloudMasks: options.cloudMasks,
    maxAbs: maxAbsRaw,
  });
  onProgress?.({ stage: 'select', done: scene.length, total: scene.length });

  const used = selection.used;
  const input: SceneInput = {
    width: W,
    height: H,
    channels: C,
    revisits: cfg.revisits,
    slotK: selection.slots.map((s) => (s < 0 ? -1 : used.indexOf(s))),
    src: used.map((i) => bands.map((b) => (scene[i] as Raster).bands[b] as ArrayLike<number>)),
    noData: used.map((i) => (scene[i] as Raster).noData),
    mean,
    std,
    maxAbsRaw,
  };
  const warnings = sceneWarnings(scene, used, bands, maxAbsRaw, maxReflectance);
  const lrValid = lrValidity(input);

  const planes = Array.from({ length: cfg.outChannels }, () => new Float32Array(OW * OH));
  const progress = (done: number, total: number) => onProgress?.({ stage: 'infer', done, total });
  let tiles: TileGrid | undefined;
  if (grid) {
    progress(0, grid.count);
    await runChips(input, { engine, grid, batchSize, planes, signal, onChips: progress });
  } else {
    // + 1: the bilinear taps of a core's edge output pixels reach one LR px beyond the core
    const margin = receptiveRadius(cfg) + 1;
    tiles = planTileGrid(
      W,
      H,
      [OH, OW],
      scale,
      options.tileSize ?? engine.seamlessTileSize ?? DEFAULT_TILE_SIZE,
      margin,
    );
    checkTileCalls(tiles, cfg);
    progress(0, tiles.count);
    const ratio: [number, number] = [
      (cfg.zoomFactor * chip) / outChip[0],
      (cfg.zoomFactor * chip) / outChip[1],
    ];
    await runTiles(input, { engine, grid: tiles, planes, outWidth: OW, ratio, signal, onTile: progress });
  }
  const validMask = maskOutput(planes, lrValid, W, H, [OH, OW], scale);

  const geo = (scene[0] as Raster).geo as NonNullable<Raster['geo']>;
  return {
    raster: {
      width: OW,
      height: OH,
      dtype: 'float32',
      bands: planes,
      noData: Number.NaN,
      // geoKeys kept: without them a CRS with no EPSG code (epsg 0) was written with no CRS at all
      geo: {
        epsg: geo.epsg,
        transform: scaleTransform(geo.transform, scale[0], scale[1]),
        ...(geo.geoKeys ? { geoKeys: geo.geoKeys } : {}),
      },
    },
    validMask,
    tiling,
    ...(grid ? { grid } : {}),
    ...(tiles ? { tiles } : {}),
    revisits: selection,
    scale,
    warnings,
  };
}
