// generateSyntheticDataset into a folder that already holds a dataset, and into folders it cannot create: an
// overwrite cut short must never leave the earlier seed's synthetic.json and tables beside tiles of the new seed
// (the demo reused such a folder as a finished dataset), and a failed mkdir is a typed WRITE_FAILED naming the
// folder (it was a raw ENOENT / ENOTDIR / EACCES).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../src/errors.js';
import { generateSyntheticDataset, openDataset } from '../src/node.js';
import { tempDir } from './support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-synth-overwrite-'));
});
afterAll(() => cleanup());

const opts = { aois: 3, revisits: 2, hrSize: 60, compression: 'none' } as const;
const ps = (root: string, n: number) =>
  readFileSync(join(root, 'hr_dataset', `Synthetic-${n}`, `Synthetic-${n}_ps.tiff`));
const INDEX = ['synthetic.json', 'metadata.csv', 'stratified_train_val_test_split.csv'];

/**
 * `generateSyntheticDataset(root, opts)` where folder permissions apply: here, or, when this process is root (which
 * permissions do not stop), in a child process running as uid/gid 65534 on the built package. Resolves with the
 * summary or rejects with `{ code, message }` of the error.
 */
async function generateAsUnprivileged(root: string): Promise<unknown> {
  if (process.getuid?.() !== 0) return generateSyntheticDataset(root, opts);
  chmodSync(dir, 0o755); // the child (nobody) must reach the folder
  const entry = pathToFileURL(fileURLToPath(new URL('../dist/node.js', import.meta.url))).href;
  const script = `import(${JSON.stringify(entry)}).then((m) => m.generateSyntheticDataset(${JSON.stringify(root)}, ${JSON.stringify(opts)})).then(() => console.log('{}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
  const r = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
  const out = JSON.parse(r.stdout.trim().split('\n').pop() || 'null') as { code?: string } | null;
  if (!out) throw new Error(`child failed: ${r.stderr}`);
  if (out.code) throw out;
  return out;
}

describe('generateSyntheticDataset with overwrite', () => {
  it('an overwrite cut short leaves no synthetic.json or table of the earlier seed; a finished one is whole', async () => {
    const root = join(dir, 'ds');
    const fresh1 = join(dir, 'fresh-seed-1');
    await generateSyntheticDataset(root, { ...opts, seed: 0 });
    await generateSyntheticDataset(fresh1, { ...opts, seed: 1 });
    const seed0 = [1, 2, 3].map((n) => ps(root, n));
    expect(JSON.parse(readFileSync(join(root, 'synthetic.json'), 'utf8')).options.seed).toBe(0);

    // stopped after the first AOI of the seed-1 overwrite: that AOI holds seed-1 pixels, the earlier run's other
    // files are gone (removed before the new run writes: no folder mixes two generations)
    const abort = new AbortController();
    const err = await generateSyntheticDataset(root, {
      ...opts,
      seed: 1,
      overwrite: true,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.done === 1) abort.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ABORTED' });
    expect(ps(root, 1).equals(ps(fresh1, 1))).toBe(true);
    expect(seed0[1]?.length).toBeGreaterThan(0);
    expect(existsSync(join(root, 'hr_dataset', 'Synthetic-2'))).toBe(false);
    for (const f of INDEX) expect(existsSync(join(root, f)), f).toBe(false);
    expect(readFileSync(join(root, 'SYNTHETIC.md'), 'utf8')).toContain('seed 1');
    // without the split CSV the mixed folder has no splits to train or score on
    const mixed = await openDataset(root, { revisits: 2 });
    expect(() => mixed.split()).toThrow(expect.objectContaining({ code: 'DATASET_LAYOUT' }));

    await generateSyntheticDataset(root, { ...opts, seed: 1, overwrite: true });
    expect(JSON.parse(readFileSync(join(root, 'synthetic.json'), 'utf8')).options.seed).toBe(1);
    for (const n of [1, 2, 3]) expect(ps(root, n).equals(ps(fresh1, n)), `AOI ${n}`).toBe(true);
    for (const f of INDEX.slice(1))
      expect(readFileSync(join(root, f)).equals(readFileSync(join(fresh1, f))), f).toBe(true);
  }, 120_000);
});

describe('generateSyntheticDataset into a folder it cannot create', () => {
  it('a file in the way (at the root or above it) is WRITE_FAILED naming the folder', async () => {
    const file = join(dir, 'afile');
    writeFileSync(file, 'hi');
    for (const root of [file, join(file, 'ds')]) {
      const err = await generateSyntheticDataset(root, opts).catch((e: unknown) => e);
      expect(err, root).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).code).toBe('WRITE_FAILED');
      expect((err as DatasetError).message).toMatch(
        new RegExp(
          `^cannot create the output folder ${root} \\((EEXIST|ENOTDIR)\\): a file stands at that path or above it`,
        ),
      );
    }
    expect(readFileSync(file, 'utf8')).toBe('hi');
  });

  it('a read-only parent is WRITE_FAILED naming the folder (not ENOENT)', async () => {
    const ro = join(dir, 'ro');
    await mkdir(ro);
    chmodSync(ro, 0o555);
    try {
      const root = join(ro, 'ds');
      const err = await generateAsUnprivileged(root).catch((e: unknown) => e);
      expect((err as DatasetError).code).toBe('WRITE_FAILED');
      expect((err as DatasetError).message).toContain(`cannot create the output folder ${root} (EACCES)`);
      expect(existsSync(root)).toBe(false);
    } finally {
      chmodSync(ro, 0o755);
    }
  });

  it("an overwrite with fewer AOIs, revisits and no L1C leaves none of the earlier run's files, and every other file", async () => {
    const root = join(dir, 'shrink');
    const fresh = join(dir, 'shrink-fresh');
    await generateSyntheticDataset(root, { ...opts, aois: 4, revisits: 4, l1c: true, seed: 2 });
    // a user's note in a synthetic AOI folder, and an AOI of another dataset named as the release names them
    writeFileSync(join(root, 'lr_dataset', 'Synthetic-1', 'L2A', 'notes.txt'), 'mine');
    await mkdir(join(root, 'hr_dataset', 'UNHCR-X'), { recursive: true });
    writeFileSync(join(root, 'hr_dataset', 'UNHCR-X', 'UNHCR-X_ps.tiff'), 'not ours');
    await generateSyntheticDataset(root, { ...opts, aois: 2, revisits: 2, seed: 2, overwrite: true });
    await generateSyntheticDataset(fresh, { ...opts, aois: 2, revisits: 2, seed: 2 });
    const extra = [
      join('hr_dataset', 'UNHCR-X', 'UNHCR-X_ps.tiff'),
      join('lr_dataset', 'Synthetic-1', 'L2A', 'notes.txt'),
    ];
    expect(filesUnder(root).filter((f) => !extra.includes(f))).toEqual(filesUnder(fresh));
    for (const f of extra) expect(existsSync(join(root, f)), f).toBe(true);
    // the dataset reads as the fresh one: 2 AOIs of 2 revisits (8 revisits were there before)
    const ds = await openDataset(root, { revisits: 2 });
    expect(ds.scenes.map((s) => [s.name, s.availableRevisits])).toEqual([
      ['Synthetic-1', 2],
      ['Synthetic-2', 2],
    ]);
  }, 120_000);
});

/** Every file under `root`, relative, sorted (SYNTHETIC.md and synthetic.json included). */
function filesUnder(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = join(rel, e.name);
    if (e.isDirectory()) out.push(...filesUnder(root, path));
    else out.push(path);
  }
  return out.sort();
}
