// Writes a deterministic, clearly labelled SYNTHETIC dataset in the released WorldStrat layout.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@worldstrat/core/node';
import { aoiBounds, createRng, loadLandMask, samplePointsOnLand } from '@worldstrat/geo-sampling';
import type { BBox, Raster } from '@worldstrat/raster-io';
import { writeGeoTiff } from '@worldstrat/raster-io/node';
import { DatasetError, throwIfAborted } from '../errors.js';
import {
  argumentError,
  checkInteger,
  checkNumbers,
  checkOptions,
  checkString,
} from '../internal/check-arguments.js';
import { folderError, makeFolder } from '../internal/make-folder.node.js';
import { type LrLevel, METADATA_CSV_NAME, type MetadataRow, SPLIT_CSV_NAME } from '../layout.js';
import {
  hrAoiDir,
  hrImagePath,
  lrLevelDir,
  lrRevisitFiles,
  writeMetadataCsv,
  writeSplitCsv,
} from '../layout.node.js';
import { SYNTHETIC_CLASS_LABELS } from './classes.js';
import { type DrawRevisitOptions, degradeScene, drawRevisitParams } from './degrade.js';
import { removeEarlierSyntheticFiles } from './earlier-synthetic-files.node.js';
import { l2aToL1c, S2_L1C_BANDS } from './l1c.js';
import { SCENE_KINDS, type SceneKind, sceneRgbn, synthesizeScene } from './scene.js';
import { S2_L2A_BANDS } from './spectra.js';

/** Options of {@link generateSyntheticDataset}. */
export interface GenerateSyntheticDatasetOptions {
  /** Number of AOIs. Default 24. */
  aois?: number;
  /** LR revisits per AOI. Default 16 (the release); use 8 for the Kaggle "core" size. */
  revisits?: number;
  /** HR size in pixels. Default 1054 (2.5 km² at 1.5 m); the LR size follows as round(hrSize·hrPixelM/lrPixelM). */
  hrSize?: number;
  /** HR pixel size in metres. Default 1.5. */
  hrPixelM?: number;
  /** LR pixel size in metres. Default 10. */
  lrPixelM?: number;
  /** Master seed (non-negative integer < 2^32). Default 0. */
  seed?: number;
  /** Landscape kinds to cycle through; default all of SCENE_KINDS. */
  kinds?: readonly SceneKind[];
  /** Train/val/test fractions for the split CSV. Default [0.8, 0.1, 0.1]. */
  splitFractions?: readonly [number, number, number];
  /** Random revisit parameters (shift range, cloud probability, noise, drift). */
  revisitOptions?: DrawRevisitOptions;
  /** GeoTIFF compression. Default 'deflate'. */
  compression?: 'none' | 'deflate';
  /**
   * Also write `lr_dataset/<AOI>/L1C/` (13-band top-of-atmosphere data via l2aToL1c, CLM, .metadata), as the
   * release has and upstream's verify_dataset_structure() expects. Default false.
   */
  l1c?: boolean;
  /** Write into a non-empty folder. Default false (throws). */
  overwrite?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: { stage: 'synthesize'; done: number; total: number }) => void;
}

/** Defaults of {@link generateSyntheticDataset}. */
export const DEFAULT_SYNTHETIC_DATASET = {
  aois: 24,
  revisits: 16,
  hrSize: 1054,
  hrPixelM: 1.5,
  lrPixelM: 10,
  seed: 0,
  splitFractions: [0.8, 0.1, 0.1] as const,
  compression: 'deflate',
  overwrite: false,
} as const;

/** Most AOIs {@link assignSplits} assigns in one call (the release has about 4000). */
const MAX_AOIS = 1 << 24;

/** One AOI of a synthetic dataset, as recorded in its tables. */
export interface SyntheticAoi {
  name: string;
  kind: SceneKind;
  lon: number;
  lat: number;
  bounds: BBox;
  areaKm2: number;
  split: 'train' | 'val' | 'test';
  /** Per revisit n = 1..R (rank order): cloud fraction, days to the HR date, shift in LR px [sy, sx]. */
  revisits: { n: number; cloudFraction: number; deltaDays: number; shiftPx: [number, number] }[];
}

/** What {@link generateSyntheticDataset} wrote. */
export interface SyntheticDatasetSummary {
  root: string;
  aois: SyntheticAoi[];
  hrSize: number;
  lrSize: number;
  files: number;
}

const DAY_MS = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Largest-deficit assignment: item k goes to the split furthest below its target share (deterministic). */
export function assignSplits(
  count: number,
  fractions: readonly [number, number, number],
): ('train' | 'val' | 'test')[] {
  checkInteger('assignSplits', 'count', count, 0, MAX_AOIS);
  const f = checkNumbers('assignSplits', 'fractions', fractions);
  if (f.length !== 3 || !Array.from(f).every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0))
    throw argumentError('assignSplits', 'fractions', '[train, val, test] finite numbers ≥ 0', fractions);
  const names = ['train', 'val', 'test'] as const;
  const assigned = [0, 0, 0];
  const out: ('train' | 'val' | 'test')[] = [];
  for (let k = 0; k < count; k++) {
    let best = 0;
    let bestDeficit = Number.NEGATIVE_INFINITY;
    for (let s = 0; s < 3; s++) {
      const deficit = fractions[s] * (k + 1) - assigned[s];
      if (deficit > bestDeficit + 1e-12) {
        bestDeficit = deficit;
        best = s;
      }
    }
    assigned[best]++;
    out.push(names[best]);
  }
  return out;
}

function toUint16Dn(band: Float32Array): Uint16Array {
  const out = new Uint16Array(band.length);
  for (let i = 0; i < band.length; i++) out[i] = Math.min(4095, Math.max(0, Math.round(band[i] * 10000)));
  return out;
}

function boxDown(band: Float32Array, size: number, f: number): Float32Array {
  const n = Math.floor(size / f);
  const out = new Float32Array(n * n);
  for (let r = 0; r < n * f; r++)
    for (let c = 0; c < n * f; c++) out[Math.floor(r / f) * n + Math.floor(c / f)] += band[r * size + c];
  for (let i = 0; i < out.length; i++) out[i] /= f * f;
  return out;
}

function geoFor(bounds: BBox, w: number, h: number): Raster['geo'] {
  return {
    epsg: 4326,
    transform: [bounds[0], (bounds[2] - bounds[0]) / w, 0, bounds[3], 0, -(bounds[3] - bounds[1]) / h],
  };
}

/**
 * Generate a synthetic WorldStrat-layout dataset: `hr_dataset/<AOI>/<AOI>_{ps,rgbn,pan}.tiff` (uint16,
 * 12-bit DN = reflectance × 10000), `lr_dataset/<AOI>/L2A/<AOI>-<n>-{L2A_data,CLM}.tiff` + `<AOI>-<n>.metadata`,
 * `metadata.csv`, `stratified_train_val_test_split.csv`, plus `SYNTHETIC.md` and `synthetic.json` that label it
 * as synthetic. Every file is written atomically; the tables and then `synthetic.json` come last, so an
 * interrupted run leaves no table that points at missing files. With `overwrite`, `synthetic.json` and the
 * tables of the earlier dataset are removed before any tile is written: a regeneration cut short never passes
 * for a finished dataset (of either seed). The same options always give byte-identical files.
 *
 * @param root - output folder (created).
 * @param options - sizes, seed, kinds, split fractions, compression, signal, progress.
 * @returns a summary of the AOIs written.
 * @throws {DatasetError} `INVALID_ARGUMENT` for bad sizes/seed or a non-empty folder without `overwrite`,
 *   `WRITE_FAILED` naming the folder or file that cannot be created or written (read-only, no permission, a
 *   file in the way, a full disk), `ABORTED` when the signal fires.
 * @example
 * ```ts
 * const summary = await generateSyntheticDataset('data/synthetic', { aois: 4, hrSize: 264, revisits: 8, seed: 1 });
 * ```
 */
export async function generateSyntheticDataset(
  root: string,
  options: GenerateSyntheticDatasetOptions = {},
): Promise<SyntheticDatasetSummary> {
  checkString('generateSyntheticDataset', 'root', root, true);
  // null spreads to nothing: the defaults, as before
  if (options !== null) checkOptions('generateSyntheticDataset', options);
  const o: SynthOptions = { ...DEFAULT_SYNTHETIC_DATASET, ...options };
  const { kinds, lrSize } = checkSynthOptions(o);
  throwIfAborted(o.signal);
  try {
    return await writeSyntheticDataset(root, o, kinds, lrSize);
  } catch (e) {
    throw asDatasetWriteError(e);
  }
}

/** A write failure of core or raster-io (a tile, a `.metadata`, a label) as this package's `WRITE_FAILED`. */
function asDatasetWriteError(e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (e instanceof DatasetError || code !== 'WRITE_FAILED') return e;
  return new DatasetError('WRITE_FAILED', (e as Error).message, { cause: e });
}

/** The run after the argument checks: folder, AOIs, tables, then the `synthetic.json` record. */
async function writeSyntheticDataset(
  root: string,
  o: SynthOptions,
  kinds: readonly SceneKind[],
  lrSize: number,
): Promise<SyntheticDatasetSummary> {
  await prepareOutputFolder(root, o.overwrite);
  await writeSyntheticReadme(root, o, lrSize);
  const areaKm2 = ((o.hrSize * o.hrPixelM) / 1000) ** 2;
  const points = await sampleAoiLocations(o.aois, o.seed);
  const splits = assignSplits(o.aois, o.splitFractions);
  const aois: SyntheticAoi[] = [];
  const metadataRows: MetadataRow[] = [];
  let files = 0;
  for (let a = 0; a < o.aois; a++) {
    throwIfAborted(o.signal);
    const written = await writeSyntheticAoi(root, o, {
      index: a,
      kind: kinds[a % kinds.length],
      point: points[a],
      areaKm2,
      lrSize,
      split: splits[a],
    });
    aois.push(written.record);
    metadataRows.push(...written.metadataRows);
    files += written.files;
    o.onProgress?.({ stage: 'synthesize', done: a + 1, total: o.aois });
  }
  // Tables last: they are the dataset's index; synthetic.json after them says the dataset is complete.
  await writeMetadataCsv(root, metadataRows);
  await writeSplitCsv(
    root,
    aois.map((aoi) => ({
      tile: aoi.name,
      ipcc: aoi.kind,
      smod: SYNTHETIC_CLASS_LABELS[aoi.kind].smod,
      source: SYNTHETIC_SOURCE,
      split: aoi.split,
    })),
    o.revisits,
  );
  await writeSyntheticRecord(root, o, kinds, lrSize, aois);
  files += 4;
  return { root, aois, hrSize: o.hrSize, lrSize, files };
}

type SynthOptions = GenerateSyntheticDatasetOptions &
  Required<
    Pick<
      GenerateSyntheticDatasetOptions,
      | 'aois'
      | 'revisits'
      | 'hrSize'
      | 'hrPixelM'
      | 'lrPixelM'
      | 'seed'
      | 'splitFractions'
      | 'compression'
      | 'overwrite'
    >
  >;

/** The `source` column of synthetic AOIs. */
const SYNTHETIC_SOURCE = 'Synthetic';

function checkSynthOptions(o: SynthOptions): { kinds: readonly SceneKind[]; lrSize: number } {
  const kinds = o.kinds ?? SCENE_KINDS;
  if (!Number.isInteger(o.aois) || o.aois < 1) {
    throw new DatasetError('INVALID_ARGUMENT', `aois ${o.aois}: use an integer ≥ 1`);
  }
  if (!Number.isInteger(o.revisits) || o.revisits < 1) {
    throw new DatasetError('INVALID_ARGUMENT', `revisits ${o.revisits}: use an integer ≥ 1`);
  }
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed >= 2 ** 32) {
    throw new DatasetError('INVALID_ARGUMENT', `seed ${o.seed}: use an integer in [0, 2^32)`);
  }
  if (kinds.length === 0 || kinds.some((k) => !SCENE_KINDS.includes(k))) {
    throw new DatasetError(
      'INVALID_ARGUMENT',
      `kinds ${JSON.stringify(kinds)}: use values of ${SCENE_KINDS.join(', ')}`,
    );
  }
  const lrSize = Math.round((o.hrSize * o.hrPixelM) / o.lrPixelM);
  if (!Number.isInteger(o.hrSize) || o.hrSize < 16 || lrSize < 4) {
    throw new DatasetError(
      'INVALID_ARGUMENT',
      `hrSize ${o.hrSize} gives an LR size of ${lrSize} px: use hrSize ≥ ${Math.ceil((4 * o.lrPixelM) / o.hrPixelM)}`,
    );
  }
  return { kinds, lrSize };
}

/** The end of the not-empty error's message (the CLI names its flag instead). */
const OVERWRITE_HINT = 'pass overwrite: true';

/** The record of every parameter: written last, so its presence means a finished dataset. */
const RECORD_NAME = 'synthetic.json';

/**
 * Create `root`; a non-empty one needs `overwrite`, and then loses its earlier `synthetic.json` and tables
 * before anything else is written, so a run cut short leaves a folder no reader takes for a finished dataset,
 * then the earlier synthetic runs' own files (revisits, L1C, AOIs the new run does not write).
 */
async function prepareOutputFolder(root: string, overwrite: boolean): Promise<void> {
  await makeFolder('output folder', root);
  let existing: string[];
  try {
    existing = (await readdir(root)).filter((f) => !f.startsWith('.'));
  } catch (e) {
    throw folderError('output folder', root, e);
  }
  // a usage problem, not a failed write: nothing was written and the same call with overwrite succeeds
  if (existing.length > 0 && !overwrite) {
    throw new DatasetError(
      'INVALID_ARGUMENT',
      `${root} is not empty (${existing.slice(0, 3).join(', ')}…); choose an empty folder or ${OVERWRITE_HINT}`,
    );
  }
  if (existing.length === 0) return;
  // the record first: it is what says "complete"
  for (const name of [RECORD_NAME, METADATA_CSV_NAME, SPLIT_CSV_NAME]) {
    const path = join(root, name);
    await rm(path, { force: true }).catch((e: unknown) => {
      throw new DatasetError(
        'WRITE_FAILED',
        `${path}: cannot remove the earlier dataset's ${name} before overwriting (${(e as Error).message})`,
        { cause: e },
      );
    });
  }
  await removeEarlierSyntheticFiles(root);
}

/**
 * Random land locations (Natural Earth 1:110m is plenty for placing synthetic AOIs), kept between 56°S and
 * 72°N so no farmland lands on the Antarctic ice sheet or Greenland's interior.
 */
async function sampleAoiLocations(count: number, seed: number): Promise<{ lon: number; lat: number }[]> {
  const mask = await loadLandMask({ scale: '110m' });
  const points: { lon: number; lat: number }[] = [];
  for (let round = 0; points.length < count; round++) {
    const batch = await samplePointsOnLand(2 * count, { seed: seed + round * 0x9e3779b1, mask });
    for (const p of batch) if (p.lat > -56 && p.lat < 72 && points.length < count) points.push(p);
  }
  return points;
}

interface AoiPlan {
  index: number;
  kind: SceneKind;
  point: { lon: number; lat: number };
  areaKm2: number;
  lrSize: number;
  split: SyntheticAoi['split'];
}

/** One AOI: its scene, HR products, ranked LR revisits and its metadata.csv rows. */
async function writeSyntheticAoi(
  root: string,
  o: SynthOptions,
  plan: AoiPlan,
): Promise<{ record: SyntheticAoi; metadataRows: MetadataRow[]; files: number }> {
  const rng = createRng(o.seed * 1_000_003 + plan.index + 1);
  const name = `Synthetic-${plan.index + 1}`;
  const { kind, areaKm2, lrSize } = plan;
  const { lon, lat } = plan.point;
  const bounds = aoiBounds(lon, lat, areaKm2) as BBox;
  const scene = synthesizeScene(rng, { size: o.hrSize, pixelSizeM: o.hrPixelM, kind });
  let files = await writeHrProducts(root, name, sceneRgbn(scene), bounds, o);

  const params = drawRevisitParams(rng, o.revisits, o.revisitOptions);
  const revisits = degradeScene(scene, params, rng, { lrSize, lrPixelM: o.lrPixelM });
  const order = rankRevisits(
    params.map((p) => p.deltaDays),
    revisits.map((r) => r.cloudFraction),
  );
  await makeFolder('revisit folder', lrLevelDir(root, name, 'L2A'));
  if (o.l1c) await makeFolder('revisit folder', lrLevelDir(root, name, 'L1C'));
  const hrDateMs = Date.UTC(2018, 0, 1) + rng.int(3 * 365) * DAY_MS;
  const record: SyntheticAoi = { name, kind, lon, lat, bounds, areaKm2, split: plan.split, revisits: [] };
  const labels = SYNTHETIC_CLASS_LABELS[kind];
  const metadataRows: MetadataRow[] = [];
  const geo = geoFor(bounds, lrSize, lrSize);
  for (let k = 0; k < order.length; k++) {
    throwIfAborted(o.signal);
    const i = order[k];
    const n = k + 1;
    const rv = revisits[i];
    const p = params[i];
    const lowMs = hrDateMs + p.deltaDays * DAY_MS;
    const cloudCover = Math.round(rv.cloudFraction * 10000) / 100;
    const revisit: RevisitWrite = { root, name, n, lrSize, geo, clm: rv.clm, compression: o.compression };
    const meta = {
      cloud_cover: cloudCover,
      target_date: isoDate(hrDateMs),
      delta: String(p.deltaDays),
      area: areaKm2,
      datetime: `${isoDate(lowMs)} 10:30:00+00:00`,
      synthetic: true,
    };
    await writeRevisitLevel(revisit, 'L2A', rv.bands, {
      ...meta,
      bands: S2_L2A_BANDS,
      shift_px: p.shiftPx,
      gain: p.gain,
      offset: p.offset,
      noise_sigma: p.noiseSigma,
    });
    files += 3;
    if (o.l1c) {
      await writeRevisitLevel(revisit, 'L1C', l2aToL1c(rv.bands, rv.clm), { ...meta, bands: S2_L1C_BANDS });
      files += 3;
    }
    record.revisits.push({ n, cloudFraction: rv.cloudFraction, deltaDays: p.deltaDays, shiftPx: p.shiftPx });
    metadataRows.push({
      tile: name,
      n,
      lowres_date: isoDate(lowMs),
      highres_date: isoDate(hrDateMs),
      bounds: JSON.stringify(bounds),
      area: areaKm2,
      cloud_cover: cloudCover,
      delta: p.deltaDays,
      lon,
      lat,
      LCCS: labels.lccs,
      SMOD: labels.smod,
      'IPCC Class': kind,
      'LCCS class': labels.lccsLabel,
      'SMOD Class': labels.smodLabel,
      source: SYNTHETIC_SOURCE,
    });
  }
  return { record, metadataRows, files };
}

/** HR products: pansharpened `_ps` and `_pan` at full resolution, `_rgbn` at the 6 m multispectral size. */
async function writeHrProducts(
  root: string,
  name: string,
  rgbn: Float32Array[],
  bounds: BBox,
  o: SynthOptions,
): Promise<number> {
  const { compression, hrSize } = o;
  await makeFolder('HR folder', hrAoiDir(root, name));
  const tiled = { compression, tiled: true, tileSize: 256, predictor: compression === 'deflate' } as const;
  const full = (bands: Uint16Array[]): Raster => ({
    width: hrSize,
    height: hrSize,
    dtype: 'uint16',
    bands,
    geo: geoFor(bounds, hrSize, hrSize),
  });
  await writeGeoTiff(hrImagePath(root, name, 'ps'), full(rgbn.map(toUint16Dn)), tiled);
  const pan = new Float32Array(rgbn[0].length);
  for (let i = 0; i < pan.length; i++)
    pan[i] = 0.35 * rgbn[0][i] + 0.35 * rgbn[1][i] + 0.2 * rgbn[2][i] + 0.1 * rgbn[3][i];
  await writeGeoTiff(hrImagePath(root, name, 'pan'), full([toUint16Dn(pan)]), tiled);
  const ms = Math.max(1, Math.round(6 / o.hrPixelM));
  const msSize = Math.floor(hrSize / ms);
  await writeGeoTiff(
    hrImagePath(root, name, 'rgbn'),
    {
      width: msSize,
      height: msSize,
      dtype: 'uint16',
      bands: rgbn.map((b) => toUint16Dn(boxDown(b, hrSize, ms))),
      geo: geoFor(bounds, msSize, msSize),
    },
    { compression },
  );
  return 3;
}

/**
 * Revisit order like the release: rank(|Δdays|) + rank(cloud cover) with pandas-style average ranks (ties
 * share the mean of their positions); n = 1 is best.
 */
function rankRevisits(deltaDays: readonly number[], cloudFraction: readonly number[]): number[] {
  const idx = deltaDays.map((_, i) => i);
  const rankOf = (key: (i: number) => number) =>
    idx.map((i) => {
      let less = 0;
      let equal = 0;
      for (const j of idx) {
        if (key(j) < key(i)) less++;
        else if (key(j) === key(i)) equal++;
      }
      return less + (equal - 1) / 2;
    });
  const rDelta = rankOf((i) => Math.abs(deltaDays[i]));
  const rCloud = rankOf((i) => cloudFraction[i]);
  return [...idx].sort(
    (x, y) =>
      rDelta[x] + rCloud[x] - (rDelta[y] + rCloud[y]) ||
      Math.abs(deltaDays[x]) - Math.abs(deltaDays[y]) ||
      x - y,
  );
}

interface RevisitWrite {
  root: string;
  name: string;
  n: number;
  lrSize: number;
  geo: Raster['geo'];
  clm: Uint8Array;
  compression: 'none' | 'deflate';
}

/** One level's three files: data, cloud mask and the `.metadata` JSON the release carries per revisit. */
async function writeRevisitLevel(
  r: RevisitWrite,
  level: LrLevel,
  bands: Raster['bands'],
  meta: Record<string, unknown>,
): Promise<void> {
  const raster = (dtype: 'float32' | 'uint8', b: Raster['bands']): Raster => ({
    width: r.lrSize,
    height: r.lrSize,
    dtype,
    bands: b,
    geo: r.geo,
  });
  const paths = lrRevisitFiles(r.root, r.name, level, r.n);
  await writeGeoTiff(paths.data, raster('float32', bands), { compression: r.compression });
  await writeGeoTiff(paths.clm, raster('uint8', [r.clm]), { compression: r.compression });
  await writeFileAtomic(paths.metadata, `${JSON.stringify(meta)}\n`);
}

/** `synthetic.json`: every parameter and AOI, written last (atomically): its presence means a finished dataset. */
async function writeSyntheticRecord(
  root: string,
  o: SynthOptions,
  kinds: readonly SceneKind[],
  lrSize: number,
  aois: SyntheticAoi[],
): Promise<void> {
  const { signal: _s, onProgress: _p, ...recorded } = o;
  await writeFileAtomic(
    join(root, RECORD_NAME),
    `${JSON.stringify({ synthetic: true, generator: 'worldstrat generateSyntheticDataset', options: { ...recorded, kinds }, lrSize, aois }, null, 1)}\n`,
  );
}

/** `SYNTHETIC.md`, written first: the folder says what it holds while it is being filled. */
async function writeSyntheticReadme(root: string, o: SynthOptions, lrSize: number): Promise<void> {
  await writeFileAtomic(
    join(root, 'SYNTHETIC.md'),
    [
      '# SYNTHETIC DATA — not satellite imagery',
      '',
      `Generated by worldstrat's generateSyntheticDataset (seed ${o.seed}, ${o.aois} AOIs, ${o.revisits} revisits,`,
      `HR ${o.hrSize} px at ${o.hrPixelM} m, LR ${lrSize} px at ${o.lrPixelM} m). It follows the WorldStrat release layout`,
      'so that the reader, training and evaluation code can run without downloading anything. The AOI locations are',
      'random land points; the landscapes are procedural (fields, roads, buildings, rivers, forest), and the LR revisits',
      'come from a stated degradation: Gaussian PSF (σ = 0.45 × native band resolution, ⊕ the 10 m detector box),',
      'random sub-pixel shifts, 10 m sampling, per-revisit gain/offset drift, clouds with matching CLM masks, noise.',
      'See synthetic.json for every parameter and each revisit .metadata for its shift, gain and offset; without',
      'synthetic.json the generation did not finish and the folder is not a usable dataset.',
      '',
    ].join('\n'),
  );
}
