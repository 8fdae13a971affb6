// Third-party SR models described by STAC MLM documents: parsing and validation (typed errors), and whole-scene
// inference through the descriptor (band selection, value scaling, layout, inverse scaling) on ONNX Runtime.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Raster } from '@worldstrat/raster-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descriptorNormalisation } from '../../src/descriptor/descriptor-engine.js';
import {
  createDescriptorEngine,
  loadModelDescriptor,
  superResolveWithDescriptor,
} from '../../src/descriptor/descriptor-engine.node.js';
import { parseMlmDescriptor } from '../../src/descriptor/mlm-descriptor.js';
import { SrnetError } from '../../src/errors.js';
import { resolveModelConfig } from '../../src/models/config.js';
import { exportOnnx } from '../../src/onnx/export-onnx.js';
import { GraphBuilder, tensorValueInfo } from '../../src/onnx/graph-builder.js';
import { createOnnxEngine } from '../../src/onnx/onnx-engine.node.js';
import { encodeOnnxModel } from '../../src/onnx/onnx-proto.js';
import { JIF_S2_BANDS, JIF_S2_MEAN, JIF_S2_STD } from '../../src/scene/normalisation.js';
import { superResolve } from '../../src/scene/super-resolve.js';
import { randomStateDict } from '../onnx/reference-forward.js';
import { makeRevisit, ramp } from '../scene/scene-helpers.js';
import { tinyItem } from '../support/mlm-item.js';

/** Per-channel constant the tiny model adds in model units (so a wrong band order or scaling shows). */
const BIAS = [0.5, 0.25, 0, -0.25];

/** A tiny single-image ×4 model in another tool's style: input `image` (B, 4, 16, 16), output `sr`. */
function tinyX4Model(size: number | string = 16): Uint8Array {
  const g = new GraphBuilder();
  const scales = g.float32('scales', [4], Float32Array.of(1, 1, 4, 4));
  const up = g.node('Resize', ['image', '', scales], {
    mode: 'nearest',
    coordinate_transformation_mode: 'asymmetric',
    nearest_mode: 'floor',
  });
  const bias = g.float32('bias', [1, 4, 1, 1], Float32Array.from(BIAS));
  g.node('Add', [up, bias], {}, 'sr');
  return encodeOnnxModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'tiny-x4-test',
    graph: g.build(
      'tiny-x4',
      [tensorValueInfo('image', ['batch', 4, size, size])],
      [
        tensorValueInfo('sr', [
          'batch',
          4,
          typeof size === 'number' ? size * 4 : 'out',
          typeof size === 'number' ? size * 4 : 'out',
        ]),
      ],
    ),
  });
}

/** A 12-band DN scene: band b holds 1000·(b+1) + x + 40·y. */
function dnScene(w: number, h: number): Raster[] {
  return [makeRevisit(w, h, (x, y, b) => 1000 * (b + 1) + x + 40 * y)];
}

describe('parseMlmDescriptor', () => {
  it('reads bands, layout, tile size, scale and value scaling from an MLM item', () => {
    const d = parseMlmDescriptor(JSON.stringify(tinyItem()), 'tiny.json');
    expect(d).toMatchObject({
      name: 'tiny-x4',
      bands: ['B04', 'B03', 'B02', 'B08'],
      inputName: 'image',
      outputName: 'sr',
      layout: 'bchw',
      revisits: 1,
      tileSize: 16,
      outChannels: 4,
      scale: 4,
      modelHref: './tiny-x4.onnx',
    });
    expect(d.scaling).toHaveLength(4);
    expect(d.scaling[2]).toEqual({ offset: 0, scale: 10000, min: -Infinity, max: Infinity });
    const z = parseMlmDescriptor(
      tinyItem(
        {},
        {
          value_scaling: [
            { type: 'z-score', mean: 1, stddev: 2 },
            { type: 'min-max', minimum: 10, maximum: 30 },
            { type: 'clip', minimum: 0, maximum: 1 },
            null,
          ],
        },
      ),
    );
    expect(z.scaling.map((s) => [s.offset, s.scale, s.min, s.max])).toEqual([
      [1, 2, -Infinity, Infinity],
      [10, 20, -Infinity, Infinity],
      [0, 1, 0, 1],
      [0, 1, -Infinity, Infinity],
    ]);
  });

  it('applies pre-1.3 norm_type z-score / min-max with per-band or global statistics as the normalisation', () => {
    const legacy = (fields: Record<string, unknown>) => tinyItem({}, { value_scaling: undefined, ...fields });
    const perBand = parseMlmDescriptor(
      legacy({
        norm_by_channel: true,
        norm_type: 'z-score',
        statistics: [
          { mean: 1000, stddev: 500 },
          { mean: 900, stddev: 400 },
          { mean: 800, stddev: 300, minimum: 0, maximum: 1 },
          { mean: 700, stddev: 200 },
        ],
      }),
      'old.json',
    );
    expect(descriptorNormalisation(perBand)).toEqual({
      mean: [1000, 900, 800, 700],
      std: [500, 400, 300, 200],
    });
    const global = parseMlmDescriptor(
      legacy({ norm_by_channel: false, norm_type: 'z-score', statistics: [{ mean: 3, stddev: 2 }] }),
    );
    expect(descriptorNormalisation(global)).toEqual({ mean: [3, 3, 3, 3], std: [2, 2, 2, 2] });
    // min-max: (x − minimum) / (maximum − minimum), the same affine step as value_scaling min-max
    const minMax = parseMlmDescriptor(
      legacy({ norm_type: 'min-max', statistics: [{ minimum: 100, maximum: 10100, mean: 5 }] }),
    );
    expect(descriptorNormalisation(minMax)).toEqual({
      mean: [100, 100, 100, 100],
      std: [10000, 10000, 10000, 10000],
    });
    // norm_type null: no normalisation, whatever statistics say
    const none = parseMlmDescriptor(legacy({ norm_type: null, statistics: [{ mean: 3, stddev: 2 }] }));
    expect(descriptorNormalisation(none)).toEqual({ mean: [0, 0, 0, 0], std: [1, 1, 1, 1] });
  });

  const legacyHostile: [string, Record<string, unknown>, RegExp][] = [
    [
      'l2',
      { norm_type: 'l2', statistics: [{ mean: 0, stddev: 1 }] },
      /norm_type: normalisation "l2" cannot be reproduced exactly/,
    ],
    ['clip', { norm_type: 'clip', norm_clip: [1, 1, 1, 1] }, /norm_type: normalisation "clip" cannot/],
    ['no statistics', { norm_type: 'z-score' }, /statistics: z-score .* needs 1 or 4 statistics object/],
    [
      'per-band stats, wrong count',
      { norm_by_channel: true, norm_type: 'z-score', statistics: [{ mean: 0, stddev: 1 }] },
      /statistics: z-score with norm_by_channel true needs 4 statistics/,
    ],
    [
      'global stats listed per band',
      { norm_by_channel: false, norm_type: 'min-max', statistics: [{}, {}, {}, {}] },
      /norm_by_channel false needs 1 statistics/,
    ],
    [
      'zero stddev',
      { norm_type: 'z-score', statistics: [{ mean: 0, stddev: 0 }] },
      /statistics\[0\]\.stddev: would divide/,
    ],
    [
      'missing minimum',
      { norm_type: 'min-max', statistics: [{ maximum: 1 }] },
      /statistics\[0\]\.minimum: must be a finite number/,
    ],
    [
      'norm_clip with z-score',
      { norm_type: 'z-score', norm_clip: [2], statistics: [{ mean: 0, stddev: 1 }] },
      /norm_clip: is defined for norm_type "clip" only/,
    ],
    [
      'a string norm_by_channel',
      { norm_by_channel: 'yes', norm_type: 'z-score', statistics: [{ mean: 0, stddev: 1 }] },
      /norm_by_channel: must be a boolean/,
    ],
    [
      'both forms',
      {
        norm_type: 'z-score',
        statistics: [{ mean: 0, stddev: 1 }],
        value_scaling: [{ type: 'scale', value: 10 }],
      },
      /norm_type: both value_scaling and the pre-1\.3 norm_type are given/,
    ],
  ];
  for (const [label, fields, message] of legacyHostile) {
    it(`refuses pre-1.3 normalisation it cannot reproduce: ${label}`, () => {
      const doc = tinyItem({}, { value_scaling: undefined, ...fields });
      expect(() => parseMlmDescriptor(doc, 'old.json')).toThrow(
        expect.objectContaining({ code: 'BAD_MODEL_DESCRIPTOR', message: expect.stringMatching(message) }),
      );
      expect(() => parseMlmDescriptor(doc, 'old.json')).toThrow(/^old\.json: mlm:input\[0\]\./);
    });
  }

  const hostile: [string, unknown, RegExp][] = [
    ['not JSON', '{"mlm:input": [', /bad\.json: document: not JSON/],
    ['no mlm:input', { properties: {} }, /mlm:input: must hold exactly one/],
    ['bands vs channels', tinyItem({}, { bands: ['B04', 'B03'] }), /has 4 channels but 2 bands/],
    [
      'custom scaling',
      tinyItem({}, { value_scaling: [{ type: 'processing', format: 'python', expression: 'm:f' }] }),
      /value_scaling\[0\]\.type: value scaling "processing" is not supported/,
    ],
    [
      'zero stddev',
      tinyItem({}, { value_scaling: [{ type: 'z-score', mean: 0, stddev: 0 }] }),
      /stddev: would divide by zero/,
    ],
    [
      'negative scale divisor',
      tinyItem({}, { value_scaling: [{ type: 'scale', value: -10000 }] }),
      /value_scaling\[0\]\.value: must be > 0, got -10000/,
    ],
    [
      'pre-processing code',
      tinyItem({}, { pre_processing_function: { format: 'python', expression: 'a.b:c' } }),
      /pre_processing_function: custom code/,
    ],
    [
      'uint8 input',
      tinyItem(
        {},
        {
          input: {
            shape: [-1, 4, 16, 16],
            dim_order: ['batch', 'bands', 'height', 'width'],
            data_type: 'uint8',
          },
        },
      ),
      /data_type: only float32/,
    ],
    [
      'NHWC',
      tinyItem(
        {},
        {
          input: {
            shape: [-1, 16, 16, 4],
            dim_order: ['batch', 'height', 'width', 'bands'],
            data_type: 'float32',
          },
        },
      ),
      /dim_order .* is not \[batch, channel/,
    ],
    [
      'huge shape',
      tinyItem(
        {},
        {
          input: {
            shape: [-1, 4, 1e9, 16],
            dim_order: ['batch', 'bands', 'height', 'width'],
            data_type: 'float32',
          },
        },
      ),
      /entries must be -1 or integers/,
    ],
    ['scaling count', tinyItem({}, { value_scaling: [null, null] }), /must hold 1 or 4 objects/],
    [
      'band expression',
      tinyItem(
        {},
        {
          bands: [
            'B04',
            'B03',
            'B02',
            { name: 'NDVI', format: 'rio-calc', expression: '(B08-B04)/(B08+B04)' },
          ],
        },
      ),
      /derived band expressions/,
    ],
    ['oversized', `{"x":"${'a'.repeat(1 << 20)}"}`, /larger than 1048576 bytes/],
  ];
  for (const [label, doc, message] of hostile) {
    it(`refuses ${label} with BAD_MODEL_DESCRIPTOR`, () => {
      let err: unknown;
      try {
        parseMlmDescriptor(doc, 'bad.json');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SrnetError);
      expect((err as SrnetError).code).toBe('BAD_MODEL_DESCRIPTOR');
      expect((err as SrnetError).message).toMatch(/^bad\.json: /);
      expect((err as SrnetError).message).toMatch(message);
    });
  }
});

describe('superResolveWithDescriptor (ONNX Runtime)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'srnet-mlm-'));
    writeFileSync(join(dir, 'tiny-x4.onnx'), tinyX4Model());
    writeFileSync(join(dir, 'tiny-x4.json'), JSON.stringify(tinyItem()));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a single-image ×4 model: picks B04,B03,B02,B08, scales by 1/10000 and back, tiles a 40×40 scene', async () => {
    const { descriptor, onnx } = await loadModelDescriptor(join(dir, 'tiny-x4.json'));
    const scene = dnScene(40, 40);
    const { raster, scale, grid } = await superResolveWithDescriptor(scene, descriptor, onnx, {
      overlap: 4,
      batchSize: 3,
      intraOpNumThreads: 1,
    });
    expect(scale).toEqual([4, 4]);
    expect([raster.width, raster.height, raster.bands.length]).toEqual([160, 160, 4]);
    expect(grid?.x.origins.length).toBeGreaterThan(2); // really tiled (chips: an explicit overlap)
    expect(raster.geo?.transform).toEqual([500000, 2.5, 0, 4600000, 0, -2.5]);
    const sourceBand = [3, 2, 1, 7]; // B04, B03, B02, B08 in the 12-band order
    let worst = 0;
    for (let k = 0; k < 4; k++) {
      const band = raster.bands[k] as Float32Array;
      for (let Y = 0; Y < 160; Y++) {
        for (let X = 0; X < 160; X++) {
          const dn = 1000 * (sourceBand[k]! + 1) + Math.floor(X / 4) + 40 * Math.floor(Y / 4);
          // In model units the net adds BIAS[k]; mapped back to DN that is BIAS[k]·10000.
          worst = Math.max(worst, Math.abs((band[Y * 160 + X] as number) - (dn + BIAS[k]! * 10000)));
        }
      }
    }
    expect(worst).toBeLessThan(2e-3);
  });

  it('a model of any tile size (-1 in the descriptor) runs with the tileSize and scale given', async () => {
    const item = tinyItem(
      {},
      {
        input: {
          shape: [-1, 4, -1, -1],
          dim_order: ['batch', 'bands', 'height', 'width'],
          data_type: 'float32',
        },
      },
    );
    item.properties['mlm:output'][0]!.result.shape = [-1, 4, -1, -1];
    const d = parseMlmDescriptor(item, 'any-size.json');
    expect([d.tileSize, d.scale]).toEqual([null, null]);
    const model = tinyX4Model('h');
    await expect(superResolveWithDescriptor(dnScene(30, 30), d, model)).rejects.toMatchObject({
      code: 'BAD_MODEL_DESCRIPTOR',
      message: expect.stringMatching(/any-size\.json: the model takes any tile size; pass tileSize/),
    });
    const { raster, grid } = await superResolveWithDescriptor(dnScene(30, 30), d, model, {
      tileSize: 20,
      scale: 4,
      overlap: 5,
      intraOpNumThreads: 1,
    });
    expect(grid?.chipSize).toBe(20);
    expect([raster.width, raster.height]).toEqual([120, 120]);
    // HR pixel (X, Y) = (117, 5): LR (29, 1) of band B04 (index 3) + 0.5·10000.
    expect(raster.bands[0]![5 * 120 + 117]).toBeCloseTo(4000 + 29 + 40 + 5000, 2);
    // A wrong scale is caught on the first output, not blended into the product.
    await expect(
      superResolveWithDescriptor(dnScene(30, 30), d, model, { tileSize: 20, scale: 2, intraOpNumThreads: 1 }),
    ).rejects.toMatchObject({ code: 'ARCHITECTURE_MISMATCH' });
  });

  it('output: model returns the raw model units', async () => {
    const d = parseMlmDescriptor(tinyItem(), 'tiny.json');
    const { raster } = await superResolveWithDescriptor(dnScene(16, 16), d, tinyX4Model(), {
      output: 'model',
      intraOpNumThreads: 1,
    });
    expect(raster.bands[0]![0]).toBeCloseTo((1000 * 4) / 10000 + 0.5, 6);
  });

  it("srnet's own SRCNN and HighRes-net via exportOnnx, described by MLM, equal the native ONNX path", async () => {
    for (const [kind, revisits] of [
      ['srcnn', 1],
      ['highresnet', 2],
    ] as const) {
      const config = resolveModelConfig({
        kind,
        revisits,
        hiddenChannels: 8,
        residualLayers: 0,
        outputSize: [100, 100],
      });
      const stateDict = randomStateDict(config, 5);
      const onnx = exportOnnx(config, stateDict);
      const item = {
        type: 'Feature',
        properties: {
          'mlm:name': `srnet-${kind}`,
          'mlm:input': [
            {
              name: 'lr',
              bands: [...JIF_S2_BANDS],
              input: {
                shape: [-1, revisits, 12, 50, 50],
                dim_order: ['batch', 'time', 'bands', 'height', 'width'],
                data_type: 'float32',
              },
              value_scaling: JIF_S2_BANDS.map((_, b) => ({
                type: 'z-score',
                mean: JIF_S2_MEAN[b],
                stddev: JIF_S2_STD[b],
              })),
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
        assets: { weights: { href: 'm.onnx', roles: ['mlm:model'], 'mlm:artifact_type': 'onnx' } },
      };
      const d = parseMlmDescriptor(item, `${kind}.json`);
      expect(d.layout).toBe('btchw');
      const scene = Array.from({ length: revisits }, (_, r) => makeRevisit(70, 60, ramp(r)));
      const viaDescriptor = await superResolveWithDescriptor(scene, d, onnx, { intraOpNumThreads: 1 });
      const engine = await createOnnxEngine(onnx, { intraOpNumThreads: 1 });
      try {
        // Descriptor engines have no unresized output, so they always run the chip plan.
        const native = await superResolve(scene, { engine, chipSize: 50, tiling: 'chips' });
        expect(viaDescriptor.raster.bands.length).toBe(3);
        for (let b = 0; b < 3; b++) {
          const a = viaDescriptor.raster.bands[b] as Float32Array;
          const n = native.raster.bands[b] as Float32Array;
          let diff = 0;
          for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - n[i]!));
          expect(diff, `${kind} band ${b}`).toBe(0);
        }
      } finally {
        engine.dispose();
      }
    }
  });

  it('typed errors: graph/descriptor mismatch, missing scene band, remote model asset', async () => {
    const wrongName = parseMlmDescriptor(tinyItem({}, { name: 'input_1' }), 'wrong.json');
    await expect(createDescriptorEngine(wrongName, tinyX4Model())).rejects.toMatchObject({
      code: 'ARCHITECTURE_MISMATCH',
      message: expect.stringMatching(/no input 'input_1' \(inputs: image\)/),
    });
    const d = parseMlmDescriptor(tinyItem(), 'tiny.json');
    await expect(
      superResolveWithDescriptor(dnScene(16, 16), d, tinyX4Model(), {
        sceneBands: JIF_S2_BANDS.filter((b) => b !== 'B08'),
      }),
    ).rejects.toMatchObject({ code: 'BAD_BANDS', message: expect.stringMatching(/needs band B08/) });
    const remote = tinyItem();
    remote.assets.model.href = 'https://models.example.org/tiny.onnx?token=secret';
    writeFileSync(join(dir, 'remote.json'), JSON.stringify(remote));
    const err = await loadModelDescriptor(join(dir, 'remote.json')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_MODEL_DESCRIPTOR' });
    expect((err as Error).message).toMatch(/is remote/);
    expect((err as Error).message).not.toMatch(/secret/);
    await expect(loadModelDescriptor(join(dir, 'missing.json'))).rejects.toMatchObject({
      code: 'BAD_MODEL_DESCRIPTOR',
    });
  });
});
