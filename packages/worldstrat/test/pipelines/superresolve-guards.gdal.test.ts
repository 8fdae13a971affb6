// `worldstrat superresolve` refuses unusable weights (NaN / Inf values in .safetensors or .onnx, a tensor
// relabelled I32, a truncated file, another architecture's shapes) with exit code 4 and writes nothing, and
// reports revisits with an all-NaN band or absurd values (1e30) as warnings instead of a silent product.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, type Raster, readSafetensors } from '@worldstrat/raster-io';
import { writeGeoTiff } from '@worldstrat/raster-io/node';
import { exportOnnx, initStateDict, resolveModelConfig, stateDictToSafetensors } from '@worldstrat/srnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/fixtures.js';
import { hasGdal, requireTool } from '../support/require-tool.js';
import { cli } from '../support/run-cli.js';

const SIZE = 50;
const CONFIG = resolveModelConfig({ kind: 'srcnn', revisits: 2, hiddenChannels: 8, residualLayers: 0 });
const TARGET = 'sr.upsample.4.bias';

let dir: string;
let cleanup: () => Promise<void>;
let good: string;
let goodBytes: Uint8Array;

/** A 12-band reflectance revisit in UTM 33N; `edit` may spoil bands. */
function revisit(seed: number, edit?: (bands: Float32Array[]) => void): Raster {
  const bands = Array.from({ length: 12 }, (_, b) => {
    const a = new Float32Array(SIZE * SIZE);
    for (let p = 0; p < a.length; p++) a[p] = 0.05 + 0.002 * (p % SIZE) + 0.01 * b + 0.003 * seed;
    return a;
  });
  edit?.(bands);
  return {
    width: SIZE,
    height: SIZE,
    dtype: 'float32',
    bands,
    geo: { epsg: 32633, transform: [500000, 10, 0, 4600000, 0, -10] },
  };
}

async function revisitFolder(name: string, rasters: Raster[]): Promise<string> {
  const folder = join(dir, name, 'L2A');
  mkdirSync(folder, { recursive: true });
  for (const [i, r] of rasters.entries())
    await writeGeoTiff(join(folder, `${name}-${i + 1}-L2A_data.tiff`), r, { compression: 'deflate' });
  return folder;
}

/** Weights with one tensor edited (srnet's writer refuses bad tensors, so edit the decoded file). */
function spoiled(name: string, edit: (t: Record<string, { shape: number[]; data: Float32Array }>) => void) {
  const { tensors, metadata } = readSafetensors(goodBytes);
  const t = tensors as unknown as Record<string, { shape: number[]; data: Float32Array }>;
  edit(t);
  const path = join(dir, name);
  writeFileSync(path, encodeSafetensors(t, metadata));
  return path;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('worldstrat-sr-guards-'));
  goodBytes = stateDictToSafetensors(initStateDict(CONFIG, { seed: 4 }), CONFIG);
  good = join(dir, 'good.safetensors');
  writeFileSync(good, goodBytes);
});
afterAll(() => cleanup());

describe('superresolve guards', () => {
  it('unusable weights → exit 4 naming the file, and no output (no GeoTIFF, PNG or temp file)', async () => {
    const folder = await revisitFolder('CLEAN', [revisit(0), revisit(1)]);
    const nan = spoiled('nan.safetensors', (t) => {
      (t[TARGET] as { data: Float32Array }).data[0] = Number.NaN;
    });
    const inf = spoiled('inf.safetensors', (t) => {
      (t['encoder.doubleconv2d.0.weight'] as { data: Float32Array }).data[3] = Number.NEGATIVE_INFINITY;
    });
    // relabel one tensor F32 → I32 in the header (same item size, so only the dtype is wrong)
    const i32 = join(dir, 'i32.safetensors');
    const n = Number(new DataView(goodBytes.buffer, goodBytes.byteOffset).getBigUint64(0, true));
    const header = new TextDecoder().decode(goodBytes.subarray(8, 8 + n));
    const at = header.indexOf(`"${TARGET}":{"dtype":"F32"`);
    expect(at).toBeGreaterThan(0);
    const relabelled = goodBytes.slice();
    relabelled.set(new TextEncoder().encode('I32'), 8 + at + `"${TARGET}":{"dtype":"`.length);
    writeFileSync(i32, relabelled);
    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, goodBytes.subarray(0, goodBytes.length - 64));
    const foreign = spoiled('foreign.safetensors', (t) => {
      t['sr.upsample.4.weight'] = { shape: [5, 2, 1, 1], data: new Float32Array(10) };
    });
    // an ONNX export whose initializer was overwritten with NaN
    const sd = initStateDict(CONFIG, { seed: 4 });
    (sd[TARGET] as { data: Float32Array }).data[1] = 1234.5678;
    const onnx = exportOnnx(CONFIG, sd);
    const mark = Buffer.from(onnx).indexOf(Buffer.from(new Float32Array([1234.5678]).buffer));
    onnx.set(new Uint8Array(new Float32Array([Number.NaN]).buffer), mark);
    const onnxNaN = join(dir, 'nan.onnx');
    writeFileSync(onnxNaN, onnx);
    const cases: [string, string][] = [
      [onnxNaN, 'NON_FINITE_WEIGHTS'],
      [nan, 'NON_FINITE_WEIGHTS'],
      [inf, 'NON_FINITE_WEIGHTS'],
      [i32, 'WEIGHTS_DTYPE_MISMATCH'],
      [truncated, 'BAD_SAFETENSORS'],
      [foreign, 'MISSHAPED_WEIGHTS'],
    ];
    for (const [weights, code] of cases) {
      const out = join(dir, 'out', `${code}.tif`);
      const r = await cli('superresolve', folder, '--weights', weights, '--out', out);
      expect(r.code, `${weights}: ${r.err}`).toBe(4);
      expect(r.err).toContain(weights);
      expect(r.err).toContain(code);
      expect(existsSync(out)).toBe(false);
      expect(existsSync(out.replace('.tif', '.png'))).toBe(false);
    }
    expect(existsSync(join(dir, 'out')) ? readdirSync(join(dir, 'out')) : []).toEqual([]);
    // the good weights on the same revisits work (so the failures above are the weights' fault)
    const ok = await cli('--json', 'superresolve', folder, '--weights', good, '--out', join(dir, 'ok.tif'));
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out).warnings).toEqual([]);
  }, 60_000);

  it('--out with a PNG name is refused before any work (it used to write a TIFF there and the PNG at x.png.png)', async () => {
    const folder = await revisitFolder('PNGOUT', [revisit(0), revisit(1)]);
    const out = join(dir, 'named', 'sr.png');
    const r = await cli('superresolve', folder, '--weights', good, '--out', out);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain('INVALID_ARGUMENT');
    expect(r.err).toContain(`${join(dir, 'named', 'sr')}.tif`);
    expect(existsSync(join(dir, 'named'))).toBe(false);
  }, 60_000);

  it('an all-NaN band and 1e30 values are warnings in the JSON result and printed; GDAL reads the product', async () => {
    const folder = await revisitFolder('SPOILED', [
      revisit(0, (b) => {
        for (let p = 0; p < 40; p++) (b[2] as Float32Array)[p] = 1e30;
      }),
      revisit(1, (b) => (b[9] as Float32Array).fill(Number.NaN)),
    ]);
    const out = join(dir, 'spoiled.tif');
    const j = await cli('--json', 'superresolve', folder, '--weights', good, '--out', out, '--no-quicklook');
    expect(j.code, j.err).toBe(0);
    const res = JSON.parse(j.out);
    expect(res.warnings).toEqual([
      expect.objectContaining({ code: 'IMPLAUSIBLE_VALUES', revisit: 0, band: 2, count: 40 }),
      expect.objectContaining({ code: 'EMPTY_BAND', revisit: 1, band: 9, count: SIZE * SIZE }),
    ]);
    expect(res.warnings[0].message).toContain('SPOILED-1-L2A_data.tiff');
    expect(res.warnings[1].message).toContain('SPOILED-2-L2A_data.tiff');
    const text = await cli('superresolve', folder, '--weights', good, '--out', out, '--no-quicklook');
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(
      /warning IMPLAUSIBLE_VALUES: .*SPOILED-1-L2A_data\.tiff: revisit 0 band 2: 40 pixel/,
    );
    expect(text.out).toMatch(
      /warning EMPTY_BAND: .*SPOILED-2-L2A_data\.tiff: revisit 1 band 9 holds no valid pixel/,
    );
    if (requireTool('GDAL (gdalinfo)', hasGdal)) {
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', '-stats', out], { encoding: 'utf8' }));
      expect(info.bands).toHaveLength(3);
      // no 1e30 leaked into the product: the model ran on plausible (filled) values
      for (const b of info.bands) expect(Math.abs(b.maximum)).toBeLessThan(1e3);
    }
  }, 60_000);
});
