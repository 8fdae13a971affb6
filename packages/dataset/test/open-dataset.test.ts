import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGeoTiffFile, writeGeoTiff } from '@worldstrat/raster-io/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChipBatch, type DatasetProblem, generateSyntheticDataset, openDataset } from '../src/node.js';
import { tempDir } from './support/fixtures.js';

async function collect(it: AsyncIterable<ChipBatch>): Promise<ChipBatch[]> {
  const out: ChipBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('openDataset on a synthetic release-layout dataset', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let root: string;
  let names: string[];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    root = join(dir, 'ds');
    const s = await generateSyntheticDataset(root, {
      aois: 10,
      revisits: 3,
      hrSize: 96,
      seed: 3,
      compression: 'none',
    });
    names = s.aois.map((a) => a.name);
  });
  afterAll(() => cleanup());

  it('finds scenes in natural order with their first R revisits and the CSV split', async () => {
    const ds = await openDataset(root, { revisits: 2 });
    expect(ds.hrFolder).toBe('hr_dataset');
    expect(ds.scenes.map((s) => s.name)).toEqual(
      [...names].sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1])),
    );
    expect(ds.scenes[0].lrPaths.map((p) => p.split('/').pop())).toEqual([
      'Synthetic-1-1-L2A_data.tiff',
      'Synthetic-1-2-L2A_data.tiff',
    ]);
    const sp = ds.split();
    expect(sp.train.length + sp.val.length + sp.test.length).toBe(10);
    expect(sp.train.length).toBe(8);
    expect(sp.val.length).toBe(1);
    expect(ds.problems).toEqual([]);
  });

  it('serves batches lr (B,R,12,50,50) / hr (B,3,156,156) covering 9 chips per scene', async () => {
    const ds = await openDataset(root, { revisits: 3, masks: true });
    const scenes = ds.split('all').train.slice(0, 3);
    const batches = await collect(ds.batches(scenes, { batchSize: 10, shuffle: false, augment: false }));
    expect(batches.map((b) => b.lr.shape[0])).toEqual([10, 10, 7]);
    expect(batches[0].lr.shape).toEqual([10, 3, 12, 50, 50]);
    expect(batches[0].hr.shape).toEqual([10, 3, 156, 156]);
    expect(batches[0].lrc?.shape).toEqual([10, 3, 1, 50, 50]);
    expect(batches[0].chips.slice(0, 9)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const hr = batches[0].hr.data;
    expect(hr.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
    // The chip is exactly the matching window of the whole transformed scene.
    const scene = await ds.loadScene(scenes[0]);
    const k = 5; // left 50, top 100
    const lr0 = batches[0].lr.data.subarray(k * 3 * 12 * 2500, k * 3 * 12 * 2500 + 50);
    expect(Array.from(lr0)).toEqual(Array.from(scene.lr.subarray(100 * 160 + 50, 100 * 160 + 100)));
    const hr0 = batches[0].hr.data.subarray(k * 3 * 156 * 156, k * 3 * 156 * 156 + 156);
    expect(Array.from(hr0)).toEqual(Array.from(scene.hr.subarray(312 * 500 + 156, 312 * 500 + 312)));
  });

  it('shuffles and augments reproducibly (train by default, every split with compat)', async () => {
    const ds = await openDataset(root, { revisits: 2, cacheScenes: 10 });
    const a = await collect(ds.batches('train', { batchSize: 16, seed: 5 }));
    const b = await collect(ds.batches('train', { batchSize: 16, seed: 5 }));
    const c = await collect(ds.batches('train', { batchSize: 16, seed: 6 }));
    expect(a.map((x) => x.names)).toEqual(b.map((x) => x.names));
    expect(Buffer.from(a[0].lr.data.buffer).equals(Buffer.from(b[0].lr.data.buffer))).toBe(true);
    expect(a.map((x) => x.names.join()).join()).not.toEqual(c.map((x) => x.names.join()).join());
    expect(a.reduce((n, x) => n + x.lr.shape[0], 0)).toBe(8 * 9);
    // Val: no augmentation by default → identical to an explicit augment:false pass; compat turns it on.
    const v1 = await collect(ds.batches('val', { batchSize: 9 }));
    const v2 = await collect(ds.batches('val', { batchSize: 9, augment: false }));
    const v3 = await collect(ds.batches('val', { batchSize: 9, compat: true, seed: 1 }));
    expect(Buffer.from(v1[0].hr.data.buffer).equals(Buffer.from(v2[0].hr.data.buffer))).toBe(true);
    expect(Buffer.from(v1[0].hr.data.buffer).equals(Buffer.from(v3[0].hr.data.buffer))).toBe(false);
  });

  it('reports missing folders, duplicate tiles and too few revisits; skips them on request', async () => {
    const broken = join(dir, 'broken');
    cpSync(root, broken, { recursive: true });
    rmSync(join(broken, 'lr_dataset', 'Synthetic-2'), { recursive: true });
    rmSync(join(broken, 'lr_dataset', 'Synthetic-3', 'L2A', 'Synthetic-3-3-L2A_data.tiff'));
    const csvPath = join(broken, 'stratified_train_val_test_split.csv');
    const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
    writeFileSync(csvPath, `${[...lines, lines[4]].join('\n')}\n`);
    await expect(openDataset(broken, { revisits: 3 })).rejects.toMatchObject({ code: 'DATASET_LAYOUT' });
    const seen: DatasetProblem[] = [];
    const ds = await openDataset(broken, { revisits: 3, skipInvalid: true, onProblem: (p) => seen.push(p) });
    expect(ds.scenes).toHaveLength(8);
    expect(seen.map((p) => p.code).sort()).toEqual(['DUPLICATE_TILE', 'MISSING_FOLDER', 'TOO_FEW_REVISITS']);
    expect(seen.find((p) => p.code === 'MISSING_FOLDER')?.aoi).toBe('Synthetic-2');
  });

  it('a split CSV listing one tile in two different splits is DATASET_LAYOUT naming the CSV, tile and splits', async () => {
    const leaky = join(dir, 'leaky');
    cpSync(root, leaky, { recursive: true });
    const csvPath = join(leaky, 'stratified_train_val_test_split.csv');
    const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const [col, tileCol] = [header.indexOf('split'), header.indexOf('tile')];
    const row = lines.findIndex((l, i) => i > 0 && l.split(',')[col] === 'train');
    const cells = lines[row].split(',');
    const tile = cells[tileCol];
    cells[col] = 'test';
    writeFileSync(csvPath, `${[...lines, cells.join(',')].join('\n')}\n`);
    const err = await openDataset(leaky, { revisits: 2 }).catch((e) => e);
    expect(err).toMatchObject({ code: 'DATASET_LAYOUT' });
    expect(err.message).toBe(
      `${csvPath}: tile "${tile}" is listed in two splits, train (data row ${row}) and test (data row ${lines.length}); keep one row per tile`,
    );
    // the same split twice stays a reported problem (the release lists one tile twice)
    writeFileSync(csvPath, `${[...lines, lines[row]].join('\n')}\n`);
    const seen: DatasetProblem[] = [];
    const ds = await openDataset(leaky, { revisits: 2, skipInvalid: true, onProblem: (p) => seen.push(p) });
    expect(seen.map((p) => p.code)).toEqual(['DUPLICATE_TILE']);
    expect(ds.scenes.find((s) => s.name === tile)?.csvSplit).toBe('train');
  });

  it('pairs each cloud mask with its own revisit; a revisit without one is a MISSING_MASK problem', async () => {
    const holed = join(dir, 'holed');
    cpSync(root, holed, { recursive: true });
    const l2a = join(holed, 'lr_dataset', 'Synthetic-1', 'L2A');
    rmSync(join(l2a, 'Synthetic-1-2-CLM.tiff'));
    const base = (p: string) => p.split(/[/\\]/).pop();
    // Without masks the entry still keeps only the masks of its own revisits (before: 1 and 3 for revisits 1, 2).
    const plain = await openDataset(holed, { revisits: 2 });
    expect(plain.scenes[0].lrcPaths.map(base)).toEqual(['Synthetic-1-1-CLM.tiff']);
    await expect(openDataset(holed, { revisits: 2, masks: true })).rejects.toMatchObject({
      code: 'DATASET_LAYOUT',
      message: expect.stringMatching(/Synthetic-1: revisit .*Synthetic-1-2-L2A_data\.tiff has no cloud mask/),
    });
    const ds = await openDataset(holed, { revisits: 2, masks: true, skipInvalid: true });
    expect(ds.problems).toEqual([
      expect.objectContaining({
        code: 'MISSING_MASK',
        aoi: 'Synthetic-1',
        path: join(l2a, 'Synthetic-1-2-CLM.tiff'),
      }),
    ]);
    expect(ds.scenes.map((s) => s.name)).not.toContain('Synthetic-1');
    for (const s of ds.scenes) {
      expect(s.lrcPaths.map(base)).toEqual([`${s.name}-1-CLM.tiff`, `${s.name}-2-CLM.tiff`]);
      expect(s.lrPaths.map(base)).toEqual([`${s.name}-1-L2A_data.tiff`, `${s.name}-2-L2A_data.tiff`]);
    }
  });

  it('skips an unreadable file mid-iteration when asked, throws a typed error otherwise', async () => {
    const bad = join(dir, 'bad');
    cpSync(root, bad, { recursive: true });
    writeFileSync(join(bad, 'lr_dataset', 'Synthetic-4', 'L2A', 'Synthetic-4-1-L2A_data.tiff'), 'not a tiff');
    const strict = await openDataset(bad, { revisits: 2 });
    const scenes = strict.split('all').train;
    await expect(collect(strict.batches(scenes, { batchSize: 9, shuffle: false }))).rejects.toMatchObject({
      code: 'UNREADABLE_FILE',
    });
    const lenient = await openDataset(bad, { revisits: 2, skipInvalid: true });
    const got = await collect(lenient.batches(scenes, { batchSize: 9, shuffle: false }));
    expect(got).toHaveLength(9);
    expect(got.flatMap((b) => b.names)).not.toContain('Synthetic-4');
    expect(lenient.problems.map((p) => p.code)).toContain('UNREADABLE_FILE');
    const verified = await openDataset(bad, { revisits: 2, skipInvalid: true, verifyFiles: true });
    expect(verified.scenes.map((s) => s.name)).not.toContain('Synthetic-4');
  });

  it('a uint16 DN revisit among float32 reflectance revisits is SHAPE_MISMATCH naming it (was stacked ~10⁴ off)', async () => {
    const mixed = join(dir, 'mixed');
    cpSync(root, mixed, { recursive: true });
    const path = join(mixed, 'lr_dataset', 'Synthetic-2', 'L2A', 'Synthetic-2-2-L2A_data.tiff');
    const r = await readGeoTiffFile(path);
    expect(r.bands[0]).toBeInstanceOf(Float32Array); // the synthetic revisits are float reflectance
    await writeGeoTiff(path, {
      ...r,
      dtype: 'uint16',
      bands: r.bands.map((b) => Uint16Array.from(b, (v) => Math.round(Math.max(0, v) * 10000))),
    });
    const ds = await openDataset(mixed, { revisits: 3 });
    const scene = ds.scenes.find((s) => s.name === 'Synthetic-2');
    const err = await ds.loadScene(scene as (typeof ds.scenes)[number]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SHAPE_MISMATCH' });
    expect((err as Error).message).toBe(
      `${scene?.lrPaths[1]} holds uint16 values but 2 of the 3 revisits hold float32; integer DN and float reflectance differ in scale by about 10⁴, so a scene's revisits must be all integer or all float`,
    );
    // the untouched scenes still load
    const ok = await ds.loadScene(
      ds.scenes.find((s) => s.name === 'Synthetic-3') as (typeof ds.scenes)[number],
    );
    expect(ok.lrShape).toEqual([3, 12, 160, 160]);
  });

  it('a float32 revisit holding DN among float32 reflectance revisits is SHAPE_MISMATCH naming it and both magnitudes', async () => {
    const dnAsFloat = join(dir, 'dn-as-float');
    cpSync(root, dnAsFloat, { recursive: true });
    const l2a = join(dnAsFloat, 'lr_dataset', 'Synthetic-2', 'L2A');
    // revisit 1 as DN (reflectance × 10⁴, rounded) written as float32: the sample kind alone cannot tell
    const first = await readGeoTiffFile(join(l2a, 'Synthetic-2-1-L2A_data.tiff'));
    expect(first.dtype).toBe('float32');
    await writeGeoTiff(join(l2a, 'Synthetic-2-2-L2A_data.tiff'), {
      ...first,
      bands: first.bands.map((b) => Float32Array.from(b, (v) => Math.round(Math.max(0, v) * 10000))),
    });
    const ds = await openDataset(dnAsFloat, { revisits: 3 });
    const scene = ds.scenes.find((s) => s.name === 'Synthetic-2') as (typeof ds.scenes)[number];
    const err = await ds.loadScene(scene).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'DatasetError', code: 'SHAPE_MISMATCH' });
    const message = (err as Error).message;
    const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const m = message.match(
      new RegExp(
        `^${quote(scene.lrPaths[1] as string)} holds values of typical magnitude (\\S+) but ${quote(scene.lrPaths[0] as string)} holds (\\S+): over 1000× apart, as for a DN revisit among reflectance ones; `,
      ),
    );
    expect(m, message).not.toBeNull();
    const [dn, reflectance] = [Number(m?.[1]), Number(m?.[2])];
    expect(reflectance).toBeGreaterThan(0.01); // vegetation/soil reflectance
    expect(reflectance).toBeLessThan(1);
    expect(dn / reflectance).toBeGreaterThan(0.99e4); // the same pixels, ×10⁴ (3 significant digits shown)
    expect(dn / reflectance).toBeLessThan(1.01e4);
    // through the training iterator: the scene is a SHAPE_MISMATCH problem, the other scenes still batch
    const lenient = await openDataset(dnAsFloat, { revisits: 3, skipInvalid: true });
    const scenes = lenient.split('all').train.filter((s) => ['Synthetic-1', 'Synthetic-2'].includes(s.name));
    const got = await collect(lenient.batches(scenes, { batchSize: 9, shuffle: false }));
    expect(got.flatMap((b) => b.names)).toEqual(new Array(9).fill('Synthetic-1'));
    expect(lenient.problems).toEqual([
      expect.objectContaining({
        code: 'SHAPE_MISMATCH',
        aoi: 'Synthetic-2',
        message: `Synthetic-2: [SHAPE_MISMATCH] ${message}`,
      }),
    ]);
  });

  it('a scene with a bright cloud revisit and a dark water revisit (~200× apart) still loads', async () => {
    const contrast = join(dir, 'contrast');
    cpSync(root, contrast, { recursive: true });
    const l2a = join(contrast, 'lr_dataset', 'Synthetic-3', 'L2A');
    const first = await readGeoTiffFile(join(l2a, 'Synthetic-3-1-L2A_data.tiff'));
    const n = first.width * first.height;
    const texture = (i: number, b: number) =>
      Math.sin((i % first.width) / 5 + b) * Math.cos(i / first.width / 7);
    // thick cloud: reflectance ~0.8–0.9 in every band; open water: ~0.003–0.005
    const cloud = first.bands.map((_, b) =>
      Float32Array.from({ length: n }, (_, i) => 0.85 + 0.05 * texture(i, b)),
    );
    const water = first.bands.map((_, b) =>
      Float32Array.from({ length: n }, (_, i) => 0.004 + 0.001 * texture(i, b)),
    );
    await writeGeoTiff(join(l2a, 'Synthetic-3-2-L2A_data.tiff'), { ...first, bands: cloud });
    await writeGeoTiff(join(l2a, 'Synthetic-3-3-L2A_data.tiff'), { ...first, bands: water });
    const ds = await openDataset(contrast, { revisits: 3 });
    const scene = ds.scenes.find((s) => s.name === 'Synthetic-3') as (typeof ds.scenes)[number];
    const loaded = await ds.loadScene(scene);
    expect(loaded.lrShape).toEqual([3, 12, 160, 160]);
    expect(loaded.lr.every((v) => Number.isFinite(v))).toBe(true);
    const batches = await collect(ds.batches([scene], { batchSize: 9, shuffle: false }));
    expect(batches.map((b) => b.lr.shape)).toEqual([[9, 3, 12, 50, 50]]);
    expect(ds.problems).toEqual([]);
  });

  it('reads the 8-bit layout (hr_dataset/8bit/<AOI>/<AOI>_ps_8bit.tiff, DN/255)', async () => {
    const eight = join(dir, 'eight');
    cpSync(root, eight, { recursive: true });
    for (const n of names) {
      const ps = await readGeoTiffFile(join(eight, 'hr_dataset', n, `${n}_ps.tiff`));
      // upstream's 8-bit conversion: 8-bit = trunc(255 · clamp(DN / 10000, 0, 1)).
      const bands = ps.bands
        .slice(0, 3)
        .map((b) => Uint8Array.from(b, (v) => Math.trunc(255 * Math.min(1, v / 10000))));
      mkdirSync(join(eight, 'hr_dataset', '8bit', n), { recursive: true });
      await writeGeoTiff(join(eight, 'hr_dataset', '8bit', n, `${n}_ps_8bit.tiff`), {
        width: ps.width,
        height: ps.height,
        dtype: 'uint8',
        bands,
      });
    }
    const ds8 = await openDataset(eight, { revisits: 1, radiometryDepth: 8 });
    expect(ds8.hrFolder).toBe('hr_dataset/8bit');
    expect(ds8.scenes[0].hrPath.endsWith('_ps_8bit.tiff')).toBe(true);
    const ds12 = await openDataset(root, { revisits: 1 });
    const a = await ds8.loadScene(ds8.scenes[0]);
    const b = await ds12.loadScene(ds12.scenes[0]);
    const mean = (x: Float32Array) => x.reduce((s, v) => s + v, 0) / x.length;
    expect(Math.abs(mean(a.hr) - mean(b.hr)) / mean(b.hr)).toBeLessThan(0.03); // same scale, 8-bit quantisation
  });

  it('reads the Kaggle / pre-2023 hr_dataset/12bit/ layout without a split CSV', async () => {
    const kaggle = join(dir, 'kaggle');
    cpSync(root, kaggle, { recursive: true });
    mkdirSync(join(kaggle, 'hr_dataset', '12bit'));
    for (const n of names) renameSync(join(kaggle, 'hr_dataset', n), join(kaggle, 'hr_dataset', '12bit', n));
    rmSync(join(kaggle, 'stratified_train_val_test_split.csv'));
    const ds = await openDataset(kaggle, { revisits: 2 });
    expect(ds.hrFolder).toBe('hr_dataset/12bit');
    expect(ds.scenes).toHaveLength(10);
    expect(() => ds.split('csv')).toThrow(/split/);
    expect(ds.split('all').train).toHaveLength(10);
    await expect(openDataset(join(dir, 'nope'))).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });
});

describe('openDataset paper split', () => {
  it('reproduces upstream: natsorted names, seeded randperm, counts from the HR folder entries', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const root = join(dir, 'p');
      await generateSyntheticDataset(root, {
        aois: 10,
        revisits: 1,
        hrSize: 40,
        seed: 1,
        compression: 'none',
      });
      const ds = await openDataset(root, { revisits: 1 });
      const a = ds.split('paper');
      expect([a.train.length, a.val.length, a.test.length]).toEqual([8, 1, 1]);
      const b = ds.split({ paper: { seed: 42 } });
      expect(b.train.map((s) => s.name)).not.toEqual(a.train.map((s) => s.name));
      const all = [...a.train, ...a.val, ...a.test].map((s) => s.name).sort();
      expect(all).toEqual(ds.scenes.map((s) => s.name).sort());
    } finally {
      await cleanup();
    }
  });
});
