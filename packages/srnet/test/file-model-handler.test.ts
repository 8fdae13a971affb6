// fileModelHandler(dir) as a pair: whatever step of a save fails (or the process dies at), a loader following
// model.json finds the weights file it names, with the bytes its weight specs describe. Failures are simulated
// by making writeFileAtomic fail for one file name.
import {
  existsSync,
  linkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createModel,
  exportStateDict,
  loadModel,
  type ModelConfig,
  type SrModel,
  saveModel,
  selectBackend,
} from '../src/index.js';
import { fileModelHandler } from '../src/node.js';

/** writeFileAtomic fails (as a crash would stop it) for a path ending in `failOn`; `read` logs every file read. */
const fault = vi.hoisted(() => ({ failOn: null as string | null, read: [] as string[] }));
vi.mock('@worldstrat/core/node', async (importOriginal) => {
  const real = await importOriginal<typeof import('@worldstrat/core/node')>();
  return {
    ...real,
    readFileBounded: (path: string, options: Parameters<typeof real.readFileBounded>[1]) => {
      fault.read.push(path);
      return real.readFileBounded(path, options);
    },
    writeFileAtomic: (path: string, data: Parameters<typeof real.writeFileAtomic>[1]) =>
      fault.failOn !== null && path.endsWith(fault.failOn)
        ? Promise.reject(new Error(`simulated crash before ${path} was written`))
        : real.writeFileAtomic(path, data),
  };
});

const tmp = mkdtempSync(join(tmpdir(), 'srnet-file-handler-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BASE: Partial<ModelConfig> = {
  kind: 'srcnn',
  revisits: 1,
  inChannels: 2,
  outChannels: 1,
  residualLayers: 1,
  outputSize: [12, 12],
};

/** model.json of `dir` and the weights files it names, checked to exist and to hold what the specs describe. */
function pairOf(dir: string): { json: Record<string, unknown>; weights: string[] } {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const group = json.weightsManifest[0] as { paths: string[]; weights: { shape: number[] }[] };
  const bytes = group.paths.reduce((n, p) => n + readFileSync(join(dir, p)).byteLength, 0);
  expect(bytes).toBe(group.weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0));
  return { json, weights: group.paths };
}

/** The model in `dir` holds exactly `expected`'s weights and config. */
async function expectHolds(dir: string, expected: SrModel): Promise<void> {
  const loaded = await loadModel(fileModelHandler(dir));
  expect(loaded.config).toEqual(expected.config);
  const [a, b] = [await exportStateDict(loaded), await exportStateDict(expected)];
  for (const key of Object.keys(b))
    expect(Array.from(a[key]?.data ?? []), key).toEqual(Array.from(b[key]?.data ?? []));
  loaded.dispose();
}

describe('fileModelHandler: model.json is the commit point of a save', () => {
  let a: SrModel;
  let b: SrModel;
  beforeAll(async () => {
    await selectBackend('cpu');
    a = createModel({ ...BASE, hiddenChannels: 4 }, { seed: 1 });
    b = createModel({ ...BASE, hiddenChannels: 8 }, { seed: 2 });
  });
  afterAll(() => {
    a.dispose();
    b.dispose();
  });

  it('a save that fails after writing the new weights, before model.json, leaves the old pair (was: mixed pair)', async () => {
    const dir = join(tmp, 'crash');
    await saveModel(a, fileModelHandler(dir));
    const before = pairOf(dir);
    fault.failOn = 'model.json';
    try {
      await expect(saveModel(b, fileModelHandler(dir))).rejects.toThrow(/simulated crash/);
    } finally {
      fault.failOn = null;
    }
    expect(pairOf(dir)).toEqual(before); // model.json still names A's weights, which are intact
    await expectHolds(dir, a);
    // the next save succeeds and removes the weights file it supersedes
    await saveModel(b, fileModelHandler(dir));
    const after = pairOf(dir);
    expect(after.weights).not.toEqual(before.weights);
    expect(existsSync(join(dir, before.weights[0] as string))).toBe(false);
    await expectHolds(dir, b);
  });

  it('a crash right after model.json is committed (old weights not yet removed) loads the new model', async () => {
    const dir = join(tmp, 'late-crash');
    await saveModel(a, fileModelHandler(dir));
    const old = pairOf(dir).weights[0] as string;
    const kept = readFileSync(join(dir, old));
    await saveModel(b, fileModelHandler(dir));
    writeFileSync(join(dir, old), kept); // the state a crash before the clean-up leaves
    await expectHolds(dir, b);
  });

  it('a config JSON cannot write (a BigInt) → BAD_CONFIG naming model.json, nothing on disk changes', async () => {
    const dir = join(tmp, 'bigint');
    await saveModel(a, fileModelHandler(dir));
    const files = readdirSync(dir).sort();
    const odd = createModel({ ...BASE, hiddenChannels: 8, note: 10n } as Partial<ModelConfig>, { seed: 2 });
    const err = await saveModel(odd, fileModelHandler(dir)).catch((e) => e);
    odd.dispose();
    expect(err.code).toBe('BAD_CONFIG');
    expect(err.message).toContain(`${join(dir, 'model.json')}: cannot write the model as JSON`);
    expect(readdirSync(dir).sort()).toEqual(files);
    await expectHolds(dir, a);
  });

  it('a folder saved as model.json + weights.bin still loads; saving over it replaces both', async () => {
    const dir = join(tmp, 'legacy');
    await saveModel(a, fileModelHandler(dir));
    const { json, weights } = pairOf(dir);
    renameSync(join(dir, weights[0] as string), join(dir, 'weights.bin'));
    const group = (json.weightsManifest as { paths: string[] }[])[0] as { paths: string[] };
    group.paths = ['weights.bin'];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    await expectHolds(dir, a);
    delete (group as { paths?: string[] }).paths; // absent paths: weights.bin too
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    await expectHolds(dir, a);
    await saveModel(b, fileModelHandler(dir));
    expect(readdirSync(dir)).not.toContain('weights.bin');
    await expectHolds(dir, b);
  });

  it('a weights file named twice → BAD_CHECKPOINT naming the path, nothing read twice (was: read 200× → 2.5 GB)', async () => {
    const dir = join(tmp, 'twice');
    await saveModel(a, fileModelHandler(dir));
    const { json, weights } = pairOf(dir);
    const name = weights[0] as string;
    (json.weightsManifest as { paths: string[] }[])[0] = {
      ...(json.weightsManifest as object[])[0],
      paths: Array(200).fill(name),
    } as { paths: string[] };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    fault.read = [];
    const err = await loadModel(fileModelHandler(dir)).catch((e) => e);
    expect(err.code).toBe('BAD_CHECKPOINT');
    expect(err.message).toContain(
      `${join(dir, 'model.json')}: weightsManifest[0].paths[1] names "${name}" again (as paths[0])`,
    );
    expect(fault.read).toEqual([join(dir, 'model.json')]);
  });

  it('two names of one weights file (a hard or symbolic link) → BAD_CHECKPOINT, nothing read twice', async () => {
    for (const link of [linkSync, symlinkSync]) {
      const dir = join(tmp, `linked-${link.name}`);
      await saveModel(a, fileModelHandler(dir));
      const { json, weights } = pairOf(dir);
      const name = weights[0] as string;
      link(link === symlinkSync ? name : join(dir, name), join(dir, 'again.bin'));
      (json.weightsManifest as { paths: string[] }[])[0] = {
        ...(json.weightsManifest as object[])[0],
        paths: [name, 'again.bin'],
      } as { paths: string[] };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      fault.read = [];
      const err = await loadModel(fileModelHandler(dir)).catch((e) => e);
      expect(err.code, link.name).toBe('BAD_CHECKPOINT');
      expect(err.message).toContain(`(weightsManifest[0].paths[1]) is the file paths[0] names too`);
      expect(fault.read).toEqual([join(dir, 'model.json')]);
    }
  });

  it('weights files whose sizes do not add up to the weight specs → BAD_CHECKPOINT before any is read', async () => {
    const dir = join(tmp, 'sizes');
    await saveModel(a, fileModelHandler(dir));
    const { json, weights } = pairOf(dir);
    const size = readFileSync(join(dir, weights[0] as string)).byteLength;
    writeFileSync(join(dir, 'extra.bin'), Buffer.alloc(4 << 20)); // a 4 MiB file the specs leave no room for
    (json.weightsManifest as { paths: string[] }[])[0] = {
      ...(json.weightsManifest as object[])[0],
      paths: [weights[0] as string, 'extra.bin'],
    } as { paths: string[] };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    fault.read = [];
    const err = await loadModel(fileModelHandler(dir)).catch((e) => e);
    expect(err.code).toBe('BAD_CHECKPOINT');
    expect(err.message).toBe(
      `${join(dir, 'model.json')}: weightData holds ${size + (4 << 20)} bytes in 2 file(s) (weightsManifest[0].paths) but weightSpecs describe ${size}; nothing was read`,
    );
    expect(fault.read).toEqual([join(dir, 'model.json')]);
  });

  it('weights paths outside the folder → BAD_CHECKPOINT naming model.json and the member', async () => {
    const dir = join(tmp, 'escape');
    await saveModel(a, fileModelHandler(dir));
    const { json } = pairOf(dir);
    for (const paths of [['../weights.bin'], ['/etc/hostname'], [], 'weights.bin', [3]]) {
      (json.weightsManifest as { paths: unknown }[])[0] = {
        ...(json.weightsManifest as object[])[0],
        paths,
      } as { paths: unknown };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      const err = await loadModel(fileModelHandler(dir)).catch((e) => e);
      expect(err.code, JSON.stringify(paths)).toBe('BAD_CHECKPOINT');
      expect(err.message).toContain(`${join(dir, 'model.json')}: weightsManifest[0].paths`);
    }
  });
});
