// Hostile arguments for every exported function of dataset's entry points (`.` and `./node`): what JavaScript
// callers, JSON configs and other tools pass. Each call must end in a result or a DatasetError (never a plain
// TypeError/RangeError, never a hang). The exports are iterated, so a new export is covered by the argument
// shapes at once; a valid call per function lets each argument be replaced on its own, and the crafted cases
// pin the code and message of the checks.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@worldstrat/core';
import { memorySource } from '@worldstrat/raster-io';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  HOSTILE_ARGUMENT_SHAPES,
  HOSTILE_ARGUMENT_VALUES,
  outcomeOf,
  typedError,
} from '../../../tests/support/json-mutations.js';
import * as indexApi from '../src/index.js';
import * as nodeApi from '../src/node.js';
import { buildZip } from './support/zip-writer.js';

const { DatasetError } = indexApi;
type Fn = (...args: unknown[]) => unknown;

/** The probe's argument lists: nothing, one hostile value, and pairs of them. */
const SHAPES: readonly unknown[][] = HOSTILE_ARGUMENT_SHAPES;

/** Values put in place of one argument of a valid call. */
const HOSTILE_VALUES: readonly unknown[] = HOSTILE_ARGUMENT_VALUES;

/**
 * Functions that start real work when their first argument is a usable path: only the shapes whose first
 * argument is not a string are sent (a string is a valid folder to fill with a synthetic dataset).
 */
const NO_STRING_PATH = new Set(['generateSyntheticDataset']);

const rng = () => core.createRng(7);
const scene = () => indexApi.synthesizeScene(rng(), { size: 16, kind: indexApi.SCENE_KINDS[0] });
const METADATA_ROW = Object.fromEntries(indexApi.METADATA_COLUMNS.map((c, i) => [c, i === 0 ? 'A' : i]));
const SPLIT_ROW = { tile: 'A', ipcc: 'Forest', smod: 11, source: 'Landcover', split: 'train' };
const ZIP = buildZip([{ name: 'a.txt', data: new TextEncoder().encode('hello') }]).bytes;

let dir = '';
let cwd = '';

/** A valid call of each function (fresh arguments per call); every argument is then replaced on its own. */
const VALID: Record<string, () => unknown[]> = {
  bankersRound: () => [2.5],
  throwIfAborted: () => [new AbortController().signal],
  openZip: () => [memorySource(ZIP, 'a.zip'), { name: 'a.zip' }],
  rotateFlip: () => [new Float32Array(8), 2, 2, { k: 1, flip: true }],
  chipWindows: () => [{ lrSize: 8, hrSize: 24, chip: 4, stride: 4 }],
  cropPlanes: () => [new Float32Array(32), 2, 4, 4, 1, 1, 2],
  normalizeLr: () => [new Float32Array(8), [1, 2, 2, 2], [0, 0], [1, 1]],
  transformLr: () => [
    new Float32Array(indexApi.JIF_S2_MEAN.length * 16),
    [1, indexApi.JIF_S2_MEAN.length, 4, 4],
    2,
  ],
  transformHr: () => [new Float32Array(48), [3, 4, 4], { divisor: 4095, size: 2 }],
  transformLrc: () => [new Float32Array(16), [1, 1, 4, 4], 2],
  hrImageRelPath: () => ['A', 'ps'],
  jointClass: () => ['Landcover', 'Forest', 11],
  lrDataSuffix: () => ['L2A'],
  metadataCsv: () => [[{ ...METADATA_ROW }]],
  drawRevisitParams: () => [rng(), 2, { cloudProbability: 0.5 }],
  degradeScene: () => {
    const s = scene();
    return [s, indexApi.drawRevisitParams(rng(), 2), rng(), {}];
  },
  l2aToL1c: () => [Array.from({ length: 12 }, () => new Float32Array(4).fill(0.1)), new Uint8Array(4)],
  fbm: () => [8, 8, rng(), { cellPx: 4, octaves: 2 }],
  sceneBand: () => [scene(), 0],
  sceneRgbn: () => [scene()],
  synthesizeScene: () => [rng(), { size: 16 }],
  archiveMemberTarget: () => ['top/a/b.txt', 'top'],
  releaseFileUrl: () => ['https://zenodo.org/records/6810792'],
  hrAoiDir: () => ['root', 'A'],
  hrImagePath: () => ['root', 'A', 'ps'],
  lrLevelDir: () => ['root', 'A', 'L2A'],
  lrRevisitFiles: () => ['root', 'A', 'L2A', 1],
  lrRevisitPath: () => ['root', 'A', 'L2A', 1],
  metadataCsvPath: () => ['root'],
  splitCsvPath: () => ['root'],
  writeMetadataCsv: () => [join(dir, 'w'), [{ ...METADATA_ROW }]],
  writeSplitCsv: () => [join(dir, 'w'), [{ ...SPLIT_ROW }], 2],
  md5File: () => [join(dir, 'f.txt')],
  assignSplits: () => [10, [0.8, 0.1, 0.1]],
  extractZip: () => [join(dir, 'a.zip'), join(dir, 'unzipped'), {}],
};

/** The exported functions of both entry points (classes excluded: they are constructed, not called). */
const FUNCTIONS = new Map<string, Fn>();
for (const api of [indexApi, nodeApi] as Record<string, unknown>[])
  for (const [name, value] of Object.entries(api))
    if (typeof value === 'function' && !/^[A-Z]/.test(name)) FUNCTIONS.set(name, value as Fn);

/**
 * How the call ended: 'ok', the DatasetError's code, or the OS's answer to a well-formed path (`ENOENT` where it
 * names no file, `EISDIR` where it names a folder: not argument errors). Anything else, or a promise that does
 * not settle, fails naming it.
 */
async function outcome(what: string, fn: Fn, args: unknown[]): Promise<string> {
  // Re-exports of @worldstrat/core's own functions throw core's typed error.
  const errorClass = Object.values(core).includes(fn) ? core.CoreError : DatasetError;
  try {
    return await outcomeOf(
      what,
      async () => {
        const result = fn(...args);
        if (result instanceof Promise) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const timeout = new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('did not settle within 20 s')), 20_000);
          });
          await Promise.race([result, timeout]).finally(() => clearTimeout(timer));
        }
      },
      errorClass,
    );
  } catch (e) {
    const cause = (e as Error).cause as NodeJS.ErrnoException | undefined;
    if ((cause?.code === 'ENOENT' || cause?.code === 'EISDIR') && typeof cause.syscall === 'string')
      return cause.code;
    throw e;
  }
}

const shown = (args: unknown[]): string =>
  args
    .map((a) =>
      typeof a === 'function'
        ? 'fn'
        : ArrayBuffer.isView(a)
          ? a.constructor.name
          : (JSON.stringify(a) ?? String(a)).slice(0, 40),
    )
    .join(', ');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dataset-hostile-args-'));
  // Shapes like ('x') are relative paths: resolve them in the scratch folder, never in the package.
  cwd = process.cwd();
  process.chdir(dir);
  writeFileSync(join(dir, 'f.txt'), 'hello');
  writeFileSync(join(dir, 'a.zip'), ZIP);
  // Nothing here may reach the network.
  vi.stubGlobal('fetch', () => Promise.reject(new Error('no network in this test')));
});

afterAll(() => {
  vi.unstubAllGlobals();
  if (cwd) process.chdir(cwd);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('every exported function, called with hostile argument shapes', () => {
  it('finds the exports', () => {
    expect(FUNCTIONS.size).toBeGreaterThan(40);
  });

  for (const [name, fn] of FUNCTIONS) {
    it(name, async () => {
      const outcomes = new Set<string>();
      for (const args of SHAPES) {
        if (NO_STRING_PATH.has(name) && typeof args[0] === 'string') continue;
        outcomes.add(await outcome(`${name}(${shown(args)})`, fn, args));
      }
      const valid = VALID[name];
      if (valid) {
        expect(await outcome(`${name}(valid)`, fn, valid())).toBe('ok');
        const n = valid().length;
        for (let i = 0; i < n; i++)
          for (const v of HOSTILE_VALUES) {
            const args = valid();
            args[i] = v;
            outcomes.add(await outcome(`${name}(${shown(args)}) [argument ${i}]`, fn, args));
          }
      }
      expect(outcomes.size).toBeGreaterThan(0);
    });
  }
});

function expectError(f: () => unknown, message: RegExp, code = 'INVALID_ARGUMENT'): void {
  const e = typedError(f, DatasetError);
  expect([e.code, e.message]).toEqual([code, expect.stringMatching(message)]);
}

async function expectRejection(p: Promise<unknown>, message: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DatasetError);
  expect([(e as InstanceType<typeof DatasetError>).code, (e as Error).message]).toEqual([
    'INVALID_ARGUMENT',
    expect.stringMatching(message),
  ]);
}

describe('crafted hostile arguments: the code and the message name the function and the argument', () => {
  it('transforms: data, a shape of the right rank and sizes that fit', () => {
    expectError(
      () => indexApi.normalizeLr(new Float32Array(8), 'x' as never),
      /^normalizeLr: shape must be \[runs, channels, height, width\], got "x"$/,
    );
    // Before: a shape of rank 3 gave an empty array.
    expectError(
      () => indexApi.normalizeLr(new Float32Array(8), [2, 2, 2] as never, [0, 0], [1, 1]),
      /^normalizeLr: shape must be \[runs, channels, height, width\], got \[2,2,2\]$/,
    );
    expectError(
      () => indexApi.transformHr(undefined as never, [3, 4, 4]),
      /^transformHr: data must be a Float32Array \(or an array of numbers\), got undefined$/,
    );
    expectError(
      () => indexApi.transformHr(new Float32Array(48), [3, 4, 4], { divisor: 0 }),
      /^transformHr: options\.divisor must be a non-zero number, got 0$/,
    );
    expectError(
      () => indexApi.transformLrc(new Float32Array(16), [1, 1, 4, 4], 2 ** 40),
      /^transformLrc: size must be an integer in 1\.\.65535, got 1099511627776$/,
    );
    // Plain arrays of numbers keep working.
    expect(Array.from(indexApi.normalizeLr([1, 2, 3, 4], [1, 1, 2, 2], [1], [1]))).toEqual([0, 1, 2, 3]);
  });

  it('chips and augmentations', () => {
    expectError(
      () => indexApi.chipWindows(null as never),
      /^chipWindows: options must be an object, got null$/,
    );
    // Before: an LR side of 2^31 listed windows until memory ran out.
    expectError(
      () => indexApi.chipWindows({ lrSize: 2 ** 31 - 1, chip: 1 }),
      /^chipWindows: chip 1 \/ stride 1 on an LR side of 2147483647 makes/,
    );
    expectError(
      () => indexApi.rotateFlip(new Float32Array(4), 1, 2, { k: 5, flip: false } as never),
      /^rotateFlip: t\.k must be 0, 1, 2 or 3, got 5$/,
    );
    expectError(
      () => indexApi.cropPlanes(new Float32Array(4), 1, 4, 4, 0, 0, 2),
      /^cropPlanes: 4 values do not hold 1×4×4 planes$/,
      'SHAPE_MISMATCH',
    );
  });

  it('synthetic scenes: generators, scenes and revisit parameters', () => {
    expectError(
      () => indexApi.synthesizeScene(undefined as never),
      /^synthesizeScene: rng must be an object with next\(\), int\(\), normal\(\), got undefined$/,
    );
    expectError(
      () => indexApi.sceneRgbn({} as never),
      /^sceneRgbn: scene\.classes must be a Uint8Array, got undefined$/,
    );
    expectError(
      () => indexApi.degradeScene(scene(), [{}] as never, rng()),
      /^degradeScene: params\[0\]\.shiftPx must be a Float32Array \(or an array of numbers\), got undefined$/,
    );
    expectError(
      () => indexApi.fbm(8, 8, rng(), undefined as never),
      /^fbm: options must be an object, got undefined$/,
    );
    expectError(
      () => indexApi.l2aToL1c([null] as never, new Uint8Array(4)),
      /^l2aToL1c: l2a\[0\] must be a Float32Array/,
    );
    // null options still mean the defaults, as before.
    expect(indexApi.drawRevisitParams(rng(), 2, null as never)).toHaveLength(2);
  });

  it('layout helpers and writers', async () => {
    // Before: an unknown product gave the path `undefined`.
    expectError(
      () => indexApi.hrImageRelPath('A', 'tif' as never),
      /^hrImageRelPath: product must be 'ps', 'rgbn' or 'pan', got "tif"$/,
    );
    expectError(() => indexApi.metadataCsv(null as never), /^metadataCsv: rows must be an array, got null$/);
    expectError(
      () => nodeApi.hrAoiDir(undefined as never, 'A'),
      /^hrAoiDir: root must be a string, got undefined$/,
    );
    await expectRejection(
      nodeApi.writeSplitCsv(join(dir, 'w2'), [{ ...SPLIT_ROW }] as never, 'x' as never),
      /^writeSplitCsv: revisits must be an integer in 1\.\.2147483647, got "x"$/,
    );
    expect(() => nodeApi.releaseFileUrl('zenodo')).toThrow(
      /^releaseFileUrl: base must be an absolute URL, got "zenodo"$/,
    );
  });

  it('WorldStratDataset split, batches and loadScene: typed errors, never TypeError, CoreError or empty splits', async () => {
    const root = join(dir, 'ds');
    await nodeApi.generateSyntheticDataset(root, {
      aois: 4,
      revisits: 1,
      hrSize: 40,
      seed: 0,
      compression: 'none',
    });
    const ds = await nodeApi.openDataset(root, { revisits: 1 });
    const chips = async (it: AsyncIterable<{ names: string[] }>) => {
      let n = 0;
      for await (const b of it) n += b.names.length;
      return n;
    };
    // Before: TypeError (a map value that is not a split, null), three silently empty splits ('bogus').
    expectError(
      () => ds.split({ 'Synthetic-1': 'training' } as never),
      /^split: mode\["Synthetic-1"\] must be 'train', 'val' or 'test', got "training"$/,
    );
    expectError(() => ds.split(null as never), /^split: mode must be 'csv', 'all', 'paper', .* got null$/);
    expectError(() => ds.split('bogus' as never), /^split: mode must be .* got "bogus"$/);
    expectError(() => ds.split({ Elsewhere: 'train' }), /^split: mode names none of the 4 scenes/);
    expectError(() => ds.split({ paper: { seed: 'x' as never } }), /^split: mode\.paper: /);
    // Before: TypeError for an unknown split and null options, core's INVALID_SEED (showing "a0") for seeds.
    await expectRejection(
      chips(ds.batches('validation' as never)),
      /^batches: which must be 'train', 'val', 'test' or a list of scenes, got "validation"$/,
    );
    await expectRejection(
      chips(ds.batches('train', null as never)),
      /^batches: options must be an object, got null$/,
    );
    await expectRejection(
      chips(ds.batches([null] as never)),
      /^batches: which\[0\] must be an object, got null$/,
    );
    await expectRejection(
      chips(ds.batches('train', { seed: -1 })),
      /^batches: options\.seed must be an integer in 0\.\.9007199254740991, got -1$/,
    );
    await expectRejection(
      chips(ds.batches('train', { seed: 'a' as never })),
      /^batches: options\.seed .* got "a"$/,
    );
    // Before: NaN prefetch loaded no scene and yielded no chip at all.
    await expectRejection(
      chips(ds.batches('train', { prefetch: Number.NaN })),
      /^batches: options\.prefetch must be an integer in 0\.\.2147483647, got NaN$/,
    );
    await expectRejection(
      chips(ds.batches('train', { shuffle: 'no' as never })),
      /^batches: options\.shuffle must be a boolean/,
    );
    await expectRejection(
      ds.loadScene(undefined as never),
      /^loadScene: entry must be an object, got undefined$/,
    );
    await expectRejection(
      ds.loadScene(ds.scenes[0], null as never),
      /^loadScene: opts must be an object, got null$/,
    );
    // What worked keeps working: prefetch 0 (one scene ahead), every train chip.
    expect(ds.split('csv').train).toHaveLength(3);
    expect(await chips(ds.batches('train', { prefetch: 0 }))).toBe(27);
  });

  it('archives, release and dataset entry points refuse what they cannot open before touching the disk', async () => {
    await expectRejection(
      nodeApi.openDataset(42 as never),
      /^openDataset: root must be a non-empty string, got 42$/,
    );
    await expectRejection(
      nodeApi.downloadRelease({} as never),
      /^downloadRelease: options\.root must be a non-empty string, got undefined$/,
    );
    await expectRejection(
      nodeApi.extractZip(join(dir, 'a.zip'), join(dir, 'u'), { signal: 'stop' } as never),
      /^extractZip: options\.signal must be an AbortSignal, got "stop"$/,
    );
    await expectRejection(
      indexApi.openZip({} as never),
      /^openZip: source\.read must be a function, got undefined$/,
    );
    await expectRejection(indexApi.openRemoteZip('ftp://example.org/a.zip', 'a.zip'), /^openRemoteZip: /);
  });
});
