// Weight IO: aliased fixture form, full duplicated form, backbone. prefix, architecture detection, lossless round
// trips (safetensors and tf.io), typed errors for missing / mis-shaped / foreign weights.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { encodeSafetensors, readSafetensors, type SafetensorsTensor } from '@worldstrat/raster-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countParameters,
  createModel,
  createTfjsEngine,
  detectArchitecture,
  exportStateDict,
  loadModel,
  loadStateDict,
  modelFromStateDict,
  type SrnetError,
  saveModel,
  selectBackend,
  stateDictFromSafetensors,
  stateDictToSafetensors,
} from '../src/index.js';
import { fileModelHandler } from '../src/node.js';
import { fixtureBytes } from './support/fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'srnet-weights-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await selectBackend('wasm');
});

describe('weights', () => {
  it('reads the aliased fixtures and detects each architecture; parameter counts match the upstream models', () => {
    const expected = {
      'srcnn-r1': { kind: 'srcnn', revisits: 1, unique: 753_057, used: 753_035, keys: 42 },
      'srcnn-r8': { kind: 'srcnn', revisits: 8, unique: 1_785_249, used: 1_785_227, keys: 42 },
      'highresnet-r8': { kind: 'highresnet', revisits: 8, unique: 3_260_452, used: 1_637_898, keys: 57 },
    } as const;
    for (const [name, e] of Object.entries(expected)) {
      const { stateDict, config, metadata } = stateDictFromSafetensors(fixtureBytes(`${name}.safetensors`));
      expect([
        config.kind,
        config.revisits,
        config.hiddenChannels,
        config.inChannels,
        config.outChannels,
      ]).toEqual([e.kind, e.revisits, 128, 12, 3]);
      expect(Object.keys(stateDict)).toEqual(JSON.parse(metadata.state_dict_keys as string));
      expect(Object.keys(stateDict)).toHaveLength(e.keys);
      expect(countParameters(config)).toEqual({ unique: e.unique, used: e.used });
    }
    const hr = stateDictFromSafetensors(fixtureBytes('highresnet-r8.safetensors')).stateDict;
    expect(hr['fusion.fusion.2.fuse.1.weight']).toBe(hr['fusion.fusion.0.fuse.1.weight']); // one shared tensor
  });

  it('accepts the full duplicated form with backbone. prefix and round-trips losslessly', async () => {
    const { stateDict, config } = stateDictFromSafetensors(fixtureBytes('srcnn-r8.safetensors'));
    const full = stateDictToSafetensors(stateDict, config, { form: 'full', prefix: 'backbone.' });
    const parsed = readSafetensors(full);
    expect(Object.keys(parsed.tensors).every((k) => k.startsWith('backbone.'))).toBe(true);
    expect(Object.keys(parsed.tensors)).toHaveLength(42);
    const again = stateDictFromSafetensors(full);
    expect(again.config).toEqual(config);
    const model = modelFromStateDict(config, again.stateDict);
    const back = await exportStateDict(model);
    for (const [k, t] of Object.entries(stateDict)) {
      expect(back[k]?.shape).toEqual(t.shape);
      expect(
        Buffer.from((back[k] as typeof t).data.buffer).equals(
          Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
        ),
      ).toBe(true);
    }
    const aliased = stateDictToSafetensors(back, config, { form: 'aliased' });
    expect(Object.keys(readSafetensors(aliased).tensors)).toHaveLength(30);
    model.dispose();
  });

  it('keeps a non-default output size and dropout through stateDictToSafetensors → stateDictFromSafetensors', async () => {
    const model = createModel(
      { kind: 'srcnn', revisits: 2, inChannels: 3, hiddenChannels: 4, outputSize: [37, 41], dropout: 0.2 },
      { seed: 5 },
    );
    const bytes = stateDictToSafetensors(await exportStateDict(model), model.config);
    expect(stateDictFromSafetensors(bytes).config).toMatchObject({ outputSize: [37, 41], dropout: 0.2 });
    // the caller's config wins; a dropout the model cannot take is ignored like any informative field
    expect(stateDictFromSafetensors(bytes, { config: { dropout: 0 } }).config.dropout).toBe(0);
    const odd = stateDictToSafetensors(await exportStateDict(model), model.config, {
      metadata: { model_config: JSON.stringify({ ...model.config, dropout: 1.5 }) },
    });
    expect(stateDictFromSafetensors(odd).config.dropout).toBe(0.5);
    // Upstream files say it in model_args, which wins over our own model_config.
    const upstream = stateDictToSafetensors(await exportStateDict(model), model.config, {
      metadata: { model_args: JSON.stringify({ output_size: [30, 31] }) },
    });
    expect(stateDictFromSafetensors(upstream).config.outputSize).toEqual([30, 31]);
    model.dispose();
  });

  it('ignores a malformed informative model_args.output_size; a bad options.config size is still refused', async () => {
    const model = createModel(
      { kind: 'srcnn', revisits: 2, inChannels: 3, hiddenChannels: 4, outputSize: [37, 41] },
      { seed: 5 },
    );
    const sd = await exportStateDict(model);
    const withArgs = (modelArgs: string, own = true) =>
      stateDictToSafetensors(sd, model.config, {
        metadata: own ? { model_args: modelArgs } : { model_args: modelArgs, model_config: 'not ours' },
      });
    for (const bad of [
      '{"output_size":[156.5,156]}',
      '{"output_size":[0,0]}',
      '{"output_size":["a","b"]}',
      '{"output_size":[100000000,100000000]}',
      '{"output_size":[-5,156]}',
      '{"output_size":156}',
      '[1,2]',
      'null',
    ]) {
      // the file's own model_config still gives the size; without it the default applies
      expect(stateDictFromSafetensors(withArgs(bad), { name: 'w.safetensors' }).config.outputSize).toEqual([
        37, 41,
      ]);
      expect(stateDictFromSafetensors(withArgs(bad, false)).config.outputSize).toEqual([156, 156]);
    }
    const bytes = withArgs('{"output_size":[30,31]}');
    for (const outputSize of [
      [156.5, 156],
      [0, 0],
      ['a', 'b'],
    ])
      expect(() =>
        stateDictFromSafetensors(bytes, { config: { outputSize: outputSize as [number, number] } }),
      ).toThrow(
        expect.objectContaining({
          code: 'BAD_CONFIG',
          message: expect.stringContaining('options.config.outputSize must be two integers in 1..65536'),
        }),
      );
    model.dispose();
  });

  it('strips DataParallel module. (also backbone.module.) where every key of its group has it', async () => {
    const { stateDict, config } = stateDictFromSafetensors(fixtureBytes('srcnn-r1.safetensors'));
    const plain = stateDictToSafetensors(stateDict, config);
    const reference = readSafetensors(plain).tensors;
    const withKeys = (rename: (k: string) => string, extra: Record<string, SafetensorsTensor> = {}) =>
      encodeSafetensors(
        {
          ...Object.fromEntries(Object.entries(reference).map(([k, t]) => [rename(k), t])),
          ...extra,
        },
        {},
      );
    const shifter = { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } as SafetensorsTensor;
    for (const [label, bytes] of [
      ['module.', withKeys((k) => `module.${k}`)],
      ['backbone.module. + shifter', withKeys((k) => `backbone.module.${k}`, { 'shifter.weight': shifter })],
    ] as const) {
      const loaded = stateDictFromSafetensors(bytes, { name: label });
      expect(loaded.config).toEqual(config);
      for (const [k, t] of Object.entries(stateDict))
        expect(Array.from(loaded.stateDict[k]?.data ?? []), `${label} ${k}`).toEqual(Array.from(t.data));
    }
    // not every key has it: a lone "module.*" tensor is not a weight, it stays an extra
    const lone = stateDictFromSafetensors(
      withKeys((k) => k, { 'module.encoder.doubleconv2d.0.weight': shifter }),
    );
    expect(Object.keys(lone.extras)).toEqual(['module.encoder.doubleconv2d.0.weight']);
    // an unknown wrapper prefix shared by every key is named in the MISSING_WEIGHTS message
    for (const prefix of ['model.', 'model.net.']) {
      const e = (() => {
        try {
          stateDictFromSafetensors(
            withKeys((k) => `${prefix}${k}`),
            { name: 'wrapped.safetensors' },
          );
        } catch (err) {
          return err as SrnetError;
        }
        throw new Error('loaded');
      })();
      expect(e.code).toBe('MISSING_WEIGHTS');
      expect(e.message).toMatch(/^wrapped\.safetensors: cannot detect the architecture: key "encoder/);
      expect(e.message).toContain(`every key starts with "${prefix}" (e.g. "${prefix}`);
      expect(e.message).toContain('a prefix srnet does not strip');
    }
  });

  it('tf.io save/load round trip through a directory handler gives identical predictions', async () => {
    const model = createModel(
      { kind: 'highresnet', revisits: 4, inChannels: 2, hiddenChannels: 8, outputSize: [20, 20] },
      { seed: 4 },
    );
    await saveModel(model, fileModelHandler(join(tmp, 'm')));
    const loaded = await loadModel(fileModelHandler(join(tmp, 'm')));
    expect(loaded.config).toEqual(model.config);
    const x = tf.randomNormal([1, 4, 10, 10, 2], 0, 1, 'float32', 3) as tf.Tensor5D;
    const a = await model.forward(x).data();
    const b = await loaded.forward(x).data();
    expect(Array.from(b)).toEqual(Array.from(a));
    model.dispose();
    loaded.dispose();
    x.dispose();
  });

  it('HighResNet accepts any R (zero-padded to the next power of two)', async () => {
    const sd = (await import('../src/index.js')).initStateDict(
      { kind: 'highresnet', revisits: 8, inChannels: 2, hiddenChannels: 8, outputSize: [20, 20] },
      { seed: 1 },
    );
    const engine = await createTfjsEngine(
      { kind: 'highresnet', revisits: 8, inChannels: 2, hiddenChannels: 8, outputSize: [20, 20] },
      sd,
    );
    const x = new Float32Array(1 * 5 * 2 * 10 * 10).map((_, i) => Math.sin(i));
    const out = await engine.predict({ data: x, shape: [1, 5, 2, 10, 10] });
    expect(out.shape).toEqual([1, 1, 3, 20, 20]);
    expect(out.data.every(Number.isFinite)).toBe(true);
    engine.dispose();
  });

  it('typed errors: missing and mis-shaped tensors are listed; foreign architectures rejected', async () => {
    const { tensors, metadata } = readSafetensors(fixtureBytes('srcnn-r1.safetensors'));
    const dropped = { ...tensors };
    delete dropped['sr.upsample.4.bias'];
    delete dropped['encoder.doubleconv2d.2.weight'];
    expect(() => stateDictFromSafetensors(encodeSafetensors(dropped, metadata))).toThrow(
      /sr\.upsample\.4\.bias.*|encoder\.doubleconv2d\.2\.weight/,
    );
    try {
      stateDictFromSafetensors(encodeSafetensors(dropped, metadata));
    } catch (e) {
      expect((e as { code: string }).code).toBe('MISSING_WEIGHTS');
      expect((e as { details: { missing: string[] } }).details.missing).toEqual(
        expect.arrayContaining(['sr.upsample.4.bias', 'encoder.doubleconv2d.2.weight']),
      );
    }
    const bad = {
      ...tensors,
      'sr.upsample.4.bias': { dtype: 'F32' as const, shape: [4], data: new Float32Array(4) },
    };
    expect(() => stateDictFromSafetensors(encodeSafetensors(bad, metadata))).toThrow(
      expect.objectContaining({
        code: 'MISSHAPED_WEIGHTS',
        message: expect.stringContaining('sr.upsample.4.bias: got [4], expected [3]'),
      }),
    );
    const r8 = stateDictFromSafetensors(fixtureBytes('srcnn-r8.safetensors'));
    const model = createModel({ kind: 'srcnn', revisits: 1 }, { seed: 0 });
    expect(() => loadStateDict(model, r8.stateDict)).toThrow(
      expect.objectContaining({ code: 'ARCHITECTURE_MISMATCH' }),
    );
    expect(detectArchitecture(r8.stateDict).revisits).toBe(8);
    model.dispose();
    await expect(createTfjsEngine({ kind: 'highresnet' }, r8.stateDict)).rejects.toMatchObject({
      code: 'ARCHITECTURE_MISMATCH',
    });
  });

  it('engine input errors: rank, bands, revisits, non-finite', async () => {
    const sd = (await import('../src/index.js')).initStateDict({
      kind: 'srcnn',
      revisits: 2,
      inChannels: 3,
      hiddenChannels: 4,
      outputSize: [12, 12],
    });
    const engine = await createTfjsEngine(
      { kind: 'srcnn', revisits: 2, inChannels: 3, hiddenChannels: 4, outputSize: [12, 12] },
      sd,
    );
    const d = (n: number) => new Float32Array(n);
    await expect(
      engine.predict({ data: d(2 * 3 * 36), shape: [2, 3, 6, 6] as unknown as [1, 2, 3, 6, 6] }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT_SHAPE' });
    await expect(engine.predict({ data: d(2 * 4 * 36), shape: [1, 2, 4, 6, 6] })).rejects.toMatchObject({
      code: 'BAD_BANDS',
    });
    await expect(engine.predict({ data: d(3 * 3 * 36), shape: [1, 3, 3, 6, 6] })).rejects.toMatchObject({
      code: 'BAD_REVISITS',
    });
    const nan = d(2 * 3 * 36);
    nan[7] = Number.POSITIVE_INFINITY;
    await expect(engine.predict({ data: nan, shape: [1, 2, 3, 6, 6] })).rejects.toMatchObject({
      code: 'NON_FINITE_INPUT',
    });
    engine.dispose();
  });
});
