// Benchmark (run with `pnpm bench` in packages/srnet): can Winograd convolution, built from ONNX Runtime's own
// operators, beat its direct NCHWc convolution on HighRes-net's dominant layer? One 3×3 conv of 256 → 256 channels
// (the fusion block's convs at hidden 128) on a BENCH_TILE² tile, 2 intra-op threads, the engine's session options:
// - direct: one Conv (ORT rewrites it to its NCHWc kernel);
// - Winograd F(4×4, 3×3) (Lavin & Gray 2016): 6×6 input tiles at stride 4 transformed by a grouped Conv, moved
//   transform-major by a Transpose, 36 batched 256×256 MatMuls (4× fewer multiply-adds than the direct conv), the
//   output transform as one MatMul, and DepthToSpace back to pixels.
// Interleaved run by run, medians of BENCH_ITERS of ORT's own run time (its profiler's model_run, so the copy of
// the 151 MB output into JavaScript, the same for both, is left out); prints both, their ratio and the largest
// difference.
// Knobs (env): BENCH_TILE (384), BENCH_ITERS (5).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { expect, it } from 'vitest';
import { ONNX_IR_VERSION, ONNX_OPSET } from '../src/onnx/export-onnx.js';
import { GraphBuilder, tensorValueInfo } from '../src/onnx/graph-builder.js';
import { encodeOnnxModel } from '../src/onnx/onnx-proto.js';

const S = Number(process.env.BENCH_TILE ?? 384);
const ITERS = Number(process.env.BENCH_ITERS ?? 5);
const C = 256;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** F(4×4, 3×3) transforms: input Bᵀ (6×6), filter G (6×3), output Aᵀ (4×6). */
const BT = [
  [4, 0, -5, 0, 1, 0],
  [0, -4, -4, 1, 1, 0],
  [0, 4, -4, -1, 1, 0],
  [0, -2, -1, 2, 1, 0],
  [0, 2, -1, -2, 1, 0],
  [0, 4, 0, -5, 0, 1],
];
const G = [
  [1 / 4, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6],
  [1 / 24, -1 / 12, 1 / 6],
  [0, 0, 1],
];
const AT = [
  [1, 1, 1, 1, 1, 0],
  [0, 1, -1, 2, -2, 0],
  [0, 1, 1, 4, 4, 0],
  [0, 1, -1, 8, -8, 1],
];

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** Median ms of ORT's model_run events in a session's profile, the first (warm-up) run left out. */
function runTimes(dir: string, name: string): number {
  const file = readdirSync(dir).find((f) => f.startsWith(name) && f.endsWith('.json'));
  if (!file) throw new Error(`no ORT profile for ${name} in ${dir}`);
  const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { name: string; dur: number }[];
  const runs = events.filter((e) => e.name === 'model_run').map((e) => e.dur / 1000);
  return median(runs.slice(1));
}

function model(g: GraphBuilder): Uint8Array {
  const graph = g.build(
    'conv',
    [tensorValueInfo('x', [1, C, S + 2, S + 2])],
    [tensorValueInfo('y', [1, C, S, S])],
  );
  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'bench',
    producerVersion: '0',
    graph,
    metadataProps: [],
  });
}

function directConv(w: Float32Array, b: Float32Array): Uint8Array {
  const g = new GraphBuilder();
  g.node(
    'Conv',
    ['x', g.float32('w', [C, C, 3, 3], w), g.float32('b', [C], b)],
    { kernel_shape: [3, 3] },
    'y',
  );
  return model(g);
}

function winogradConv(w: Float32Array, b: Float32Array): Uint8Array {
  const n = 6;
  const K = n * n;
  const tiles = S / 4;
  const g = new GraphBuilder();
  const inputKernel = new Float32Array(C * K * n * n);
  for (let c = 0; c < C; c++)
    for (let a = 0; a < n; a++)
      for (let bb = 0; bb < n; bb++)
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++)
            inputKernel[(((c * K + a * n + bb) * n + i) * n + j) as number] =
              (BT[a]?.[i] ?? 0) * (BT[bb]?.[j] ?? 0);
  const U = new Float32Array(K * C * C);
  for (let co = 0; co < C; co++)
    for (let ci = 0; ci < C; ci++)
      for (let a = 0; a < n; a++)
        for (let bb = 0; bb < n; bb++) {
          let s = 0;
          for (let i = 0; i < 3; i++)
            for (let j = 0; j < 3; j++)
              s += (G[a]?.[i] ?? 0) * (w[((co * C + ci) * 3 + i) * 3 + j] ?? 0) * (G[bb]?.[j] ?? 0);
          U[((a * n + bb) * C + co) * C + ci] = s;
        }
  const out = new Float32Array(16 * K);
  for (let p = 0; p < 4; p++)
    for (let q = 0; q < 4; q++)
      for (let a = 0; a < n; a++)
        for (let bb = 0; bb < n; bb++)
          out[(p * 4 + q) * K + a * n + bb] = (AT[p]?.[a] ?? 0) * (AT[q]?.[bb] ?? 0);
  const v = g.node('Conv', ['x', g.float32('bt', [C * K, 1, n, n], inputKernel)], {
    kernel_shape: [n, n],
    strides: [4, 4],
    group: C,
  });
  const byTransform = g.node('Transpose', [g.node('Reshape', [v, g.int64([C, K, tiles * tiles])])], {
    perm: [1, 0, 2],
  });
  const m = g.node('MatMul', [g.float32('u', [K, C, C], U), byTransform]);
  const y = g.node('MatMul', [
    g.float32('at', [16, K], out),
    g.node('Reshape', [m, g.int64([K, C * tiles * tiles])]),
  ]);
  const pixels = g.node('DepthToSpace', [g.node('Reshape', [y, g.int64([1, 16 * C, tiles, tiles])])], {
    blocksize: 4,
    mode: 'DCR',
  });
  g.node('Add', [pixels, g.float32('b', [1, C, 1, 1], b)], {}, 'y');
  return model(g);
}

it(`3×3 conv ${C}→${C} on a ${S}² tile: ORT direct vs Winograd F(4×4, 3×3) from ORT operators`, async () => {
  expect(S % 4).toBe(0);
  const next = seeded(17);
  const w = Float32Array.from({ length: C * C * 9 }, () => next() * 0.05);
  const b = Float32Array.from({ length: C }, () => next() * 0.1);
  const x = Float32Array.from({ length: C * (S + 2) ** 2 }, () => next() * 2);
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: false,
  };
  const dir = mkdtempSync(join(tmpdir(), 'srnet-winograd-'));
  const profiled = (name: string) => ({
    ...options,
    enableProfiling: true,
    profileFilePrefix: join(dir, name),
  });
  const direct = await ort.InferenceSession.create(directConv(w, b), profiled('direct'));
  const winograd = await ort.InferenceSession.create(winogradConv(w, b), profiled('winograd'));
  const feeds = { x: new ort.Tensor('float32', x, [1, C, S + 2, S + 2]) };
  const a = (await direct.run(feeds)).y?.data as Float32Array;
  const c = (await winograd.run(feeds)).y?.data as Float32Array;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs((a[i] as number) - (c[i] as number)));
  const before = loadavg()[0]?.toFixed(2);
  // interleaved, each pair in alternating order so load drifts hit both alike
  for (let i = 0; i < ITERS; i++)
    for (const session of i % 2 ? [winograd, direct] : [direct, winograd]) await session.run(feeds);
  direct.endProfiling();
  winograd.endProfiling();
  const flop = 2 * 9 * C * C * S * S;
  const [d, wg] = [runTimes(dir, 'direct'), runTimes(dir, 'winograd')];
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `[srnet bench] conv ${C}→${C} 3×3 on ${S}², 2 threads, medians of ${ITERS} (load ${before} → ${loadavg()[0]?.toFixed(2)}): ` +
      `direct ${d.toFixed(1)} ms (${(flop / d / 1e6).toFixed(0)} GFLOP/s), Winograd ${wg.toFixed(1)} ms ` +
      `(${(flop / wg / 1e6).toFixed(0)} GFLOP/s of direct-conv arithmetic): ${(d / wg).toFixed(2)}× the direct conv; ` +
      `largest difference ${diff.toExponential(1)}`,
  );
  expect(diff).toBeLessThan(1e-3);
  await direct.release();
  await winograd.release();
});
