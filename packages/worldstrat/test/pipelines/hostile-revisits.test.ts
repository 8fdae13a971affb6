// `superresolve` / `infer` on hostile revisits: --max-pixels below a revisit's size, a TIFF whose IFD chain loops
// back on itself, a deflate strip that is not deflate. Each ends fast with exit 4, a typed raster-io error naming
// the revisit file, and no output file (no GeoTIFF, PNG or temp file).
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Raster } from '@worldstrat/raster-io';
import { writeGeoTiff } from '@worldstrat/raster-io/node';
import { initStateDict, resolveModelConfig, stateDictToSafetensors } from '@worldstrat/srnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/fixtures.js';
import { cli } from '../support/run-cli.js';
import { corruptFirstBlock, makeSelfLoop } from '../support/tiff-patch.js';

const SIZE = 50;
const BANDS = 12;
const CONFIG = resolveModelConfig({ kind: 'srcnn', revisits: 2, hiddenChannels: 8, residualLayers: 0 });
/** A hostile file must fail well inside this (a hang would run into the test timeout instead). */
const FAST_MS = 5_000;

let dir: string;
let cleanup: () => Promise<void>;
let weights: string;

function revisit(seed: number, bandCount = BANDS): Raster {
  const bands = Array.from({ length: bandCount }, (_, b) => {
    const a = new Float32Array(SIZE * SIZE);
    for (let p = 0; p < a.length; p++) a[p] = 0.05 + 0.002 * (p % SIZE) + 0.01 * b + 0.003 * seed;
    return a;
  });
  return {
    width: SIZE,
    height: SIZE,
    dtype: 'float32',
    bands,
    geo: { epsg: 32633, transform: [500000, 10, 0, 4600000, 0, -10] },
  };
}

/** Two deflate revisits in a fresh folder; returns the folder and the second revisit's path. */
async function revisitFolder(name: string): Promise<{ folder: string; second: string }> {
  const folder = join(dir, name, 'L2A');
  mkdirSync(folder, { recursive: true });
  const paths = [0, 1].map((i) => join(folder, `${name}-${i + 1}-L2A_data.tiff`));
  for (const [i, p] of paths.entries()) await writeGeoTiff(p, revisit(i), { compression: 'deflate' });
  return { folder, second: paths[1] as string };
}

/** Run superresolve, expecting a typed failure within FAST_MS and no output at all. */
async function expectRefused(folder: string, extra: string[] = []) {
  const outDir = join(dir, 'out');
  const out = join(outDir, 'sr.tif');
  const t0 = performance.now();
  const r = await cli('superresolve', folder, '--weights', weights, '--out', out, ...extra);
  const ms = performance.now() - t0;
  expect(ms).toBeLessThan(FAST_MS);
  expect(r.code, r.err).toBe(4);
  expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);
  return r.err;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('worldstrat-hostile-revisits-'));
  weights = join(dir, 'w.safetensors');
  writeFileSync(weights, stateDictToSafetensors(initStateDict(CONFIG, { seed: 2 }), CONFIG));
});
afterAll(() => cleanup());

describe('read limits from the CLI', () => {
  it('--max-pixels below one revisit → TOO_LARGE exit 4 naming the file and sizes; the default reads it', async () => {
    const { folder } = await revisitFolder('LIMITS');
    const err = await expectRefused(folder, ['--max-pixels', '1000']);
    expect(err).toContain('TOO_LARGE');
    expect(err).toContain('LIMITS-1-L2A_data.tiff');
    expect(err).toContain(String(SIZE * SIZE * BANDS));
    expect(err).toContain('maxPixels = 1000');
    // infer shares the options
    const viaInfer = await cli(
      'infer',
      folder,
      '--weights',
      weights,
      '--out',
      join(dir, 'out', 'i.tif'),
      '--max-pixels',
      '1000',
    );
    expect(viaInfer.code, viaInfer.err).toBe(4);
    expect(viaInfer.err).toContain('TOO_LARGE');
    // exactly the revisit's size is allowed, and so are the defaults
    const exact = await cli(
      'superresolve',
      folder,
      '--weights',
      weights,
      '--out',
      join(dir, 'exact.tif'),
      '--no-quicklook',
      '--max-pixels',
      String(SIZE * SIZE * BANDS),
    );
    expect(exact.code, exact.err).toBe(0);
    const ok = await cli(
      '--json',
      'superresolve',
      folder,
      '--weights',
      weights,
      '--out',
      join(dir, 'ok.tif'),
      '--no-quicklook',
    );
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out).inputs).toHaveLength(2);
  }, 60_000);

  it('refuses non-positive or non-integer limits as usage errors (exit 2)', async () => {
    const { folder } = await revisitFolder('BADFLAG');
    for (const [flag, v] of [
      ['--max-pixels', '0'],
      ['--max-block-bytes', '-5'],
      ['--max-decoded-bytes', '1.5'],
      ['--max-pixels', '1e6'],
    ]) {
      const r = await cli(
        'superresolve',
        folder,
        '--weights',
        weights,
        '--out',
        join(dir, 'never.tif'),
        flag as string,
        v as string,
      );
      expect(r.code, `${flag} ${v}: ${r.err}`).toBe(2);
      expect(r.err).toContain(`${flag} ${v}`);
    }
    expect(existsSync(join(dir, 'never.tif'))).toBe(false);
  }, 30_000);
});

describe('hostile revisits', () => {
  it('a revisit whose IFD chain loops on itself → CORRUPT_TIFF exit 4 naming it, fast, nothing written', async () => {
    const { folder, second } = await revisitFolder('LOOP');
    makeSelfLoop(second);
    const err = await expectRefused(folder);
    expect(err).toContain('CORRUPT_TIFF');
    expect(err).toContain(second);
  }, 30_000);

  it('a revisit with a corrupt deflate strip → CORRUPT_BLOCK exit 4 naming it, nothing written', async () => {
    const { folder, second } = await revisitFolder('BADZ');
    corruptFirstBlock(second);
    const err = await expectRefused(folder);
    expect(err).toContain('CORRUPT_BLOCK');
    expect(err).toContain(second);
  }, 30_000);
});

describe('band layouts', () => {
  it('a 13-band revisit among 12-band ones → BAD_BANDS exit 4 naming that file and both counts, nothing written', async () => {
    const folder = join(dir, 'MIXED', 'L2A');
    mkdirSync(folder, { recursive: true });
    // the odd one first: the usual count (12, two of three) is the layout, not revisit 0's
    const paths = [13, 12, 12].map((_, i) => join(folder, `MIXED-${i + 1}-L2A_data.tiff`));
    for (const [i, n] of [13, 12, 12].entries())
      await writeGeoTiff(paths[i] as string, revisit(i, n), { compression: 'deflate' });
    const err = await expectRefused(folder);
    expect(err).toContain('BAD_BANDS');
    expect(err).toContain(`${paths[0]}: revisit 0 has 13 bands but 2 of the 3 revisits have 12`);
  }, 30_000);

  it('every revisit with the wrong band count (a 1-band mask as data) → BAD_BANDS exit 4 naming the files', async () => {
    const folder = join(dir, 'ONEBAND', 'L2A');
    mkdirSync(folder, { recursive: true });
    const paths = [0, 1].map((i) => join(folder, `ONEBAND-${i + 1}-L2A_data.tiff`));
    for (const [i, p] of paths.entries()) await writeGeoTiff(p, revisit(i, 1), { compression: 'deflate' });
    const err = await expectRefused(folder);
    expect(err).toContain('[BAD_BANDS]');
    expect(err).toContain(`${paths[0]}, ${paths[1]}: bands [0,1,2,3,4,5,6,7,8,9,10,11] must be 12 indices`);
    // one file on its own is named too
    const one = await cli(
      'superresolve',
      paths[0] as string,
      '--weights',
      weights,
      '--out',
      join(dir, 'out', 'one.tif'),
    );
    expect([one.code, one.err.includes(`${paths[0]}: bands [`)], one.err).toEqual([4, true]);
  }, 30_000);

  it('a uint16 DN revisit among float32 reflectance ones → BAD_REVISITS exit 4 naming that file, nothing written', async () => {
    const folder = join(dir, 'DTYPES', 'L2A');
    mkdirSync(folder, { recursive: true });
    const paths = [0, 1, 2].map((i) => join(folder, `DTYPES-${i + 1}-L2A_data.tiff`));
    const dn = revisit(1);
    const odd: Raster = {
      ...dn,
      dtype: 'uint16',
      bands: dn.bands.map((b) => Uint16Array.from(b, (v) => Math.round((v + 0.1) * 1e4))),
    };
    for (const [i, r] of [revisit(0), odd, revisit(2)].entries())
      await writeGeoTiff(paths[i] as string, r, { compression: 'deflate' });
    const err = await expectRefused(folder);
    expect(err).toContain('BAD_REVISITS');
    expect(err).toContain(
      `${paths[1]}: revisit 1 holds uint16 values but 2 of the 3 revisits hold float32: integer DN and float reflectance differ in scale`,
    );
  }, 30_000);
});

describe('outputs that are inputs', () => {
  /** Two revisits, each with a cloud mask, and a private copy of the weights. */
  async function inputs(name: string) {
    const { folder } = await revisitFolder(name);
    const first = join(folder, `${name}-1-L2A_data.tiff`);
    const mask = join(folder, `${name}-1-CLM.tiff`);
    const clm = { width: SIZE, height: SIZE, dtype: 'uint8' as const, bands: [new Uint8Array(SIZE * SIZE)] };
    await writeGeoTiff(mask, { ...clm, geo: revisit(0).geo });
    await writeGeoTiff(join(folder, `${name}-2-CLM.tiff`), { ...clm, geo: revisit(0).geo });
    const w = join(dir, name, 'w.safetensors');
    writeFileSync(w, readFileSync(weights));
    return { folder, first, mask, w };
  }

  /** Run superresolve; expect a usage error (exit 2) naming `expected`, and every given file byte-identical. */
  async function expectUsageError(args: string[], expected: string, files: string[]) {
    const before = files.map((f) => readFileSync(f));
    const r = await cli('superresolve', ...args);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain('INVALID_ARGUMENT');
    expect(r.err).toContain(expected);
    for (const [i, f] of files.entries()) expect(readFileSync(f).equals(before[i] as Buffer), f).toBe(true);
  }

  it('--out naming a revisit (as a/../b), the weights (symlink, hard link) or a cloud mask is refused; inputs kept', async () => {
    const { folder, first, mask, w } = await inputs('SAME');
    const files = [first, mask, w];
    const viaDotDot = join(folder, '..', 'L2A', '.', 'SAME-1-L2A_data.tiff');
    await expectUsageError(
      [folder, '--weights', w, '--out', viaDotDot, '--no-quicklook'],
      'is the revisit input',
      files,
    );
    const link = join(dir, 'SAME', 'link.tif');
    symlinkSync(w, link);
    await expectUsageError(
      [folder, '--weights', w, '--out', link, '--no-quicklook'],
      'is the model file',
      files,
    );
    const hard = join(dir, 'SAME', 'hard.tif');
    linkSync(w, hard);
    await expectUsageError([folder, '--weights', w, '--out', hard, '--no-quicklook'], 'a hard link', files);
    const out = join(dir, 'SAME', 'sr.tif');
    await expectUsageError(
      [folder, '--weights', w, '--out', out, '--quicklook', mask],
      'is the cloud mask',
      files,
    );
    await expectUsageError(
      [folder, '--weights', w, '--out', out, '--quicklook', out],
      'are the same file',
      files,
    );
    expect(existsSync(out)).toBe(false);
    // distinct paths still work, next to the inputs
    const ok = await cli('superresolve', folder, '--weights', w, '--out', out);
    expect(ok.code, ok.err).toBe(0);
    expect(readdirSync(join(dir, 'SAME')).sort()).toEqual([
      'L2A',
      'hard.tif',
      'link.tif',
      'sr.png',
      'sr.tif',
      'w.safetensors',
    ]);
  }, 60_000);
});
