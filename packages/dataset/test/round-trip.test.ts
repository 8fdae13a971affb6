// Round trip through the release layout: what generateSyntheticDataset writes, scanDataset/openDataset read back
// as the same scenes (names, revisit counts, shapes, pixels) and the same splits, through the layout module.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCsv } from '@worldstrat/core';
import { createRng } from '@worldstrat/geo-sampling';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  degradeScene,
  drawRevisitParams,
  generateSyntheticDataset,
  hrImagePath,
  jointClass,
  lrRevisitFiles,
  METADATA_COLUMNS,
  openDataset,
  S2_L2A_BANDS,
  SPLIT_COLUMNS,
  SYNTHETIC_CLASS_LABELS,
  type SyntheticDatasetSummary,
  sceneRgbn,
  synthesizeScene,
  transformHr,
  transformLr,
  type WorldStratDataset,
} from '../src/node.js';
import { tempDir } from './support/fixtures.js';

const OPTS = { aois: 4, revisits: 3, hrSize: 120, seed: 5 } as const;
const LR_SIZE = 18; // round(120 · 1.5 / 10)

const sha = (a: ArrayBufferView) =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');
const dn = (band: Float32Array) =>
  Uint16Array.from(band, (v) => Math.min(4095, Math.max(0, Math.round(v * 10000))));

/** The generator's scene and revisits for AOI index `a`, recomputed in memory from the same seed. */
function expectedAoi(a: number, kind: (typeof summary.aois)[number]['kind']) {
  const rng = createRng(OPTS.seed * 1_000_003 + a + 1);
  const scene = synthesizeScene(rng, { size: OPTS.hrSize, pixelSizeM: 1.5, kind });
  const params = drawRevisitParams(rng, OPTS.revisits);
  const revisits = degradeScene(scene, params, rng, { lrSize: LR_SIZE, lrPixelM: 10 });
  return { hr: sceneRgbn(scene).map(dn), params, revisits };
}

let dir: string;
let cleanup: () => Promise<void>;
let root: string;
let summary: SyntheticDatasetSummary;
let ds: WorldStratDataset;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-roundtrip-'));
  root = join(dir, 'synthetic');
  summary = await generateSyntheticDataset(root, OPTS);
  ds = await openDataset(root, { revisits: OPTS.revisits, masks: true });
});
afterAll(() => cleanup());

describe('synthetic → layout → reader round trip', () => {
  it('finds every written scene with its files at the layout paths', () => {
    expect(ds.problems).toEqual([]);
    expect(ds.hrFolder).toBe('hr_dataset');
    expect(ds.scenes.map((s) => s.name)).toEqual(summary.aois.map((a) => a.name));
    for (const s of ds.scenes) {
      expect(s.availableRevisits).toBe(OPTS.revisits);
      expect(s.hrPath).toBe(hrImagePath(root, s.name));
      expect(s.hrPanPath).toBe(hrImagePath(root, s.name, 'pan'));
      const files = [1, 2, 3].map((n) => lrRevisitFiles(root, s.name, 'L2A', n));
      expect(s.lrPaths).toEqual(files.map((f) => f.data));
      expect(s.lrcPaths).toEqual(files.map((f) => f.clm));
    }
  });

  it('reads back the HR and every ranked revisit pixel for pixel', async () => {
    for (const [a, aoi] of summary.aois.entries()) {
      const want = expectedAoi(a, aoi.kind);
      const hr = await readGeoTiffFile(hrImagePath(root, aoi.name));
      expect([hr.width, hr.height, hr.bands.length, hr.dtype]).toEqual([
        OPTS.hrSize,
        OPTS.hrSize,
        4,
        'uint16',
      ]);
      expect(hr.bands.map((b) => sha(b as Uint16Array))).toEqual(want.hr.map(sha));
      for (const r of aoi.revisits) {
        // revisit n on disk is the drawn revisit with this rank's Δdays and cloud fraction
        const i = want.params.findIndex(
          (p, k) => p.deltaDays === r.deltaDays && want.revisits[k].cloudFraction === r.cloudFraction,
        );
        expect(i).toBeGreaterThanOrEqual(0);
        const files = lrRevisitFiles(root, aoi.name, 'L2A', r.n);
        const lr = await readGeoTiffFile(files.data);
        expect([lr.width, lr.height, lr.bands.length]).toEqual([LR_SIZE, LR_SIZE, S2_L2A_BANDS.length]);
        expect(lr.bands.map((b) => sha(b as Float32Array))).toEqual(want.revisits[i].bands.map(sha));
        const clm = await readGeoTiffFile(files.clm);
        expect(sha(clm.bands[0] as Uint8Array)).toBe(sha(want.revisits[i].clm));
        const meta = JSON.parse(await readFile(files.metadata, 'utf8'));
        expect(meta.delta).toBe(String(r.deltaDays));
        expect(meta.shift_px).toEqual(r.shiftPx);
      }
    }
  });

  it('loads each scene as the transforms of the written pixels', async () => {
    const s = ds.scenes[1];
    const aoi = summary.aois[1];
    const want = expectedAoi(1, aoi.kind);
    const scene = await ds.loadScene(s);
    expect(scene.lrShape).toEqual([3, 12, 160, 160]);
    expect(scene.hrShape).toEqual([3, 500, 500]);
    expect(scene.lrc?.length).toBe(3 * 160 * 160);
    const order = aoi.revisits.map((r) =>
      want.params.findIndex(
        (p, k) => p.deltaDays === r.deltaDays && want.revisits[k].cloudFraction === r.cloudFraction,
      ),
    );
    const lr = new Float32Array(3 * 12 * LR_SIZE * LR_SIZE);
    order.forEach((i, n) => {
      want.revisits[i].bands.forEach((b, c) => {
        lr.set(b, (n * 12 + c) * LR_SIZE * LR_SIZE);
      });
    });
    expect(sha(scene.lr)).toBe(sha(transformLr(lr, [3, 12, LR_SIZE, LR_SIZE])));
    const hr = new Float32Array(3 * OPTS.hrSize * OPTS.hrSize);
    for (let c = 0; c < 3; c++) hr.set(want.hr[c], c * OPTS.hrSize * OPTS.hrSize);
    expect(sha(scene.hr)).toBe(sha(transformHr(hr, [3, OPTS.hrSize, OPTS.hrSize])));
  });

  it('reads back the same splits and tables through the layout schema', async () => {
    const split = ds.split('csv');
    for (const k of ['train', 'val', 'test'] as const)
      expect(split[k].map((s) => s.name)).toEqual(
        summary.aois.filter((a) => a.split === k).map((a) => a.name),
      );
    expect(split.train.length + split.val.length + split.test.length).toBe(OPTS.aois);

    const splitCsv = parseCsv(await readFile(join(root, 'stratified_train_val_test_split.csv'), 'utf8'));
    expect(splitCsv.header).toEqual(SPLIT_COLUMNS.map((c, i) => (c === '' ? `__col${i}` : c)));
    expect(splitCsv.rows.map((r) => [r.__col0, r.tile, r.joint_class, r.split])).toEqual(
      summary.aois.map((a, i) => [
        String(i * OPTS.revisits),
        a.name,
        jointClass('Synthetic', a.kind, SYNTHETIC_CLASS_LABELS[a.kind].smod),
        a.split,
      ]),
    );
    const meta = parseCsv(await readFile(join(root, 'metadata.csv'), 'utf8'));
    expect(meta.header).toEqual([...METADATA_COLUMNS]);
    expect(meta.rows.map((r) => `${r.tile}#${r.n}`)).toEqual(
      summary.aois.flatMap((a) => a.revisits.map((r) => `${a.name}#${r.n}`)),
    );
    expect(meta.rows.every((r) => r.source === 'Synthetic')).toBe(true);
  });
});
