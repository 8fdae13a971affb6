import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { readGeoTiffFile, writeGeoTiff } from '@worldstrat/raster-io/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChipBatch,
  DatasetError,
  type DatasetProblem,
  generateSyntheticDataset,
  openDataset,
} from '../src/node.js';
import { SHARED_DIR, tempDir } from './support/fixtures.js';

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

  it('syncIo: the same scenes and batches, read with no file-system request left to libuv', async () => {
    const ds = await openDataset(root, { revisits: 3, masks: true });
    const sync = await openDataset(root, { revisits: 3, masks: true, syncIo: true });
    const pending = () => process.getActiveResourcesInfo().filter((k) => k.startsWith('FSReq'));
    const before = pending().length;
    const asyncLoad = ds.loadScene(ds.scenes[1]);
    expect(pending().length).toBeGreaterThan(before); // the check sees requests when there are some
    const a = await asyncLoad;
    const idle = pending().length;
    const syncLoad = sync.loadScene(sync.scenes[1]);
    expect(pending().length).toBe(idle);
    const b = await syncLoad;
    // compared as bytes: toEqual walks 10^7 floats element by element for a minute
    const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    const same = (p?: ArrayBufferView, q?: ArrayBufferView) => !!p && !!q && bytes(p).equals(bytes(q));
    expect([same(b.lr, a.lr), same(b.hr, a.hr), same(b.lrc, a.lrc), b.lr.length]).toEqual([
      true,
      true,
      true,
      921600,
    ]);
    const opts = { batchSize: 7, seed: 4 };
    const [x, y] = [await collect(ds.batches('train', opts)), await collect(sync.batches('train', opts))];
    expect(y.map((q) => q.chips)).toEqual(x.map((q) => q.chips));
    expect(y.every((q, i) => same(q.lr.data, x[i]?.lr.data) && same(q.hr.data, x[i]?.hr.data))).toBe(true);
    await expect(openDataset(root, { syncIo: 'yes' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'openDataset: options.syncIo must be a boolean, got "yes"',
    });
  });

  it('syncIo: a cut revisit and one that is no TIFF are UNREADABLE_FILE naming the file, as without it', async () => {
    const bad = join(dir, 'bad-sync');
    cpSync(root, bad, { recursive: true });
    const lr = (n: number) =>
      join(bad, 'lr_dataset', `Synthetic-${n}`, 'L2A', `Synthetic-${n}-1-L2A_data.tiff`);
    const cut = lr(2);
    writeFileSync(cut, readFileSync(cut).subarray(0, 3000));
    writeFileSync(lr(3), 'not a tiff');
    for (const syncIo of [false, true]) {
      const ds = await openDataset(bad, { revisits: 2, syncIo });
      for (const [n, code] of [
        [2, 'TRUNCATED'],
        [3, 'NOT_A_TIFF'],
      ] as const) {
        const scene = ds.scenes.find((s) => s.name === `Synthetic-${n}`) as (typeof ds.scenes)[number];
        const t0 = performance.now();
        const err = await ds.loadScene(scene).catch((e: unknown) => e);
        expect(performance.now() - t0).toBeLessThan(5000);
        expect(err, `syncIo ${syncIo}, Synthetic-${n}`).toMatchObject({
          name: 'DatasetError',
          code: 'UNREADABLE_FILE',
        });
        expect((err as Error).cause).toMatchObject({ name: 'RasterIoError', code });
        expect((err as Error).message).toContain(lr(n));
      }
    }
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

  it('a tile listed in two splits is a SPLIT_CONFLICT problem and in both CSV splits, like upstream; duplicates: error refuses it', async () => {
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
    // upstream filters the table per split (`df[df.split == s]`): the tile is in train and in test
    const seen: DatasetProblem[] = [];
    const ds = await openDataset(leaky, { revisits: 2, onProblem: (p) => seen.push(p) });
    expect(seen).toEqual([
      {
        code: 'SPLIT_CONFLICT',
        aoi: tile,
        path: csvPath,
        message: `${csvPath}: tile "${tile}" is listed twice: train (data row ${row}) and test (data row ${lines.length}); split('csv') puts it in train and test, as upstream's per-split filter does: a leak between those splits (upstream issue #12; duplicates: 'error' refuses such a list)`,
      },
    ]);
    expect(ds.scenes.filter((s) => s.name === tile)).toHaveLength(1);
    const sp = ds.split('csv');
    expect(sp.train.map((s) => s.name)).toContain(tile);
    expect(sp.test.map((s) => s.name)).toContain(tile);
    expect([sp.train.length, sp.val.length, sp.test.length]).toEqual([8, 1, 2]);
    // duplicates: 'keep' makes a scene of each row, each in its own row's split
    const kept = await openDataset(leaky, { revisits: 2, duplicates: 'keep' });
    expect(kept.scenes.filter((s) => s.name === tile).map((s) => s.csvSplit)).toEqual(['train', 'test']);
    const ks = kept.split('csv');
    expect([ks.train.length, ks.val.length, ks.test.length]).toEqual([8, 1, 2]);
    const err = await openDataset(leaky, { revisits: 2, duplicates: 'error' }).catch((e) => e);
    expect(err).toMatchObject({ code: 'DATASET_LAYOUT' });
    expect(err.message).toBe(
      `${csvPath}: tile "${tile}" is listed twice: train (data row ${row}) and test (data row ${lines.length}); duplicates: 'error' refuses a repeated tile (keep one row per tile, or pass duplicates: 'drop' or 'keep')`,
    );
    await expect(openDataset(leaky, { revisits: 2, duplicates: 'refuse' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `options.duplicates must be 'drop', 'keep' or 'error', got "refuse"`,
    });
    // the same split twice is a DUPLICATE_TILE problem (the release lists 27 tiles twice in one split)
    writeFileSync(csvPath, `${[...lines, lines[row]].join('\n')}\n`);
    const again: DatasetProblem[] = [];
    const ds2 = await openDataset(leaky, { revisits: 2, onProblem: (p) => again.push(p) });
    expect(again).toEqual([
      {
        code: 'DUPLICATE_TILE',
        aoi: tile,
        path: csvPath,
        message: `${csvPath}: tile "${tile}" is listed twice: train (data rows ${row} and ${lines.length}); kept as one scene; duplicates: 'keep' makes a scene of each row, like upstream (upstream issue #12)`,
      },
    ]);
    expect(ds2.scenes.find((s) => s.name === tile)?.csvSplits).toEqual(['train']);
    expect(ds2.split('csv').train.filter((s) => s.name === tile)).toHaveLength(1);
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

  it('an abort that lands inside a reader ends batches and verifyFiles with ABORTED, never a problem of the scene', async () => {
    // the signal fires right after the n-th file opens: the reader (raster-io) then fails with its own ABORTED
    const abortAtOpen = async <T>(n: number, run: (signal: AbortSignal) => Promise<T>) => {
      const controller = new AbortController();
      let opens = 0;
      const real = fsp.open;
      fsp.open = (async (...args: Parameters<typeof real>) => {
        const h = await real(...args);
        if (++opens === n) controller.abort();
        return h;
      }) as typeof real;
      syncBuiltinESMExports();
      try {
        return await run(controller.signal).then(
          (value) => ({ value, opens }),
          (error: unknown) => ({ error, opens }),
        );
      } finally {
        fsp.open = real;
        syncBuiltinESMExports();
      }
    };
    const lenient = await openDataset(root, { revisits: 2, skipInvalid: true });
    const scenes = lenient.split('all').train;
    const batches = await abortAtOpen(3, (signal) =>
      collect(lenient.batches(scenes, { batchSize: 9, signal })),
    );
    expect(batches).toMatchObject({ error: { name: 'DatasetError', code: 'ABORTED' } });
    expect(lenient.problems).toEqual([]);
    // verifyFiles opens every file once: an abort at the last one (no scene after it checks the signal)
    const all = await abortAtOpen(0, () =>
      openDataset(root, { revisits: 2, skipInvalid: true, verifyFiles: true }),
    );
    const atLast = await abortAtOpen(all.opens, (signal) =>
      openDataset(root, { revisits: 2, skipInvalid: true, verifyFiles: true, signal }),
    );
    expect(atLast).toMatchObject({ error: { name: 'DatasetError', code: 'ABORTED' } });
  });

  it("loadScene on a file that is no TIFF is DatasetError UNREADABLE_FILE keeping the reader's code and error, as batches words it", async () => {
    const bad = join(dir, 'bad-load');
    cpSync(root, bad, { recursive: true });
    const path = join(bad, 'lr_dataset', 'Synthetic-4', 'L2A', 'Synthetic-4-1-L2A_data.tiff');
    writeFileSync(path, 'not a tiff');
    const ds = await openDataset(bad, { revisits: 2, cacheScenes: 2 });
    const scene = ds.scenes.find((s) => s.name === 'Synthetic-4') as (typeof ds.scenes)[number];
    for (let i = 0; i < 2; i++) {
      // twice: a failed load leaves no cached rejection of the reader's own error behind
      const err = await ds.loadScene(scene).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatasetError);
      expect(err).toMatchObject({ name: 'DatasetError', code: 'UNREADABLE_FILE' });
      const cause = (err as Error).cause as Error & { code: string };
      expect(cause).toMatchObject({ name: 'RasterIoError', code: 'NOT_A_TIFF' });
      expect(cause.message).toContain(path);
      expect((err as Error).message).toBe(`Synthetic-4: [NOT_A_TIFF] ${cause.message}`);
    }
    const fromBatches = await collect(ds.batches([scene], { batchSize: 9 })).catch((e: unknown) => e);
    expect(fromBatches).toMatchObject({ code: 'UNREADABLE_FILE' });
    expect((fromBatches as Error).message).toMatch(/^Synthetic-4: \[NOT_A_TIFF\] .*; pass skipInvalid: true/);
  });

  it('macOS AppleDouble `._` files are never taken for the HR target or a revisit; a __MACOSX folder is no AOI', async () => {
    const mac = join(dir, 'macos');
    cpSync(root, mac, { recursive: true });
    // Finder writes `._<name>` beside each file on FAT/exFAT/SMB drives (upstream's globs skip dot files)
    const junk = Buffer.alloc(4096);
    junk.write('\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ', 'latin1');
    const l2a = join(mac, 'lr_dataset', 'Synthetic-1', 'L2A');
    for (const n of [1, 2]) {
      writeFileSync(join(l2a, `._Synthetic-1-${n}-L2A_data.tiff`), junk);
      writeFileSync(join(l2a, `._Synthetic-1-${n}-CLM.tiff`), junk);
    }
    writeFileSync(join(mac, 'hr_dataset', 'Synthetic-1', '._Synthetic-1_ps.tiff'), junk);
    writeFileSync(join(mac, 'hr_dataset', 'Synthetic-1', '._Synthetic-1_pan.tiff'), junk);
    mkdirSync(join(mac, 'hr_dataset', '__MACOSX', 'Synthetic-1'), { recursive: true });
    for (const aois of [undefined, 'folders' as const]) {
      const ds = await openDataset(mac, { revisits: 2, masks: true, verifyFiles: true, aois });
      expect(ds.problems).toEqual([]);
      expect(ds.scenes.map((s) => s.name)).not.toContain('__MACOSX');
      const s = ds.scenes.find((x) => x.name === 'Synthetic-1') as (typeof ds.scenes)[number];
      expect(s.hrPath).toBe(join(mac, 'hr_dataset', 'Synthetic-1', 'Synthetic-1_ps.tiff'));
      expect(s.hrPanPath).toBe(join(mac, 'hr_dataset', 'Synthetic-1', 'Synthetic-1_pan.tiff'));
      expect(s.lrPaths).toEqual([1, 2].map((n) => join(l2a, `Synthetic-1-${n}-L2A_data.tiff`)));
      expect(s.lrcPaths).toEqual([1, 2].map((n) => join(l2a, `Synthetic-1-${n}-CLM.tiff`)));
      expect(s.availableRevisits).toBe(3);
      expect((await ds.loadScene(s)).lrShape).toEqual([2, 12, 160, 160]);
    }
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

  it('a split CSV that is a folder, a dangling link or a FIFO is DATASET_NOT_FOUND naming it, never a silent folder listing', async () => {
    const odd = join(dir, 'odd-split');
    cpSync(root, odd, { recursive: true });
    const csv = join(odd, 'stratified_train_val_test_split.csv');
    const makers: [string, () => void, RegExp][] = [
      ['a folder', () => mkdirSync(csv), /not a regular file \(a folder\)/],
      ['a dangling link', () => symlinkSync(join(odd, 'gone.csv'), csv), /ENOENT/],
      ['a FIFO', () => execFileSync('mkfifo', [csv]), /not a regular file \(a FIFO/],
    ];
    for (const [label, make, message] of makers) {
      rmSync(csv, { recursive: true, force: true });
      make();
      const err = await openDataset(odd, { revisits: 2 }).catch((e: unknown) => e);
      expect(err, label).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).code, label).toBe('DATASET_NOT_FOUND');
      expect((err as DatasetError).message).toContain(csv);
      expect((err as DatasetError).message).toMatch(message);
    }
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

describe('openDataset with the released split CSV (shared/data)', () => {
  // 35 010 empty files in 7 780 folders: making them took 23 s and removing them 27 s on a loaded 2-core runner,
  // where the 60 s hook default ran out (twice in four runs) while the test itself took 3–5 s
  const SETUP_MS = 300_000;
  let dir: string;
  let cleanup: () => Promise<void>;
  let root: string;
  const csv = join(SHARED_DIR, 'data', 'stratified_train_val_test_split.csv');

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    root = join(dir, 'release');
    // the release's 3 890 tiles as empty files: the scan lists folders, it opens no file
    const tiles = new Set(
      readFileSync(csv, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[1]),
    );
    for (const tile of tiles) {
      mkdirSync(join(root, 'hr_dataset', tile), { recursive: true });
      writeFileSync(join(root, 'hr_dataset', tile, `${tile}_ps.tiff`), '');
      const l2a = join(root, 'lr_dataset', tile, 'L2A');
      mkdirSync(l2a, { recursive: true });
      for (let n = 1; n <= 8; n++) writeFileSync(join(l2a, `${tile}-${n}-L2A_data.tiff`), '');
    }
    cpSync(csv, join(root, 'stratified_train_val_test_split.csv'));
  }, SETUP_MS);
  afterAll(() => cleanup(), SETUP_MS);

  it('opens with the default options, reports its 38 repeated tiles (11 in two splits) and splits like upstream', async () => {
    const ds = await openDataset(root);
    const listed = join(root, 'stratified_train_val_test_split.csv');
    expect(ds.scenes).toHaveLength(3890);
    expect(ds.problems.filter((p) => p.code === 'DUPLICATE_TILE')).toHaveLength(27);
    const conflicts = ds.problems.filter((p) => p.code === 'SPLIT_CONFLICT');
    expect(ds.problems).toHaveLength(38);
    expect(conflicts.map((p) => p.aoi).sort()).toEqual([
      'Amnesty POI-10-1-2',
      'Amnesty POI-17-1-1',
      'Amnesty POI-17-2-1',
      'Amnesty POI-18-3-3',
      'Amnesty POI-5-2-2',
      'Amnesty POI-8-2-1',
      'Landcover-1372406',
      'Landcover-775706',
      'UNHCR-BFAs004554',
      'UNHCR-GMBs003273',
      'UNHCR-NGAs037482',
    ]);
    expect(conflicts.find((p) => p.aoi === 'UNHCR-GMBs003273')).toEqual({
      code: 'SPLIT_CONFLICT',
      aoi: 'UNHCR-GMBs003273',
      path: listed,
      message: `${listed}: tile "UNHCR-GMBs003273" is listed twice: train (data row 3115) and val (data row 3261); split('csv') puts it in train and val, as upstream's per-split filter does: a leak between those splits (upstream issue #12; duplicates: 'error' refuses such a list)`,
    });
    expect(conflicts.find((p) => p.aoi === 'Amnesty POI-17-2-1')?.message).toContain(
      "is listed twice: train (data row 1038) and test (data row 3928); split('csv') puts it in train and test",
    );
    // 'csv': each split's distinct tiles (3 141 train rows hold 27 tiles twice); the 11 are in two splits
    const sp = ds.split('csv');
    expect([sp.train.length, sp.val.length, sp.test.length]).toEqual([3114, 393, 394]);
    const inTrain = new Set(sp.train.map((s) => s.name));
    expect(sp.val.filter((s) => inTrain.has(s.name))).toHaveLength(7);
    expect(sp.test.filter((s) => inTrain.has(s.name))).toHaveLength(4);
    // the paper split (the one upstream trained on) is reachable: counts from the 3 890 HR folders
    const paper = ds.split('paper');
    expect([paper.train.length, paper.val.length, paper.test.length]).toEqual([3112, 389, 389]);
    // 'keep' is upstream's list: every row a scene, each split exactly its CSV rows
    const kept = await openDataset(root, { duplicates: 'keep' });
    expect(kept.scenes).toHaveLength(3928);
    const ks = kept.split('csv');
    expect([ks.train.length, ks.val.length, ks.test.length]).toEqual([3141, 393, 394]);
    await expect(openDataset(root, { duplicates: 'error' })).rejects.toMatchObject({
      code: 'DATASET_LAYOUT',
      message: `${listed}: tile "Landcover-771157" is listed twice: train (data rows 43 and 3136); duplicates: 'error' refuses a repeated tile (keep one row per tile, or pass duplicates: 'drop' or 'keep')`,
    });
  });
});
