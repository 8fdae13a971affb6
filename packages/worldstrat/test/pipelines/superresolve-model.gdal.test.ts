// `worldstrat superresolve --model <descriptor.json>`: an ONNX model described by a STAC MLM document runs through
// the same scene inference as `--weights`; the same network gives the same pixels both ways, GDAL reads the
// product, and bad descriptors exit 4 without writing anything.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Raster } from '@worldstrat/raster-io';
import { readGeoTiffFile, writeGeoTiff } from '@worldstrat/raster-io/node';
import {
  exportOnnx,
  initStateDict,
  JIF_S2_BANDS,
  JIF_S2_MEAN,
  JIF_S2_STD,
  resolveModelConfig,
} from '@worldstrat/srnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/fixtures.js';
import { hasGdal, requireTool } from '../support/require-tool.js';
import { cli } from '../support/run-cli.js';

const CONFIG = resolveModelConfig({
  kind: 'srcnn',
  revisits: 1,
  hiddenChannels: 8,
  residualLayers: 0,
  outputSize: [100, 100],
});

let dir: string;
let cleanup: () => Promise<void>;
let revisitPath: string;
let onnxPath: string;

/** An MLM STAC Item describing srnet's exported SRCNN (lr → sr, 50 → 100 px, JIF z-score per band). */
function descriptor(modelHref: string, scalingOverride?: unknown) {
  return {
    type: 'Feature',
    stac_version: '1.0.0',
    stac_extensions: ['https://stac-extensions.github.io/mlm/v1.4.0/schema.json'],
    id: 'srcnn-r1',
    properties: {
      datetime: null,
      'mlm:name': 'srcnn-r1-test',
      'mlm:tasks': ['super-resolution'],
      'mlm:input': [
        {
          name: 'lr',
          bands: [...JIF_S2_BANDS],
          input: {
            shape: [-1, 1, 12, 50, 50],
            dim_order: ['batch', 'time', 'bands', 'height', 'width'],
            data_type: 'float32',
          },
          value_scaling:
            scalingOverride ??
            JIF_S2_BANDS.map((_, b) => ({ type: 'z-score', mean: JIF_S2_MEAN[b], stddev: JIF_S2_STD[b] })),
        },
      ],
      'mlm:output': [
        {
          name: 'sr',
          tasks: ['super-resolution'],
          result: {
            shape: [-1, 1, 3, 100, 100],
            dim_order: ['batch', 'time', 'channel', 'height', 'width'],
            data_type: 'float32',
          },
        },
      ],
    },
    assets: { model: { href: modelHref, roles: ['mlm:model'], 'mlm:artifact_type': 'onnx' } },
  };
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('worldstrat-sr-model-'));
  onnxPath = join(dir, 'srcnn-r1.onnx');
  writeFileSync(onnxPath, exportOnnx(CONFIG, initStateDict(CONFIG, { seed: 9 })));
  const size = 70;
  const r: Raster = {
    width: size,
    height: size,
    dtype: 'float32',
    bands: Array.from({ length: 12 }, (_, b) => {
      const a = new Float32Array(size * size);
      for (let p = 0; p < a.length; p++)
        a[p] = 0.04 + 0.002 * (p % size) + 0.001 * Math.floor(p / size) + 0.01 * b;
      return a;
    }),
    geo: { epsg: 32633, transform: [500000, 10, 0, 4600000, 0, -10] },
  };
  revisitPath = join(dir, 'AOI-1-L2A_data.tiff');
  await writeGeoTiff(revisitPath, r, { compression: 'deflate' });
});
afterAll(() => cleanup());

describe('superresolve --model (STAC MLM descriptor)', () => {
  it('runs the described ONNX model and gives the pixels of --weights with the same network', async () => {
    const desc = join(dir, 'srcnn-r1.json');
    writeFileSync(desc, JSON.stringify(descriptor('./srcnn-r1.onnx')));
    const viaModel = join(dir, 'via-model.tif');
    const m = await cli(
      '--json',
      'superresolve',
      revisitPath,
      '--model',
      desc,
      '--out',
      viaModel,
      '--no-quicklook',
    );
    expect(m.code, m.out + m.err).toBe(0);
    const rm = JSON.parse(m.out);
    expect(rm.model).toEqual({ kind: 'srcnn', revisits: 1, name: 'srcnn-r1-test' });
    expect(rm.engine).toBe('onnx');
    const viaWeights = join(dir, 'via-weights.tif');
    const w = await cli(
      '--json',
      'superresolve',
      revisitPath,
      '--weights',
      onnxPath,
      '--out',
      viaWeights,
      '--no-quicklook',
      // a described model always runs the chip plan with the default overlap (13 px for 50 → 100 px chips);
      // the same explicit overlap selects that plan for --weights too
      '--overlap',
      '13',
    );
    expect(w.code, w.out + w.err).toBe(0);
    const a = await readGeoTiffFile(viaModel);
    const b = await readGeoTiffFile(viaWeights);
    expect([a.width, a.height, a.bands.length]).toEqual([140, 140, 3]);
    expect([b.width, b.height]).toEqual([140, 140]);
    for (let k = 0; k < 3; k++)
      expect(Array.from(a.bands[k] as Float32Array)).toEqual(Array.from(b.bands[k] as Float32Array));
    if (requireTool('GDAL (gdalinfo)', hasGdal)) {
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', viaModel], { encoding: 'utf8' }));
      expect(info.size).toEqual([140, 140]);
      expect(info.bands[0].type).toBe('Float32');
      expect(info.geoTransform[1]).toBeCloseTo(5, 9);
    }
  }, 120_000);

  it('bad descriptors exit 4 naming the file; weights and model together exit 2; nothing is written', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify(
        descriptor('./srcnn-r1.onnx', [{ type: 'processing', format: 'python', expression: 'x:y' }]),
      ),
    );
    const out = join(dir, 'never.tif');
    const r = await cli('superresolve', revisitPath, '--model', bad, '--out', out, '--no-quicklook');
    expect(r.code, r.out + r.err).toBe(4);
    expect(r.err).toMatch(/bad\.json: mlm:input\[0\]\.value_scaling\[0\]\.type/);
    const missing = join(dir, 'missing-model.json');
    writeFileSync(missing, JSON.stringify(descriptor('./nowhere.onnx')));
    const r2 = await cli('superresolve', revisitPath, '--model', missing, '--out', out, '--no-quicklook');
    expect(r2.code, r2.out + r2.err).toBe(4);
    expect(r2.err).toMatch(/nowhere\.onnx: cannot read the model file/);
    const both = await cli('superresolve', revisitPath, '--model', bad, '--weights', onnxPath, '--out', out);
    expect(both.code, both.out + both.err).toBe(2);
    const neither = await cli('superresolve', revisitPath, '--out', out);
    expect(neither.code, neither.out + neither.err).toBe(2);
    expect(neither.err).toMatch(/needs weights \(\.safetensors \/ \.onnx\) or a model descriptor/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  }, 120_000);
});
