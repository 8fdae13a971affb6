// Hostile weights files: NaN / Inf values, a tensor relabelled to another dtype, a header length past the end,
// data offsets out of range or overlapping, shapes of another architecture. Each is a typed SrnetError naming the
// file (and the tensor), on every path that loads weights: plain state_dicts, checkpoints, models, ONNX export.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, readSafetensors } from '@worldstrat/raster-io';
import { afterAll, describe, expect, it } from 'vitest';
import {
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
    const ck = encodeCheckpoint({
      config: CONFIG,
      weights: clean,
      optimizer: {
        config: { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
        step: 3,
        m: { [TARGET]: { shape: [3], data: new Float32Array([0, Number.POSITIVE_INFINITY, 0]) } },
        v: {},
      },
      step: 3,
      epoch: 0,
      batchInEpoch: 3,
      rngState: [1, 2, 3, 4],
      bestValidationLoss: Number.POSITIVE_INFINITY,
    });
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
    const bin = readFileSync(join(dir, 'weights.bin'));
    const spoiled = new Uint8Array(bin);
    new DataView(spoiled.buffer).setFloat32(8, Number.NaN, true);
    writeFileSync(join(dir, 'weights.bin'), spoiled);
    await expect(loadModel(fileModelHandler(dir))).rejects.toMatchObject({ code: 'NON_FINITE_WEIGHTS' });
    writeFileSync(join(dir, 'weights.bin'), bin);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
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
