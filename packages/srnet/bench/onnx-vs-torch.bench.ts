// Benchmark (run with `pnpm bench` in packages/srnet): HighResNet R=8, batch 8 chips of 12×50×50, 2 threads.
// ONNX Runtime engine (its default and the settings it was chosen over) vs the same architecture in PyTorch CPU
// (/usr/bin/python3, bench/highresnet_torch.py, timed inside Python), interleaved run by run in a rotating
// order so machine load hits all alike; medians. Then tfjs-wasm (if available). Whole-scene numbers:
// scene-tiling.bench.ts.
// Knobs (env): BENCH_ITERS (7 interleaved runs each), BENCH_BATCH (8), BENCH_VARIANTS (`all`, or `default` for
// the engine default alone), BENCH_SKIP_TFJS.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { InferenceEngine } from '../src/engine.js';
import { exportOnnx } from '../src/onnx/export-onnx.js';
import { createOnnxEngine, type OnnxEngineOptions } from '../src/onnx/onnx-engine.node.js';
import { loadParityFixture } from '../test/onnx/fixture-state-dict.js';
import { mulberry32 } from '../test/onnx/reference-forward.js';

const ITERS = Number(process.env.BENCH_ITERS ?? 7);
const BATCH = Number(process.env.BENCH_BATCH ?? 8);
const THREADS = 2;

const readLoad = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Start the PyTorch server; `run()` times one forward in the Python process. */
async function startTorch(): Promise<{ run: () => Promise<number>; close: () => void; version: string }> {
  const script = fileURLToPath(new URL('./highresnet_torch.py', import.meta.url));
  const proc: ChildProcessWithoutNullStreams = spawn('/usr/bin/python3', [
    script,
    '--serve',
    '--kind=highresnet',
    '--revisits=8',
    `--batch=${BATCH}`,
    `--threads=${THREADS}`,
    '--warmup=2',
  ]);
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`python exited: ${stderr}`);
    return JSON.parse(value as string) as Record<string, unknown>;
  };
  const ready = await next();
  return {
    version: String(ready.torch),
    run: async () => {
      proc.stdin.write('go\n');
      return Number((await next()).ms);
    },
    close: () => {
      proc.stdin.write('quit\n');
      proc.stdin.end();
    },
  };
}

async function timeEngine(engine: InferenceEngine, data: Float32Array): Promise<number> {
  const t0 = performance.now();
  await engine.predict({ data, shape: [BATCH, 8, 12, 50, 50] });
  return performance.now() - t0;
}

describe('srnet inference benchmark', () => {
  const fixture = loadParityFixture('highresnet-r8');
  const rand = mulberry32(1);
  const input = Float32Array.from({ length: BATCH * 8 * 12 * 50 * 50 }, () => rand() * 2 - 1);

  it(`HighResNet R=8, batch ${BATCH}×12×50×50, ${THREADS} threads: ONNX Runtime settings vs PyTorch CPU`, async () => {
    // The engine default (LeakyRelu export, optimisation 'all', arena on, memory pattern off, sequential, 1
    // inter-op thread) and the alternatives it was chosen over.
    const leaky = exportOnnx(fixture.config, fixture.stateDict);
    const prelu = exportOnnx(fixture.config, fixture.stateDict, { prelu: 'PRelu' });
    const variants: [string, Uint8Array, OnnxEngineOptions][] = [
      ['default (LeakyRelu export, all, arena, no mem pattern)', leaky, {}],
      ['PRelu export (no Conv+activation fusion)', prelu, {}],
      ['graph optimisation extended (no NCHWc)', leaky, { graphOptimizationLevel: 'extended' }],
      ['graph optimisation basic', leaky, { graphOptimizationLevel: 'basic' }],
      ['memory pattern on', leaky, { enableMemPattern: true }],
      ['no CPU arena', leaky, { enableCpuMemArena: false }],
      ['parallel, 2 inter-op threads', leaky, { executionMode: 'parallel', interOpNumThreads: 2 }],
      ['no spinning', leaky, { allowSpinning: false }],
    ];
    const chosen = process.env.BENCH_VARIANTS === 'default' ? variants.slice(0, 1) : variants;
    const engines: [string, InferenceEngine][] = [];
    for (const [label, bytes, o] of chosen)
      engines.push([label, await createOnnxEngine(bytes, { intraOpNumThreads: THREADS, ...o })]);
    const torch = await startTorch().catch((e: unknown) => {
      console.log(
        `[srnet bench] PyTorch peer unavailable (${(e as Error).message.trim().split('\n').at(-1)}); ORT only`,
      );
      return null;
    });
    try {
      for (const [, e] of engines) await timeEngine(e, input); // warm-up (the torch server warms itself)
      const times = engines.map(() => [] as number[]);
      const torchMs: number[] = [];
      // Contenders in a rotating order: each takes every position of the round equally often.
      const contenders: (() => Promise<void>)[] = engines.map(([, e], k) => async () => {
        times[k]?.push(await timeEngine(e, input));
      });
      if (torch) contenders.push(async () => void torchMs.push(await torch.run()));
      const load0 = readLoad();
      for (let i = 0; i < ITERS; i++)
        for (let j = 0; j < contenders.length; j++)
          await (contenders[(i + j) % contenders.length] as () => Promise<void>)();
      const peer = torch ? median(torchMs) : Number.NaN;
      const lines = engines.map(([label], k) => {
        const m = median(times[k] as number[]);
        return `  ${label}: ${m.toFixed(0)} ms${torch ? ` → ORT/PyTorch = ${(m / peer).toFixed(3)}` : ''}`;
      });
      console.log(
        `[srnet bench] HighResNet R=8 batch ${BATCH}, ORT intra-op ${THREADS} threads vs PyTorch ${THREADS} threads, ` +
          `median of ${ITERS} interleaved runs each (load ${load0} → ${readLoad()}): ` +
          `${torch ? `PyTorch ${torch.version} ${peer.toFixed(0)} ms (target ORT ≤ 0.7×)` : 'no PyTorch'}\n${lines.join('\n')}`,
      );
      expect(median(times[0] as number[])).toBeGreaterThan(0);
    } finally {
      torch?.close();
      for (const [, e] of engines) e.dispose();
    }
  });

  it.skipIf(process.env.BENCH_SKIP_TFJS === '1')(
    'tfjs-wasm on the same batch (when the TF.js engine is present)',
    async () => {
      const srnet = (await import('../src/index.js')) as Record<string, unknown>;
      const create = srnet.createTfjsEngine as
        | ((c: unknown, s: unknown, o: { backend: string }) => Promise<InferenceEngine>)
        | undefined;
      if (typeof create !== 'function') {
        console.log('[srnet bench] tfjs-wasm: createTfjsEngine not available in this build; skipped');
        return;
      }
      const engine = await create(fixture.config, fixture.stateDict, { backend: 'wasm' });
      try {
        await timeEngine(engine, input);
        const ms = await timeEngine(engine, input);
        console.log(
          `[srnet bench] tfjs-wasm HighResNet R=8 batch ${BATCH}: ${ms.toFixed(0)} ms (1 run after warm-up)`,
        );
      } finally {
        engine.dispose();
      }
    },
  );
});
