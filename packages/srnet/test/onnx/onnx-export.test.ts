import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SrnetError } from '../../src/errors.js';
import { type ModelConfig, resolveModelConfig } from '../../src/models/config.js';
import { initStateDict } from '../../src/models/create-model.js';
import { exportOnnx, ONNX_OPSET } from '../../src/onnx/export-onnx.js';
import { createOnnxEngine } from '../../src/onnx/onnx-engine.node.js';
import { readOnnxModelInfo } from '../../src/onnx/onnx-model-info.js';
import { decodeOnnxModel, encodeOnnxModel } from '../../src/onnx/onnx-proto.js';
import { createTfjsEngine } from '../../src/tfjs-engine.js';
import { requireTool } from '../support/require-tool.js';
import { loadParityFixture, toleranceExcess } from './fixture-state-dict.js';
import { mulberry32, randomStateDict, referenceForward } from './reference-forward.js';

const FIXTURES = ['srcnn-r1', 'srcnn-r8', 'highresnet-r8'] as const;
const ALLOWED_OPS = new Set([
  'Pad',
  'Conv',
  'LeakyRelu',
  'Add',
  'Concat',
  'Reshape',
  'Transpose',
  'DepthToSpace',
  'Resize',
  'Shape',
  'Unsqueeze',
  'ConstantOfShape',
]);

function hasPythonOnnx(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('exportOnnx + ONNX Runtime: parity with the upstream PyTorch fixtures', () => {
  for (const name of FIXTURES) {
    it(`${name}: ORT output matches the fixture within abs 1e-4 + 1e-5·|x|`, async () => {
      const f = loadParityFixture(name);
      const bytes = exportOnnx(f.config, f.stateDict);
      const engine = await createOnnxEngine(bytes, { intraOpNumThreads: 1, expect: { kind: f.config.kind } });
      try {
        const out = await engine.predict(f.input);
        expect(out.shape).toEqual(f.output.shape);
        const { excess, maxAbs } = toleranceExcess(out.data, f.output.data);
        expect(maxAbs).toBeLessThan(2e-4);
        expect(excess).toBeLessThanOrEqual(0);
      } finally {
        engine.dispose();
      }
    });
  }

  it('HighResNet stores the shared FusionBlock once and leaves out the dead SRCNN fusion weights', () => {
    const f = loadParityFixture('highresnet-r8');
    const bytes = exportOnnx(f.config, f.stateDict);
    const info = readOnnxModelInfo(bytes);
    // 3 fusion levels → 3 Transposes (r ↔ r + R/2 pairing), one DepthToSpace, one Resize.
    expect(info.opCounts.Transpose).toBe(3);
    expect(info.opCounts.DepthToSpace).toBe(1);
    expect(info.opCounts.Resize).toBe(1);
    for (const op of Object.keys(info.opCounts)) expect(ALLOWED_OPS.has(op), op).toBe(true);
    // the default HighRes-net's 1,637,898 used-in-forward parameters: 1,637,891 float32 initializers, the 7
    // PReLU slopes as LeakyRelu alphas (13 nodes: the fusion block's 3 run at 3 levels) + a few int64 constants
    expect(info.opCounts.LeakyRelu).toBe(13);
    expect(info.opCounts.PRelu).toBeUndefined();
    expect(bytes.byteLength).toBeGreaterThan(1_637_891 * 4);
    expect(bytes.byteLength).toBeLessThan(1_637_898 * 4 + 64_000);
  });

  it("prelu: 'PRelu' exports the slopes as PRelu initializers; both forms give the same output", async () => {
    const f = loadParityFixture('srcnn-r8');
    const leaky = exportOnnx(f.config, f.stateDict);
    const prelu = exportOnnx(f.config, f.stateDict, { prelu: 'PRelu' });
    const model = decodeOnnxModel(leaky);
    const alphas = (model.graph.node ?? [])
      .filter((n) => n.opType === 'LeakyRelu')
      .map((n) => n.attribute?.find((a) => a.name === 'alpha')?.f);
    const slope = f.stateDict['encoder.doubleconv2d.2.weight']?.data[0] as number;
    expect(alphas[0]).toBe(slope); // float32 attribute: the exact slope
    expect(new Set(alphas).size).toBeGreaterThan(2); // trained slopes differ per layer
    expect(readOnnxModelInfo(prelu).opCounts.PRelu).toBe(alphas.length);
    expect(readOnnxModelInfo(prelu).opCounts.LeakyRelu).toBeUndefined();
    const engines = [
      await createOnnxEngine(leaky, { intraOpNumThreads: 1 }),
      await createOnnxEngine(prelu, { intraOpNumThreads: 1 }),
    ];
    try {
      const [a, b] = await Promise.all(engines.map((e) => e.predict(f.input)));
      expect(toleranceExcess((a as { data: Float32Array }).data, f.output.data).excess).toBeLessThanOrEqual(
        0,
      );
      expect(toleranceExcess((b as { data: Float32Array }).data, f.output.data).excess).toBeLessThanOrEqual(
        0,
      );
      expect(
        toleranceExcess((a as { data: Float32Array }).data, (b as { data: Float32Array }).data, 1e-5, 0)
          .excess,
      ).toBeLessThanOrEqual(0);
    } finally {
      for (const e of engines) e.dispose();
    }
    expect(() => exportOnnx(f.config, f.stateDict, { prelu: 'Relu' as 'PRelu' })).toThrow(
      expect.objectContaining({ code: 'BAD_CONFIG', message: expect.stringContaining("prelu 'Relu'") }),
    );
  });

  it('a LeakyRelu alpha that is NaN → NON_FINITE_WEIGHTS naming the file and node', () => {
    const f = loadParityFixture('srcnn-r1');
    const model = decodeOnnxModel(exportOnnx(f.config, f.stateDict));
    const node = (model.graph.node ?? []).find((n) => n.opType === 'LeakyRelu');
    const alpha = node?.attribute?.find((a) => a.name === 'alpha');
    if (!node || !alpha) throw new Error('no LeakyRelu alpha in the export');
    alpha.f = Number.NaN;
    expect(() => readOnnxModelInfo(encodeOnnxModel(model), { name: 'spoiled.onnx' })).toThrow(
      expect.objectContaining({
        code: 'NON_FINITE_WEIGHTS',
        message: expect.stringContaining(
          `spoiled.onnx: ONNX node "${node.name}" (LeakyRelu) attribute "alpha" holds NaN`,
        ),
      }),
    );
  });

  it('readOnnxModelInfo returns opset, IO signature and the stored config', () => {
    const f = loadParityFixture('srcnn-r1');
    const info = readOnnxModelInfo(exportOnnx(f.config, f.stateDict, { metadata: { source: 'fixture' } }));
    expect(info.opset).toBe(ONNX_OPSET);
    expect(info.irVersion).toBe(8);
    expect(info.inputs).toEqual([{ name: 'lr', dims: ['batch', 1, 12, 'height', 'width'] }]);
    expect(info.outputs).toEqual([{ name: 'sr', dims: ['batch', 1, 3, 156, 156] }]);
    expect(info.config).toEqual(f.config);
    expect(info.metadata.source).toBe('fixture');
  });

  // CI installs python3-onnx (.ci/run); there a missing checker fails the test instead of skipping it
  it.runIf(requireTool('python3 with onnx (python3-onnx)', hasPythonOnnx()))(
    'python onnx.checker (full_check, with shape inference) accepts the exported files',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'srnet-onnx-'));
      try {
        const paths: string[] = [];
        for (const name of FIXTURES) {
          const f = loadParityFixture(name);
          const p = join(dir, `${name}.onnx`);
          writeFileSync(p, exportOnnx(f.config, f.stateDict));
          paths.push(p);
        }
        const script = [
          'import sys, onnx',
          'for p in sys.argv[1:]:',
          '    m = onnx.load(p); onnx.checker.check_model(m, full_check=True)',
          '    i = onnx.shape_inference.infer_shapes(m)',
          '    print(p.split("/")[-1], [d.dim_value or d.dim_param for d in i.graph.output[0].type.tensor_type.shape.dim])',
        ].join('\n');
        const out = execFileSync('/usr/bin/python3', ['-c', script, ...paths], { encoding: 'utf8' });
        expect(out).toContain("highresnet-r8.onnx ['batch', 1, 3, 156, 156]");
        expect(out.trim().split('\n')).toHaveLength(3);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('exportOnnx on configs the fixtures do not cover (vs a naive float64 reference forward)', () => {
  const cases: [string, Partial<ModelConfig>][] = [
    ['HighResNet R=3 (zero-revisit padding to 4)', { kind: 'highresnet', revisits: 3 }],
    ['HighResNet R=1 (no fusion level)', { kind: 'highresnet', revisits: 1 }],
    [
      'SRCNN R=2, 2 residual layers, zoom 3, 3×3 SR kernels',
      { kind: 'srcnn', revisits: 2, residualLayers: 2, zoomFactor: 3, srKernelSize: 3, hiddenChannels: 18 },
    ],
  ];
  for (const [label, partial] of cases) {
    it(label, async () => {
      const cfg = resolveModelConfig({
        inChannels: 3,
        outChannels: 2,
        hiddenChannels: 8,
        outputSize: [31, 35],
        ...partial,
      });
      const sd = randomStateDict(cfg, 7);
      const h = 9;
      const w = 11;
      const rand = mulberry32(3);
      const B = 2;
      const input = Float32Array.from(
        { length: B * cfg.revisits * cfg.inChannels * h * w },
        () => rand() * 2 - 1,
      );
      const engine = await createOnnxEngine({ config: cfg, stateDict: sd }, { intraOpNumThreads: 1 });
      try {
        const out = await engine.predict({ data: input, shape: [B, cfg.revisits, cfg.inChannels, h, w] });
        expect(out.shape).toEqual([B, 1, cfg.outChannels, 31, 35]);
        const per = cfg.revisits * cfg.inChannels * h * w;
        const outPer = cfg.outChannels * 31 * 35;
        for (let b = 0; b < B; b++) {
          const ref = referenceForward(cfg, sd, input.subarray(b * per, (b + 1) * per), h, w);
          const got = out.data.subarray(b * outPer, (b + 1) * outPer);
          const { excess } = toleranceExcess(got, Float32Array.from(ref), 1e-5, 1e-5);
          expect(excess).toBeLessThanOrEqual(0);
        }
      } finally {
        engine.dispose();
      }
    });
  }
});

describe('ONNX engine: dynamic batch and bad input', () => {
  it('batch 1 and batch 3 give the same per-sample outputs', async () => {
    const cfg = resolveModelConfig({
      kind: 'highresnet',
      revisits: 2,
      inChannels: 4,
      hiddenChannels: 8,
      outputSize: [24, 24],
    });
    const engine = await createOnnxEngine(
      { config: cfg, stateDict: randomStateDict(cfg, 1) },
      { intraOpNumThreads: 1 },
    );
    const rand = mulberry32(9);
    const per = 2 * 4 * 10 * 10;
    const input = Float32Array.from({ length: 3 * per }, () => rand());
    const all = await engine.predict({ data: input, shape: [3, 2, 4, 10, 10] });
    const one = await engine.predict({ data: input.slice(per, 2 * per), shape: [1, 2, 4, 10, 10] });
    const outPer = 3 * 24 * 24;
    expect(Array.from(one.data)).toEqual(Array.from(all.data.subarray(outPer, 2 * outPer)));
    // a view into a larger buffer (non-zero byteOffset) reads the right elements
    const view = await engine.predict({ data: input.subarray(per, 2 * per), shape: [1, 2, 4, 10, 10] });
    expect(Array.from(view.data)).toEqual(Array.from(one.data));
    const calm = await createOnnxEngine(
      { config: cfg, stateDict: randomStateDict(cfg, 1) },
      { intraOpNumThreads: 2, allowSpinning: false },
    );
    const calmOut = await calm.predict({ data: input, shape: [3, 2, 4, 10, 10] });
    calm.dispose();
    expect(toleranceExcess(calmOut.data, all.data, 1e-6, 1e-6).excess).toBeLessThanOrEqual(0);
    await expect(engine.predict({ data: input, shape: [3, 3, 4, 10, 10] })).rejects.toMatchObject({
      code: 'BAD_INPUT_SHAPE',
    });
    engine.dispose();
    await expect(engine.predict({ data: input, shape: [3, 2, 4, 10, 10] })).rejects.toMatchObject({
      code: 'DISPOSED',
    });
  });

  it('an ONNX file of another architecture is refused with ARCHITECTURE_MISMATCH', async () => {
    const f = loadParityFixture('srcnn-r8');
    const bytes = exportOnnx(f.config, f.stateDict);
    const err = await createOnnxEngine(bytes, { expect: { kind: 'highresnet', revisits: 8 } }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(SrnetError);
    expect(err.code).toBe('ARCHITECTURE_MISMATCH');
    expect(err.message).toMatch(/kind: file has "srcnn", expected "highresnet"/);
  });

  it('a file from another tool (no srnet metadata) needs options.config; decode → encode round trip runs', async () => {
    const cfg = resolveModelConfig({
      kind: 'srcnn',
      revisits: 1,
      inChannels: 2,
      hiddenChannels: 4,
      outputSize: [12, 12],
    });
    const model = decodeOnnxModel(exportOnnx(cfg, randomStateDict(cfg, 2)));
    expect(model.graph.initializer?.length).toBeGreaterThan(10);
    const foreign = encodeOnnxModel({ ...model, metadataProps: [] });
    await expect(createOnnxEngine(foreign)).rejects.toMatchObject({ code: 'BAD_ONNX' });
    const engine = await createOnnxEngine(foreign, { config: cfg, intraOpNumThreads: 1 });
    const out = await engine.predict({ data: new Float32Array(2 * 6 * 6).fill(0.5), shape: [1, 1, 2, 6, 6] });
    expect(out.shape).toEqual([1, 1, 3, 12, 12]);
    engine.dispose();
    // a config that contradicts the graph's signature is refused
    await expect(createOnnxEngine(foreign, { config: { ...cfg, revisits: 8 } })).rejects.toMatchObject({
      code: 'ARCHITECTURE_MISMATCH',
    });
  });

  it('bytes that are not ONNX give BAD_ONNX', async () => {
    await expect(createOnnxEngine(new Uint8Array([1, 2, 3, 4, 5, 0xff]))).rejects.toMatchObject({
      code: 'BAD_ONNX',
    });
  });

  it('missing and mis-shaped weights are all listed', () => {
    const f = loadParityFixture('srcnn-r1');
    const sd = { ...f.stateDict };
    delete sd['sr.upsample.4.bias'];
    delete sd['encoder.doubleconv2d.2.weight'];
    const err = (() => {
      try {
        exportOnnx({ ...f.config, hiddenChannels: 64 }, sd);
      } catch (e) {
        return e as SrnetError;
      }
      return null;
    })();
    expect(err?.code).toBe('MISSING_WEIGHTS');
    expect(err?.message).toContain('sr.upsample.4.bias');
    expect(err?.message).toContain('encoder.doubleconv2d.2.weight');
    expect(err?.message).toContain(
      'encoder.doubleconv2d.0.weight: got [128, 12, 3, 3], expected [64, 12, 3, 3]',
    );
  });

  it("a corrupt srnet ONNX file → BAD_ONNX naming options.name, ORT's error as cause (was: ORT's plain Error)", async () => {
    const cfg = resolveModelConfig({
      kind: 'srcnn',
      revisits: 1,
      inChannels: 2,
      hiddenChannels: 4,
      outputSize: [12, 12],
    });
    const good = exportOnnx(cfg, randomStateDict(cfg, 3));
    const spoil = (edit: (m: ReturnType<typeof decodeOnnxModel>) => void) => {
      const m = decodeOnnxModel(good);
      edit(m);
      return encodeOnnxModel(m);
    };
    const name = 'models/srcnn.onnx';
    const atLoad = [
      spoil((m) => {
        const t = m.graph.initializer?.find((i) => i.dims?.length === 4);
        if (t?.rawData) t.rawData = t.rawData.subarray(0, t.rawData.length - 4); // truncated initializer
      }),
      spoil((m) => m.graph.node?.splice(3, 1)), // a node removed
    ];
    for (const bytes of atLoad) {
      expect(readOnnxModelInfo(bytes, { name }).config?.kind).toBe('srcnn'); // the header is fine
      const err = await createOnnxEngine(bytes, { name, intraOpNumThreads: 1 }).catch((e) => e);
      expect(err).toBeInstanceOf(SrnetError);
      expect(err.code).toBe('BAD_ONNX');
      expect(err.message).toMatch(/^models\/srcnn\.onnx: ONNX Runtime cannot load the model \(.+\)/);
      expect(err.details).toMatchObject({ file: name });
      expect(err.cause).toBeInstanceOf(Error);
      expect(err.cause).not.toBeInstanceOf(SrnetError);
    }
    // an initializer of the wrong shape loads, and fails when run
    const transposed = spoil((m) => {
      const t = m.graph.initializer?.find((i) => i.dims?.length === 4);
      if (t?.dims) t.dims = [t.dims[1], t.dims[0], t.dims[2], t.dims[3]] as typeof t.dims;
    });
    const engine = await createOnnxEngine(transposed, { name, intraOpNumThreads: 1 });
    const input = { data: new Float32Array(2 * 6 * 6).fill(0.5), shape: [1, 1, 2, 6, 6] as const };
    const err = await engine.predict({ ...input, shape: [...input.shape] }).catch((e) => e);
    engine.dispose();
    expect(err.code).toBe('BAD_ONNX');
    expect(err.message).toMatch(/^models\/srcnn\.onnx: ONNX Runtime failed running the model/);
    expect(err.cause).toBeInstanceOf(Error);
    // without a name the bytes are '<bytes>'
    await expect(createOnnxEngine(atLoad[0] as Uint8Array)).rejects.toMatchObject({
      code: 'BAD_ONNX',
      message: expect.stringMatching(/^<bytes>: ONNX Runtime cannot load/),
    });
  });

  it('predict() checks its input like the TF.js engine: same codes for NaN, bad shapes and array types', async () => {
    const cfg = resolveModelConfig({
      kind: 'srcnn',
      revisits: 1,
      inChannels: 2,
      hiddenChannels: 4,
      outputSize: [24, 24],
    });
    const sd = initStateDict(cfg, { seed: 4 });
    const onnx = await createOnnxEngine({ config: cfg, stateDict: sd }, { intraOpNumThreads: 1 });
    const tfjs = await createTfjsEngine(cfg, sd, { backend: 'cpu' });
    const good = new Float32Array(2 * 12 * 12).fill(0.5);
    const nan = good.slice();
    nan[3] = Number.NaN;
    const cases: [string, unknown, string][] = [
      ['NaN value', { data: nan, shape: [1, 1, 2, 12, 12] }, 'NON_FINITE_INPUT'], // was: NaN output pixels
      ['Float64Array', { data: new Float64Array(288), shape: [1, 1, 2, 12, 12] }, 'BAD_INPUT_SHAPE'],
      ['0×0 chips', { data: new Float32Array(0), shape: [1, 1, 2, 0, 0] }, 'BAD_INPUT_SHAPE'],
      ['batch 0', { data: new Float32Array(0), shape: [0, 1, 2, 12, 12] }, 'BAD_INPUT_SHAPE'],
      [
        '1×1 chips (3×3 convs pad 1 px)',
        { data: new Float32Array(2), shape: [1, 1, 2, 1, 1] },
        'BAD_INPUT_SHAPE',
      ],
      ['fractional dim', { data: good, shape: [1, 1, 2, 12, 12.5] }, 'BAD_INPUT_SHAPE'],
      ['3 bands', { data: new Float32Array(432), shape: [1, 1, 3, 12, 12] }, 'BAD_BANDS'],
      ['no input', undefined, 'BAD_INPUT_SHAPE'],
    ];
    for (const [what, input, code] of cases) {
      for (const engine of [onnx, tfjs]) {
        const err = await engine.predict(input as never).catch((e) => e);
        expect(err, `${engine.name} ${what}`).toBeInstanceOf(SrnetError);
        expect(err.code, `${engine.name} ${what}`).toBe(code);
      }
    }
    const unresized = await onnx.predictUnresized?.({ data: nan, shape: [1, 1, 2, 12, 12] }).catch((e) => e);
    expect(unresized.code).toBe('NON_FINITE_INPUT');
    expect(unresized.message).toContain('flat index 3');
    expect((await onnx.predict({ data: good, shape: [1, 1, 2, 12, 12] })).shape).toEqual([1, 1, 3, 24, 24]);
    onnx.dispose();
    tfjs.dispose();
  });

  it('bad configs are refused before building', () => {
    const sd = {};
    expect(() => exportOnnx({ kind: 'srcnn', zoomFactor: 3 }, sd)).toThrow(
      /not divisible by zoomFactor² = 9/,
    );
    expect(() => exportOnnx({ kind: 'srcnn', kernelSize: 4 }, sd)).toThrow(/kernelSize = 4 must be an odd/);
  });
});
