// Hostile weights files: NaN / Inf values, a tensor relabelled to another dtype, a header length past the end,
// data offsets out of range or overlapping, shapes of another architecture. Each is a typed SrnetError naming the
// file (and the tensor), on every path that loads weights: plain state_dicts, checkpoints, models, ONNX export.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { io } from '@tensorflow/tfjs-core';
import { encodeSafetensors, readSafetensors, type SafetensorsTensor } from '@worldstrat/raster-io';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkStateDict,
  createModel,
  decodeCheckpoint,
  encodeCheckpoint,
  exportOnnx,
  initStateDict,
  loadModel,
  modelFromStateDict,
  readOnnxModelInfo,
  resolveModelConfig,
  type StateDict,
  saveModel,
  selectBackend,
  stateDictFromSafetensors,
  stateDictToSafetensors,
} from '../src/index.js';
import { fileModelHandler } from '../src/node.js';

const tmp = mkdtempSync(join(tmpdir(), 'srnet-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CONFIG = resolveModelConfig({ kind: 'srcnn', revisits: 2, inChannels: 3, hiddenChannels: 8 });
const TARGET = 'sr.upsample.4.bias';

/** A weights file on disk, valid unless `edit` changes its tensors (srnet's writer refuses bad ones); its path. */
function goodFile(name: string, edit?: (sd: StateDict) => void): string {
  let bytes = stateDictToSafetensors(initStateDict(CONFIG, { seed: 1 }), CONFIG);
  if (edit) {
    const { tensors, metadata } = readSafetensors(bytes);
    const sd = tensors as unknown as StateDict;
    edit(sd);
    bytes = encodeSafetensors(sd, metadata);
  }
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

/** Rewrite the JSON header of a safetensors file (data section unchanged). */
function rewriteHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  edit(header);
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  json = padded;
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

/** Load `bytes` as weights named `path` and return the thrown error. */
function loadError(
  bytes: Uint8Array,
  path: string,
): { code: string; message: string; details: Record<string, unknown> } {
  try {
    stateDictFromSafetensors(bytes, { name: path });
  } catch (e) {
    return e as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error(`${path} loaded without error`);
}

const read = (path: string) => new Uint8Array(readFileSync(path));

describe('hostile weights files', () => {
  it('a good file loads, and its values survive the round trip', () => {
    const path = goodFile('good.safetensors');
    const { stateDict, config } = stateDictFromSafetensors(read(path), { name: path });
    expect(config.hiddenChannels).toBe(8);
    expect(Array.from(stateDict[TARGET]?.data ?? [])).toEqual(
      Array.from(initStateDict(CONFIG, { seed: 1 })[TARGET]?.data ?? []),
    );
  });

  it('NaN and ±Inf weights → NON_FINITE_WEIGHTS naming the file, the tensor and the index', () => {
    for (const [label, value] of [
      ['nan', Number.NaN],
      ['inf', Number.POSITIVE_INFINITY],
      ['-inf', Number.NEGATIVE_INFINITY],
    ] as const) {
      const path = goodFile(`${label}.safetensors`, (sd) => {
        (sd[TARGET] as { data: Float32Array }).data[1] = value;
      });
      const e = loadError(read(path), path);
      expect(e.code).toBe('NON_FINITE_WEIGHTS');
      expect(e.message).toContain(path);
      expect(e.message).toContain(`"${TARGET}"`);
      expect(e.message).toContain('index 1');
      expect(e.details).toMatchObject({ file: path, tensor: TARGET, index: 1 });
    }
  });

  it('an F64 weight that overflows float32 is non-finite too', () => {
    const path = join(tmp, 'f64.safetensors');
    const bytes = read(goodFile('f64-src.safetensors'));
    const { tensors, metadata } = readSafetensors(bytes);
    const t = tensors[TARGET] as { shape: number[]; data: Float32Array };
    const wide = Float64Array.from(t.data);
    wide[0] = 1e300;
    writeFileSync(
      path,
      encodeSafetensors({ ...tensors, [TARGET]: { shape: t.shape, data: wide } }, metadata),
    );
    const e = loadError(read(path), path);
    expect(e.code).toBe('NON_FINITE_WEIGHTS');
    expect(e.message).toContain(path);
  });

  it('a tensor relabelled I32 in the header → WEIGHTS_DTYPE_MISMATCH naming file, tensor and both dtypes', () => {
    const path = join(tmp, 'i32.safetensors');
    const bytes = rewriteHeader(read(goodFile('i32-src.safetensors')), (h) => {
      (h[TARGET] as { dtype: string }).dtype = 'I32'; // same item size: the container stays valid
    });
    writeFileSync(path, bytes);
    const e = loadError(bytes, path);
    expect(e.code).toBe('WEIGHTS_DTYPE_MISMATCH');
    expect(e.message).toContain(path);
    expect(e.message).toContain(`"${TARGET}" is I32`);
    expect(e.message).toContain('expects F32');
    expect(e.details).toMatchObject({ file: path, tensor: TARGET, dtype: 'I32', expected: 'F32' });
  });

  it('header length past the end of the file → BAD_SAFETENSORS naming the file', () => {
    const path = join(tmp, 'header-past-end.safetensors');
    const bytes = read(goodFile('hdr-src.safetensors'));
    new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(0, BigInt(bytes.length + 100), true);
    writeFileSync(path, bytes);
    const e = loadError(bytes, path);
    expect(e.code).toBe('BAD_SAFETENSORS');
    expect(e.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: header length`));
    expect(e.details.file).toBe(path);
    // and a file cut in the middle of the data section
    const cut = read(goodFile('cut-src.safetensors')).subarray(0, 700);
    expect(loadError(cut, path)).toMatchObject({ code: 'BAD_SAFETENSORS', details: { file: path } });
  });

  it('data offsets out of range or overlapping → BAD_SAFETENSORS naming the file and the tensor', () => {
    const src = read(goodFile('offs-src.safetensors'));
    const path = join(tmp, 'offsets.safetensors');
    const beyond = rewriteHeader(src, (h) => {
      const t = h[TARGET] as { data_offsets: [number, number] };
      t.data_offsets = [t.data_offsets[0] + 1_000_000, t.data_offsets[1] + 1_000_000];
    });
    const e1 = loadError(beyond, path);
    expect(e1.code).toBe('BAD_SAFETENSORS');
    expect(e1.message).toContain(path);
    expect(e1.message).toContain(`"${TARGET}"`);
    const overlap = rewriteHeader(src, (h) => {
      const entries = Object.entries(h).filter(([k]) => k !== '__metadata__') as [
        string,
        { data_offsets: [number, number] },
      ][];
      const [a, b] = entries.sort((x, y) => x[1].data_offsets[0] - y[1].data_offsets[0]);
      const len = (b?.[1].data_offsets[1] ?? 0) - (b?.[1].data_offsets[0] ?? 0);
      if (a && b) b[1].data_offsets = [a[1].data_offsets[0], a[1].data_offsets[0] + len];
    });
    const e2 = loadError(overlap, path);
    expect(e2.code).toBe('BAD_SAFETENSORS');
    expect(e2.message).toContain(path);
    expect(e2.message).toMatch(/overlaps|gap|needs/);
  });

  it('shapes of another architecture → MISSHAPED_WEIGHTS naming the file', () => {
    // SR head of a 5-band model on an encoder of 3 bands: every key is there, one shape is foreign.
    const other = initStateDict({ ...CONFIG, outChannels: 5 }, { seed: 2 });
    const path = goodFile('foreign.safetensors', (sd) => {
      sd['sr.upsample.4.weight'] = other['sr.upsample.4.weight'] as StateDict[string];
    });
    const e = loadError(read(path), path);
    expect(e.code).toBe('MISSHAPED_WEIGHTS');
    expect(e.message).toContain(path);
    expect(e.message).toContain('sr.upsample.4.bias: got [3], expected [5]');
    // shapes that fit no valid configuration (fusion in-channels 12 = 1.5 × hidden 8): misshaped, not BAD_CONFIG
    const { tensors, metadata } = readSafetensors(read(goodFile('odd-src.safetensors')));
    const odd = encodeSafetensors(
      {
        ...tensors,
        'doubleconv2d.doubleconv2d.0.weight': { shape: [8, 12, 3, 3], data: new Float32Array(8 * 12 * 9) },
      },
      metadata,
    );
    const e2 = loadError(odd, path);
    expect(e2.code).toBe('MISSHAPED_WEIGHTS');
    expect(e2.message).toContain(path);
    expect(e2.details.file).toBe(path);
  });

  it('models, ONNX export and checkpoints refuse NaN weights as well', () => {
    const sd = initStateDict(CONFIG, { seed: 1 });
    (sd[TARGET] as { data: Float32Array }).data[0] = Number.NaN;
    expect(() => modelFromStateDict(CONFIG, sd)).toThrow(
      expect.objectContaining({ code: 'NON_FINITE_WEIGHTS', message: expect.stringContaining(TARGET) }),
    );
    expect(() => exportOnnx(CONFIG, sd)).toThrow(
      expect.objectContaining({ code: 'NON_FINITE_WEIGHTS', message: expect.stringContaining(TARGET) }),
    );
    const clean = initStateDict(CONFIG, { seed: 1 });
    const checkpointWith = (moment: Float32Array) => ({
      config: CONFIG,
      weights: clean,
      optimizer: {
        config: { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
        step: 3,
        m: { [TARGET]: { shape: [3], data: moment } },
        v: {},
      },
      step: 3,
      epoch: 0,
      batchInEpoch: 3,
      rngState: [1, 2, 3, 4] as [number, number, number, number],
      bestValidationLoss: Number.POSITIVE_INFINITY,
    });
    // nothing writes such a checkpoint...
    expect(() =>
      encodeCheckpoint(checkpointWith(new Float32Array([0, Number.POSITIVE_INFINITY, 0]))),
    ).toThrow(
      expect.objectContaining({ code: 'NON_FINITE_WEIGHTS', message: expect.stringContaining(TARGET) }),
    );
    // ...and one patched to hold it is refused when read
    const marker = new Float32Array([0.25, 123.5, 0.75]);
    const ck = encodeCheckpoint(checkpointWith(marker));
    const at = Buffer.from(ck).indexOf(Buffer.from(marker.buffer));
    expect(at).toBeGreaterThan(0);
    new DataView(ck.buffer, ck.byteOffset).setFloat32(at + 4, Number.POSITIVE_INFINITY, true);
    const path = join(tmp, 'last.safetensors');
    expect(() => decodeCheckpoint(ck, { name: path })).toThrow(
      expect.objectContaining({
        code: 'NON_FINITE_WEIGHTS',
        message: expect.stringContaining(`${path}: checkpoint tensor "optim.m.${TARGET}"`),
      }),
    );
    const relabelled = rewriteHeader(ck, (h) => {
      (h[`model.${TARGET}`] as { dtype: string }).dtype = 'I32';
    });
    expect(() => decodeCheckpoint(relabelled, { name: path })).toThrow(
      expect.objectContaining({ code: 'WEIGHTS_DTYPE_MISMATCH', message: expect.stringContaining(path) }),
    );
    expect(() => decodeCheckpoint(relabelled.subarray(0, 100), { name: path })).toThrow(
      expect.objectContaining({ code: 'BAD_SAFETENSORS', message: expect.stringContaining(path) }),
    );
  });

  it('TF.js artifacts (loadModel) with a NaN weight or a non-float32 spec are refused', async () => {
    await selectBackend('wasm');
    const model = createModel(CONFIG, { seed: 3 });
    const dir = join(tmp, 'tfjs');
    await saveModel(model, fileModelHandler(dir));
    model.dispose();
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const weightsFile = join(dir, json.weightsManifest[0].paths[0]);
    const bin = readFileSync(weightsFile);
    const spoiled = new Uint8Array(bin);
    new DataView(spoiled.buffer).setFloat32(8, Number.NaN, true);
    writeFileSync(weightsFile, spoiled);
    await expect(loadModel(fileModelHandler(dir))).rejects.toMatchObject({ code: 'NON_FINITE_WEIGHTS' });
    writeFileSync(weightsFile, bin);
    json.weightsManifest[0].weights[0].dtype = 'int32';
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    await expect(loadModel(fileModelHandler(dir))).rejects.toMatchObject({
      code: 'WEIGHTS_DTYPE_MISMATCH',
      message: expect.stringContaining('is int32'),
    });
  });

  it('an ONNX file whose initializer holds NaN → NON_FINITE_WEIGHTS naming the file and initializer', () => {
    const sd = initStateDict(CONFIG, { seed: 1 });
    (sd[TARGET] as { data: Float32Array }).data[2] = 1234.5678; // a marker to find in the file
    const bytes = exportOnnx(CONFIG, sd);
    const path = join(tmp, 'nan.onnx');
    expect(readOnnxModelInfo(bytes, { name: path }).config?.kind).toBe('srcnn');
    const marker = new Uint8Array(new Float32Array([1234.5678]).buffer);
    const at = Buffer.from(bytes).indexOf(Buffer.from(marker));
    expect(at).toBeGreaterThan(0);
    const spoiled = bytes.slice();
    spoiled.set(new Uint8Array(new Float32Array([Number.NaN]).buffer), at);
    expect(() => readOnnxModelInfo(spoiled, { name: path })).toThrow(
      expect.objectContaining({
        code: 'NON_FINITE_WEIGHTS',
        message: expect.stringContaining(`${path}: ONNX initializer "${TARGET}" holds NaN at flat index 2`),
      }),
    );
    expect(() => readOnnxModelInfo(spoiled.subarray(0, 50), { name: path })).toThrow(
      expect.objectContaining({ code: 'BAD_ONNX', message: expect.stringContaining(path) }),
    );
  });
});

describe('partial, conflicting and non-float32 weights', () => {
  const R2 = resolveModelConfig({ ...CONFIG, residualLayers: 2 });
  const BLOCK1 = 'residualblocks.1.residualblock.doubleconv2d';
  const ALIAS1 = 'fusion.1.1.residualblock.doubleconv2d';

  /** A residualLayers-2 weights file (full form, model_config in the metadata) with `edit` applied; its bytes. */
  function r2File(
    edit: (t: Record<string, SafetensorsTensor>, m: Record<string, string>) => void,
  ): Uint8Array {
    const { tensors, metadata } = readSafetensors(stateDictToSafetensors(initStateDict(R2, { seed: 1 }), R2));
    const t = { ...tensors };
    const m = { ...metadata };
    edit(t, m);
    return encodeSafetensors(t, m);
  }

  it('a file missing one residual-block tensor → MISSING_WEIGHTS naming the file and the tensor (was: a smaller model)', () => {
    const path = join(tmp, 'r2-missing-conv.safetensors');
    for (const block of [1, 0]) {
      const bytes = r2File((t) => {
        delete t[`residualblocks.${block}.residualblock.doubleconv2d.0.weight`];
        delete t[`fusion.1.${block}.residualblock.doubleconv2d.0.weight`];
      });
      const e = loadError(bytes, path);
      expect(e.code, `block ${block}`).toBe('MISSING_WEIGHTS');
      expect(e.message).toContain(`${path}: `);
      expect(e.message).toContain(`residualblocks.${block}.residualblock.doubleconv2d.0.weight`);
      expect(e.details.missing).toEqual([
        `residualblocks.${block}.residualblock.doubleconv2d.0.weight`,
        `fusion.1.${block}.residualblock.doubleconv2d.0.weight`,
      ]);
    }
    // the SRCNN alias counts too: fusion.1.1.* without residualblocks.1.* lacks the block, not ignores it
    const viaAlias = r2File((t, m) => {
      for (const k of Object.keys(t)) if (k.startsWith(BLOCK1)) delete t[k];
      delete m.model_config;
    });
    const e = loadError(viaAlias, path);
    expect(e.code).toBe('MISSING_WEIGHTS');
    expect(e.message).toContain(`${path}: state_dict lacks 6 tensor(s) of srcnn R=2: ${BLOCK1}.0.weight`);
  });

  it("tensors under the model's modules that it has no place for → UNKNOWN_WEIGHTS naming them (were dropped into extras)", () => {
    const path = join(tmp, 'r2-stray.safetensors');
    const bytes = r2File((t) => {
      // a layer the encoder does not have (a third residual block is read as a deeper model, MISSING_WEIGHTS)
      t['encoder.doubleconv2d.8.weight'] = t['encoder.doubleconv2d.4.weight'] as SafetensorsTensor;
    });
    const e = loadError(bytes, path);
    expect(e.code).toBe('UNKNOWN_WEIGHTS');
    expect(e.message).toBe(
      `${path}: weights encoder.doubleconv2d.8.weight have no place in the srcnn model the file describes; a model built without them would not be the file's`,
    );
    // tensors of other modules (Lightning's shifter, a run's own) are still returned as extras
    const other = r2File((t) => {
      t['shifter.conv.weight'] = t[`${BLOCK1}.0.weight`] as SafetensorsTensor;
    });
    expect(Object.keys(stateDictFromSafetensors(other, { name: path }).extras)).toEqual([
      'shifter.conv.weight',
    ]);
  });

  it('a whole last block gone disagrees with __metadata__.model_config → MISSING_WEIGHTS listing it', () => {
    const path = join(tmp, 'r2-no-block.safetensors');
    const bytes = r2File((t) => {
      for (const k of Object.keys(t)) if (k.startsWith(BLOCK1) || k.startsWith(ALIAS1)) delete t[k];
    });
    const e = loadError(bytes, path);
    expect(e.code).toBe('MISSING_WEIGHTS');
    expect(e.message).toContain(`${path}: __metadata__.model_config states residualLayers 2`);
    expect(e.details.missing).toContain(`${BLOCK1}.0.weight`);
    expect(e.details.missing).toHaveLength(12); // 6 tensors under each of the block's two names
    // any other disagreement with the stated config is ARCHITECTURE_MISMATCH naming the field
    const wrong = r2File((_, m) => {
      m.model_config = JSON.stringify({ ...R2, hiddenChannels: 16 });
    });
    const e2 = loadError(wrong, path);
    expect(e2.code).toBe('ARCHITECTURE_MISMATCH');
    expect(e2.message).toContain(path);
    expect(e2.message).toContain('hiddenChannels: tensors 8 vs __metadata__.model_config 16');
    // metadata that is not an srnet config stays informative
    const foreign = r2File((_, m) => {
      m.model_config = JSON.stringify({ hidden: 99 });
    });
    expect(stateDictFromSafetensors(foreign, { name: path }).config.residualLayers).toBe(2);
  });

  it('X and backbone.X with different values → BAD_SAFETENSORS naming both keys; identical copies load', () => {
    const path = join(tmp, 'dup.safetensors');
    const key = 'encoder.doubleconv2d.0.weight';
    const bytes = r2File((t) => {
      const x = t[key] as SafetensorsTensor;
      t[`backbone.${key}`] = { ...x, data: new Float32Array(x.data.length).fill(7) };
    });
    const e = loadError(bytes, path);
    expect(e.code).toBe('BAD_SAFETENSORS');
    expect(e.message).toContain(`${path}: "backbone.${key}" and "${key}" both hold weight "${key}"`);
    const same = r2File((t) => {
      t[`backbone.${key}`] = t[key] as SafetensorsTensor;
    });
    const loaded = stateDictFromSafetensors(same, { name: path });
    expect(Object.keys(loaded.extras)).toEqual([]);
  });

  it('differing copies of a shared module → MISSHAPED_WEIGHTS naming both keys (file, state_dict, ONNX export)', () => {
    const path = join(tmp, 'shared.safetensors');
    const copy = 'fusion.0.doubleconv2d.0.weight';
    const canon = 'doubleconv2d.doubleconv2d.0.weight';
    const bytes = r2File((t) => {
      const x = t[copy] as SafetensorsTensor;
      t[copy] = { ...x, data: new Float32Array(x.data.length).fill(5) };
    });
    const e = loadError(bytes, path);
    expect(e.code).toBe('MISSHAPED_WEIGHTS');
    expect(e.message).toContain(
      `${path}: "${copy}" and "${canon}" are one shared tensor upstream but differ`,
    );
    expect(e.details.conflicting).toEqual([copy, canon]);
    // the in-memory form: every consumer refuses it (exportOnnx used to take the fusion.0 copy, TF.js the other)
    const sd: StateDict = { ...initStateDict(R2, { seed: 1 }) };
    const t = sd[canon] as StateDict[string];
    sd[copy] = { shape: [...t.shape], data: t.data.map((v, i) => (i === 3 ? v + 1 : v)) };
    for (const run of [() => modelFromStateDict(R2, sd), () => exportOnnx(R2, sd)])
      expect(run).toThrow(
        expect.objectContaining({
          code: 'MISSHAPED_WEIGHTS',
          message: expect.stringMatching(
            /"fusion\.0\.doubleconv2d\.0\.weight".*"doubleconv2d\.doubleconv2d\.0\.weight".*index 3/,
          ),
        }),
      );
    // equal copies under both names (torch's full state_dict) stay accepted
    sd[copy] = { shape: [...t.shape], data: Float32Array.from(t.data) };
    expect(() => exportOnnx(R2, sd)).not.toThrow();
    modelFromStateDict(R2, sd).dispose();
  });

  it('a weight name repeated in TF.js weightSpecs with other values → BAD_CHECKPOINT naming both entries', async () => {
    await selectBackend('cpu');
    const model = createModel(CONFIG, { seed: 3 });
    let art: io.ModelArtifacts | undefined;
    await saveModel(model, {
      async save(a) {
        art = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      },
    });
    model.dispose();
    const specs = art?.weightSpecs ?? [];
    const data = new Uint8Array(art?.weightData as ArrayBuffer);
    const first = specs[0] as (typeof specs)[number];
    const n = first.shape.reduce((a, b) => a * b, 1);
    const withCopy = (values: Float32Array) => {
      const all = new Uint8Array(data.length + 4 * n);
      all.set(data);
      all.set(new Uint8Array(values.buffer), data.length);
      return { ...art, weightSpecs: [...specs, { ...first }], weightData: all.buffer };
    };
    const differing = withCopy(new Float32Array(n).fill(9));
    const err = await loadModel({ load: async () => differing }).catch((e) => e);
    expect(err.code).toBe('BAD_CHECKPOINT');
    expect(err.message).toContain(
      `weightSpecs[${specs.length}] repeats the weight name "${first.name}" of weightSpecs[0] with other values`,
    );
    const identical = withCopy(new Float32Array(data.buffer.slice(0, 4 * n)));
    (await loadModel({ load: async () => identical })).dispose();
  });

  it('weight data that is not a Float32Array → WEIGHTS_DTYPE_MISMATCH naming the tensor (was: accepted)', () => {
    const cases: [string, unknown][] = [
      ['Float64Array', new Float64Array([1e300, 0, 0])], // became Infinity in float32
      ['Array', ['0.5', '0', '0']], // became NaN
    ];
    for (const [type, data] of cases) {
      const sd: StateDict = {
        ...initStateDict(CONFIG, { seed: 1 }),
        [TARGET]: { shape: [3], data } as never,
      };
      for (const run of [
        () => checkStateDict(sd, CONFIG, 'mem.safetensors'),
        () => modelFromStateDict(CONFIG, sd),
        () => exportOnnx(CONFIG, sd),
      ])
        expect(run, type).toThrow(
          expect.objectContaining({
            code: 'WEIGHTS_DTYPE_MISMATCH',
            message: expect.stringContaining(`${TARGET}`),
          }),
        );
      expect(() => checkStateDict(sd, CONFIG, 'mem.safetensors')).toThrow(
        `mem.safetensors: weight tensor "${TARGET}" has ${type} data; weights must be a Float32Array`,
      );
    }
  });
});
