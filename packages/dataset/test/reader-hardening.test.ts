// The reader against hostile folders and options: files named for another AOI, scenes named like
// Object.prototype's members, options of the wrong type, scene entries without revisits, aborted scans.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, type OpenDatasetOptions, openDataset, scanDataset } from '../src/node.js';
import { tempDir } from './support/fixtures.js';

/** An empty-file skeleton of the layout (the scanner lists names and never reads pixels). */
function writeSkeleton(root: string, tiles: readonly string[], revisits = 2): void {
  for (const t of tiles) {
    mkdirSync(join(root, 'hr_dataset', t), { recursive: true });
    writeFileSync(join(root, 'hr_dataset', t, `${t}_ps.tiff`), '');
    mkdirSync(join(root, 'lr_dataset', t, 'L2A'), { recursive: true });
    for (let n = 1; n <= revisits; n++) {
      writeFileSync(join(root, 'lr_dataset', t, 'L2A', `${t}-${n}-L2A_data.tiff`), '');
      writeFileSync(join(root, 'lr_dataset', t, 'L2A', `${t}-${n}-CLM.tiff`), '');
    }
  }
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'resolved';
  } catch (e) {
    return e instanceof DatasetError ? e.code : `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

describe('reader hardening', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(() => cleanup());

  it("never takes another AOI's HR or revisit files copied into a scene's folders", async () => {
    const root = join(dir, 'foreign');
    writeSkeleton(root, ['B', 'A-1'], 2);
    // stray copies: A's HR and revisit in B's folders (A sorts before B), and A-1's in a folder "A"
    copyFileSync(join(root, 'hr_dataset/B/B_ps.tiff'), join(root, 'hr_dataset/B/A_ps.tiff'));
    writeFileSync(join(root, 'lr_dataset/B/L2A/A-1-L2A_data.tiff'), '');
    writeFileSync(join(root, 'lr_dataset/B/L2A/A-1-CLM.tiff'), '');
    writeSkeleton(root, ['A'], 0);
    writeFileSync(join(root, 'hr_dataset/A/A_ps.tiff'), '');
    writeFileSync(join(root, 'lr_dataset/A/L2A/A-1-1-L2A_data.tiff'), '');
    writeFileSync(join(root, 'lr_dataset/A/L2A/A-1-2-L2A_data.tiff'), '');
    const scan = await scanDataset(root, { revisits: 2, aois: 'folders' });
    const b = scan.scenes.find((s) => s.name === 'B');
    expect(b?.hrPath).toBe(join(root, 'hr_dataset/B/B_ps.tiff'));
    expect(b?.lrPaths.map((p) => p.split('/').pop())).toEqual(['B-1-L2A_data.tiff', 'B-2-L2A_data.tiff']);
    expect(b?.lrcPaths.map((p) => p.split('/').pop())).toEqual(['B-1-CLM.tiff', 'B-2-CLM.tiff']);
    expect(scan.scenes.find((s) => s.name === 'A-1')?.lrPaths).toHaveLength(2);
    // "A" holds none of its own revisits: its files are taken as upstream's glob takes them (a folder renamed
    // after its files were written still reads)
    expect(scan.scenes.find((s) => s.name === 'A')?.lrPaths.map((p) => p.split('/').pop())).toEqual([
      'A-1-1-L2A_data.tiff',
      'A-1-2-L2A_data.tiff',
    ]);
  });

  it('a revisit of another AOI beside too few of its own is named in TOO_FEW_REVISITS, not taken', async () => {
    const root = join(dir, 'foreign-few');
    writeSkeleton(root, ['B'], 1);
    writeFileSync(join(root, 'lr_dataset/B/L2A/A-1-L2A_data.tiff'), '');
    const scan = await scanDataset(root, { revisits: 2, aois: 'folders' });
    expect(scan.scenes).toEqual([]);
    const b = scan.problems.find((p) => p.aoi === 'B');
    expect(b?.code).toBe('TOO_FEW_REVISITS');
    expect(b?.message).toContain('1 L2A revisits');
    expect(b?.message).toContain('not taken: A-1-L2A_data.tiff');
  });

  it('reads zero-padded revisit numbers and NFD file names of an NFC AOI', async () => {
    const root = join(dir, 'padded');
    const nfc = 'Z\u00fcrich';
    const nfd = nfc.normalize('NFD');
    writeSkeleton(root, [nfc], 0);
    writeFileSync(join(root, 'hr_dataset', nfc, `${nfd}_ps.tiff`), '');
    for (const n of ['01', '02', '10'])
      writeFileSync(join(root, 'lr_dataset', nfc, 'L2A', `${nfd}-${n}-L2A_data.tiff`), '');
    const scan = await scanDataset(root, { revisits: 3, aois: [nfc] });
    expect(scan.problems).toEqual([]);
    expect(scan.scenes[0].hrPath).toBe(join(root, 'hr_dataset', nfc, `${nfd}_ps.tiff`));
    expect(scan.scenes[0].lrPaths.map((p) => p.split('/').pop()?.split('-')[1])).toEqual(['01', '02', '10']);
  });

  it("split(map) over scenes named like Object.prototype's members", async () => {
    const root = join(dir, 'proto');
    writeSkeleton(root, ['constructor', 'toString', 'A'], 1);
    const ds = await openDataset(root, { revisits: 1, aois: 'folders' });
    const sp = ds.split({ A: 'val', toString: 'test' } as Record<string, 'val' | 'test'>);
    expect(sp.train).toEqual([]);
    expect(sp.val.map((s) => s.name)).toEqual(['A']);
    expect(sp.test.map((s) => s.name)).toEqual(['toString']);
  });

  it('refuses options of the wrong type instead of reading them loosely', async () => {
    const root = join(dir, 'opts');
    writeSkeleton(root, ['A'], 1);
    const open = (o: Record<string, unknown>) =>
      openDataset(root, { revisits: 1, ...o } as OpenDatasetOptions);
    for (const o of [
      { skipInvalid: 'false' },
      { masks: 'no' },
      { verifyFiles: 1 },
      { allowFewerRevisits: 'false' },
      { cacheScenes: Number.NaN },
      { cacheScenes: -1 },
      { cacheScenes: 1.5 },
      { radiometryDepth: 10 },
      { aois: 5 },
      { onProblem: 5 },
      { readLimits: 'x' },
      { signal: 5 },
    ])
      expect(await codeOf(open(o)), JSON.stringify(o)).toBe('INVALID_ARGUMENT');
    expect(await codeOf(scanDataset(root, { radiometryDepth: 10 as 12 }))).toBe('INVALID_ARGUMENT');
    // the ones that are right still open
    const ds = await open({ skipInvalid: false, masks: true, cacheScenes: 2, radiometryDepth: 12 });
    expect(ds.scenes.map((s) => s.name)).toEqual(['A']);
  });

  it('an aborted signal stops the scan', async () => {
    const root = join(dir, 'abort');
    writeSkeleton(root, ['A', 'B'], 1);
    expect(await codeOf(openDataset(root, { revisits: 1, signal: AbortSignal.abort() }))).toBe('ABORTED');
    expect(await codeOf(scanDataset(root, { revisits: 1, signal: AbortSignal.abort() }))).toBe('ABORTED');
  });

  it('a scene entry without revisits, or with masks of another count, is an argument error', async () => {
    const root = join(dir, 'entries');
    writeSkeleton(root, ['A'], 2);
    const ds = await openDataset(root, { revisits: 2, masks: true });
    const s = ds.scenes[0];
    expect(await codeOf(ds.loadScene({ ...s, lrPaths: [] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(ds.loadScene({ ...s, lrPaths: [s.lrPaths[0], 5 as unknown as string] }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(ds.loadScene({ ...s, lrcPaths: [s.lrcPaths[0]] }))).toBe('INVALID_ARGUMENT');
    const drain = async () => {
      for await (const _ of ds.batches([{ ...s, lrPaths: [], lrcPaths: [] }])) void _;
    };
    expect(await codeOf(drain)).toBe('INVALID_ARGUMENT');
  });
});
