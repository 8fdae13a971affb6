// Writes a deterministic, clearly labelled SYNTHETIC dataset in the released WorldStrat layout.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@worldstrat/core/node';
import { aoiBounds, createRng, loadLandMask, samplePointsOnLand } from '@worldstrat/geo-sampling';
import type { BBox, Raster } from '@worldstrat/raster-io';
import { writeGeoTiff } from '@worldstrat/raster-io/node';
import { METADATA_COLUMNS } from '../dataset/constants.js';
import { throwIfAborted, WorldStratError } from '../errors.js';
import { toCsv } from '../internal/csv.js';
import { SYNTHETIC_CLASS_LABELS } from './classes.js';
import { type DrawRevisitOptions, degradeScene, drawRevisitParams } from './degrade.js';
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

/** Name of the split CSV in the release layout. */
export const SPLIT_CSV_NAME = 'stratified_train_val_test_split.csv';

const DAY_MS = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Largest-deficit assignment: item k goes to the split furthest below its target share (deterministic). */
export function assignSplits(
  count: number,
  fractions: readonly [number, number, number],
): ('train' | 'val' | 'test')[] {
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
 * as synthetic. Every file is written atomically; the tables come last, so an interrupted run leaves no table
 * that points at missing files. The same options always give byte-identical files.
 *
 * @param root - output folder (created).
 * @param options - sizes, seed, kinds, split fractions, compression, signal, progress.
 * @returns a summary of the AOIs written.
 * @throws {WorldStratError} `INVALID_ARGUMENT` for bad sizes/seed, `WRITE_FAILED` for a non-empty folder
 *   without `overwrite`, `ABORTED` when the signal fires.
 * @example
 * ```ts
 * const summary = await generateSyntheticDataset('data/synthetic', { aois: 4, hrSize: 264, revisits: 8, seed: 1 });
 * ```
 */
export async function generateSyntheticDataset(
  root: string,
  options: GenerateSyntheticDatasetOptions = {},
): Promise<SyntheticDatasetSummary> {
  const o = { ...DEFAULT_SYNTHETIC_DATASET, ...options };
  const kinds = o.kinds ?? SCENE_KINDS;
  if (!Number.isInteger(o.aois) || o.aois < 1) {
    throw new WorldStratError('INVALID_ARGUMENT', `aois ${o.aois}: use an integer ≥ 1`);
  }
  if (!Number.isInteger(o.revisits) || o.revisits < 1) {
    throw new WorldStratError('INVALID_ARGUMENT', `revisits ${o.revisits}: use an integer ≥ 1`);
  }
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed >= 2 ** 32) {
    throw new WorldStratError('INVALID_ARGUMENT', `seed ${o.seed}: use an integer in [0, 2^32)`);
  }
  if (kinds.length === 0 || kinds.some((k) => !SCENE_KINDS.includes(k))) {
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `kinds ${JSON.stringify(kinds)}: use values of ${SCENE_KINDS.join(', ')}`,
    );
  }
  const lrSize = Math.round((o.hrSize * o.hrPixelM) / o.lrPixelM);
  if (!Number.isInteger(o.hrSize) || o.hrSize < 16 || lrSize < 4) {
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `hrSize ${o.hrSize} gives an LR size of ${lrSize} px: use hrSize ≥ ${Math.ceil((4 * o.lrPixelM) / o.hrPixelM)}`,
    );
  }
  throwIfAborted(o.signal);
  await mkdir(root, { recursive: true });
  const existing = (await readdir(root)).filter((f) => !f.startsWith('.'));
  if (existing.length > 0 && !o.overwrite) {
    throw new WorldStratError(
      'WRITE_FAILED',
      `${root} is not empty (${existing.slice(0, 3).join(', ')}…); choose an empty folder or pass overwrite: true`,
    );
  }

  const areaKm2 = ((o.hrSize * o.hrPixelM) / 1000) ** 2;
  // Random land locations (Natural Earth 1:110m is plenty for placing synthetic AOIs), kept between 56°S and
  // 72°N so no farmland lands on the Antarctic ice sheet or Greenland's interior.
  const mask = await loadLandMask({ scale: '110m' });
  const points: { lon: number; lat: number }[] = [];
  for (let round = 0; points.length < o.aois; round++) {
    const batch = await samplePointsOnLand(2 * o.aois, { seed: o.seed + round * 0x9e3779b1, mask });
    for (const p of batch) if (p.lat > -56 && p.lat < 72 && points.length < o.aois) points.push(p);
  }
  const splits = assignSplits(o.aois, o.splitFractions);
  const compression = o.compression;
  const aois: SyntheticAoi[] = [];
  const metadataRows: (string | number)[][] = [];
  let files = 0;
  for (let a = 0; a < o.aois; a++) {
    throwIfAborted(o.signal);
    const rng = createRng(o.seed * 1_000_003 + a + 1);
    const name = `Synthetic-${a + 1}`;
    const kind = kinds[a % kinds.length];
    const { lon, lat } = points[a];
    const bounds = aoiBounds(lon, lat, areaKm2) as BBox;
    const scene = synthesizeScene(rng, { size: o.hrSize, pixelSizeM: o.hrPixelM, kind });

    // HR products.
    const hrDir = join(root, 'hr_dataset', name);
    await mkdir(hrDir, { recursive: true });
    const rgbn = sceneRgbn(scene);
    const dn = rgbn.map(toUint16Dn);
    await writeGeoTiff(
      join(hrDir, `${name}_ps.tiff`),
      {
        width: o.hrSize,
        height: o.hrSize,
        dtype: 'uint16',
        bands: dn,
        geo: geoFor(bounds, o.hrSize, o.hrSize),
      },
      { compression, tiled: true, tileSize: 256, predictor: compression === 'deflate' },
    );
    const pan = new Float32Array(rgbn[0].length);
    for (let i = 0; i < pan.length; i++)
      pan[i] = 0.35 * rgbn[0][i] + 0.35 * rgbn[1][i] + 0.2 * rgbn[2][i] + 0.1 * rgbn[3][i];
    await writeGeoTiff(
      join(hrDir, `${name}_pan.tiff`),
      {
        width: o.hrSize,
        height: o.hrSize,
        dtype: 'uint16',
        bands: [toUint16Dn(pan)],
        geo: geoFor(bounds, o.hrSize, o.hrSize),
      },
      { compression, tiled: true, tileSize: 256, predictor: compression === 'deflate' },
    );
    const ms = Math.max(1, Math.round(6 / o.hrPixelM));
    const msSize = Math.floor(o.hrSize / ms);
    await writeGeoTiff(
      join(hrDir, `${name}_rgbn.tiff`),
      {
        width: msSize,
        height: msSize,
        dtype: 'uint16',
        bands: rgbn.map((b) => toUint16Dn(boxDown(b, o.hrSize, ms))),
        geo: geoFor(bounds, msSize, msSize),
      },
      { compression },
    );
    files += 3;

    // LR revisits, ranked like the release: rank(|Δdays|) + rank(cloud cover), n = 1 is best.
    const params = drawRevisitParams(rng, o.revisits, o.revisitOptions);
    const revisits = degradeScene(scene, params, rng, { lrSize, lrPixelM: o.lrPixelM });
    const idx = params.map((_, i) => i);
    // pandas-style average ranks (ties share the mean of their positions).
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
    const rDelta = rankOf((i) => Math.abs(params[i].deltaDays));
    const rCloud = rankOf((i) => revisits[i].cloudFraction);
    const order = [...idx].sort(
      (x, y) =>
        rDelta[x] + rCloud[x] - (rDelta[y] + rCloud[y]) ||
        Math.abs(params[x].deltaDays) - Math.abs(params[y].deltaDays) ||
        x - y,
    );
    const lrDir = join(root, 'lr_dataset', name, 'L2A');
    await mkdir(lrDir, { recursive: true });
    const hrDateMs = Date.UTC(2018, 0, 1) + rng.int(3 * 365) * DAY_MS;
    const record: SyntheticAoi = { name, kind, lon, lat, bounds, areaKm2, split: splits[a], revisits: [] };
    const labels = SYNTHETIC_CLASS_LABELS[kind];
    for (let k = 0; k < order.length; k++) {
      throwIfAborted(o.signal);
      const i = order[k];
      const n = k + 1;
      const rv = revisits[i];
      const p = params[i];
      const geo = geoFor(bounds, lrSize, lrSize);
      const lowMs = hrDateMs + p.deltaDays * DAY_MS;
      const cloudCover = Math.round(rv.cloudFraction * 10000) / 100;
      // One level's three files: data, cloud mask and the `.metadata` JSON the release carries per revisit.
      const writeLevel = async (
        dir: string,
        level: 'L2A' | 'L1C',
        bands: Raster['bands'],
        meta: Record<string, unknown>,
      ) => {
        const raster = (dtype: 'float32' | 'uint8', b: Raster['bands']): Raster => ({
          width: lrSize,
          height: lrSize,
          dtype,
          bands: b,
          geo,
        });
        await writeGeoTiff(join(dir, `${name}-${n}-${level}_data.tiff`), raster('float32', bands), {
          compression,
        });
        await writeGeoTiff(join(dir, `${name}-${n}-CLM.tiff`), raster('uint8', [rv.clm]), { compression });
        await writeFileAtomic(
          join(dir, `${name}-${n}.metadata`),
          `${JSON.stringify({
            cloud_cover: cloudCover,
            target_date: isoDate(hrDateMs),
            delta: String(p.deltaDays),
            area: areaKm2,
            datetime: `${isoDate(lowMs)} 10:30:00+00:00`,
            synthetic: true,
            ...meta,
          })}\n`,
        );
        files += 3;
      };
      await writeLevel(lrDir, 'L2A', rv.bands, {
        bands: S2_L2A_BANDS,
        shift_px: p.shiftPx,
        gain: p.gain,
        offset: p.offset,
        noise_sigma: p.noiseSigma,
      });
      if (o.l1c) {
        const l1cDir = join(root, 'lr_dataset', name, 'L1C');
        await mkdir(l1cDir, { recursive: true });
        await writeLevel(l1cDir, 'L1C', l2aToL1c(rv.bands, rv.clm), { bands: S2_L1C_BANDS });
      }
      record.revisits.push({
        n,
        cloudFraction: rv.cloudFraction,
        deltaDays: p.deltaDays,
        shiftPx: p.shiftPx,
      });
      metadataRows.push([
        name,
        n,
        isoDate(lowMs),
        isoDate(hrDateMs),
        JSON.stringify(bounds),
        areaKm2,
        cloudCover,
        p.deltaDays,
        lon,
        lat,
        labels.lccs,
        labels.smod,
        kind,
        labels.lccsLabel,
        labels.smodLabel,
        'Synthetic',
      ]);
    }
    aois.push(record);
    o.onProgress?.({ stage: 'synthesize', done: a + 1, total: o.aois });
  }

  // Tables last: they are the dataset's index.
  await writeFileAtomic(join(root, 'metadata.csv'), toCsv(METADATA_COLUMNS, metadataRows));
  await writeFileAtomic(
    join(root, SPLIT_CSV_NAME),
    toCsv(
      ['', 'tile', 'IPCC Class', 'SMOD', 'source', 'joint_class', 'split'],
      aois.map((aoi, i) => {
        const smod = SYNTHETIC_CLASS_LABELS[aoi.kind].smod;
        return [
          i * o.revisits,
          aoi.name,
          aoi.kind,
          smod,
          'Synthetic',
          `Synthetic/${aoi.kind}/${smod}`,
          aoi.split,
        ];
      }),
    ),
  );
  const { signal: _s, onProgress: _p, ...recorded } = o;
  await writeFileAtomic(
    join(root, 'synthetic.json'),
    `${JSON.stringify({ synthetic: true, generator: 'worldstrat generateSyntheticDataset', options: { ...recorded, kinds }, lrSize, aois }, null, 1)}\n`,
  );
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
      'See synthetic.json for every parameter and each revisit .metadata for its shift, gain and offset.',
      '',
    ].join('\n'),
  );
  files += 4;
  return { root, aois, hrSize: o.hrSize, lrSize, files };
}
