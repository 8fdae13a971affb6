// MLM descriptors that are valid but unusual (fixed batch, several model artifacts, file: hrefs, null fields) or
// hostile (repeated band names, Proxies, other schemes), and scenes whose band names are ambiguous.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Raster } from '@worldstrat/raster-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descriptorBandIndices } from '../../src/descriptor/descriptor-engine.js';
import {
  loadModelDescriptor,
  superResolveWithDescriptor,
} from '../../src/descriptor/descriptor-engine.node.js';
import { parseMlmDescriptor } from '../../src/descriptor/mlm-descriptor.js';
import { SrnetError } from '../../src/errors.js';
import { GraphBuilder, tensorValueInfo } from '../../src/onnx/graph-builder.js';
import { encodeOnnxModel } from '../../src/onnx/onnx-proto.js';
import { makeRevisit } from '../scene/scene-helpers.js';
import { tinyItem } from '../support/mlm-item.js';

/** ×4 nearest upsampling of `image` (batch, 4, 16, 16) into `sr`, with the batch axis fixed at `batch`. */
function fixedBatchModel(batch: number): Uint8Array {
  const g = new GraphBuilder();
  const scales = g.float32('scales', [4], Float32Array.of(1, 1, 4, 4));
  g.node(
    'Resize',
    ['image', '', scales],
    { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
    'sr',
  );
  return encodeOnnxModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'fixed-batch-test',
    graph: g.build(
      'fixed-batch',
      [tensorValueInfo('image', [batch, 4, 16, 16])],
      [tensorValueInfo('sr', [batch, 4, 64, 64])],
    ),
  });
}

function parseError(doc: unknown): SrnetError {
  let err: unknown;
  try {
    parseMlmDescriptor(doc, 'bad.json');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SrnetError);
  expect((err as SrnetError).code).toBe('BAD_MODEL_DESCRIPTOR');
  return err as SrnetError;
}

describe('parseMlmDescriptor: hostile and unusual documents', () => {
  it('refuses a band listed twice (case-insensitively: scene bands are found so)', () => {
    const err = parseError(tinyItem({}, { bands: ['B04', 'B03', 'b04', 'B08'] }));
    expect(err.message).toMatch(/bands\[2\]: band "b04" is listed twice \(also bands\[0\]\)/);
  });

  it('turns a Proxy or throwing getter into BAD_MODEL_DESCRIPTOR naming the document', () => {
    const trap = new Proxy(
      {},
      {
        get() {
          throw new TypeError('trap');
        },
      },
    );
    expect(parseError(trap).message).toMatch(/^bad\.json: document: cannot be read \(trap\)/);
    const getter = {
      get properties(): unknown {
        throw new RangeError('getter');
      },
    };
    expect(parseError(getter).message).toMatch(/getter/);
  });

  it('reads `expression: null` as no expression, and refuses an output time axis other than 1', () => {
    const d = parseMlmDescriptor(
      tinyItem({}, { bands: ['B04', 'B03', 'B02', { name: 'B08', expression: null }] }),
    );
    expect(d.bands).toEqual(['B04', 'B03', 'B02', 'B08']);
    const item = tinyItem();
    item.properties['mlm:output'][0]!.result = {
      shape: [-1, 7, 4, 64, 64],
      dim_order: ['batch', 'time', 'channel', 'height', 'width'],
      data_type: 'float32',
    };
    expect(parseError(item).message).toMatch(/result\.shape: the time axis must be 1/);
  });

  it('takes the ONNX artifact among several mlm:model assets, and refuses documents with none', () => {
    const item = tinyItem() as { assets: Record<string, unknown> };
    item.assets = {
      torch: { href: 'model.pt2', roles: ['mlm:model'], 'mlm:artifact_type': 'torch.export.save' },
      onnx: { href: 'model.onnx', roles: ['mlm:model'], 'mlm:artifact_type': 'onnx' },
    };
    expect(parseMlmDescriptor(item).modelHref).toBe('model.onnx');
    item.assets = { torch: item.assets.torch };
    expect(parseError(item).message).toMatch(
      /assets\.torch\.mlm:artifact_type: "torch\.export\.save" is not an ONNX/,
    );
  });
});

describe('descriptor engines and files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'srnet-mlm-hostile-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const scene = (): Raster[] => [makeRevisit(40, 40, (x, y, b) => 1000 * (b + 1) + x + 40 * y)];

  it('runs a graph with a fixed batch (1 or 3) in slices of it, whatever batchSize superResolve uses', async () => {
    for (const batch of [1, 3]) {
      const item = tinyItem();
      item.properties['mlm:input'][0]!.input.shape = [batch, 4, 16, 16];
      item.properties['mlm:output'][0]!.result.shape = [batch, 4, 64, 64];
      const d = parseMlmDescriptor(item, `batch${batch}.json`);
      const { raster } = await superResolveWithDescriptor(scene(), d, fixedBatchModel(batch), {
        overlap: 4,
        batchSize: 8,
        intraOpNumThreads: 1,
      });
      expect([raster.width, raster.height]).toEqual([160, 160]);
      // B04 (scene band 3) at HR (X, Y) = (157, 121): LR (39, 30), back in DN
      expect(raster.bands[0]![121 * 160 + 157]).toBeCloseTo(4000 + 39 + 40 * 30, 1);
      expect(raster.bands[3]![0]).toBeCloseTo(8000, 1);
    }
  });

  it('refuses scene band names that name a model band twice (the first used to be fed, silently)', () => {
    const d = parseMlmDescriptor(tinyItem());
    expect(() => descriptorBandIndices(d, ['B02', 'B03', 'B04', 'B08', 'b04'])).toThrow(
      expect.objectContaining({
        code: 'BAD_BANDS',
        message: expect.stringMatching(/names it more than once/),
      }),
    );
    expect(descriptorBandIndices(d, ['B02', 'B03', 'B04', 'B08', 'B02x'])).toEqual([2, 1, 0, 3]);
  });

  it('loads a file: URL href, refuses data: and other schemes', async () => {
    writeFileSync(join(dir, 'm.onnx'), fixedBatchModel(1));
    const write = (href: string) => {
      const item = tinyItem();
      item.assets.model.href = href;
      writeFileSync(join(dir, 'd.json'), JSON.stringify(item));
      return loadModelDescriptor(join(dir, 'd.json'));
    };
    const url = pathToFileURL(join(dir, 'm.onnx')).href;
    expect((await write(url)).modelPath).toBe(join(dir, 'm.onnx'));
    for (const href of [
      'data:application/octet-stream;base64,AAAA',
      's3:bucket/m.onnx',
      'https://x.org/m.onnx',
    ]) {
      await expect(write(href)).rejects.toMatchObject({
        code: 'BAD_MODEL_DESCRIPTOR',
        message: expect.stringMatching(/is remote or not a file/),
      });
    }
    await expect(write('file://remote-host/m.onnx')).rejects.toMatchObject({
      code: 'BAD_MODEL_DESCRIPTOR',
      message: expect.stringMatching(/not a local file URL/),
    });
  });
});
