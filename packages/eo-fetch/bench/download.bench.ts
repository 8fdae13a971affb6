// 1,000 mocked requests at 50 ms latency with concurrency 16: wall time vs the ideal 1,000 × 50 ms / 16.
// Target: ratio ≤ 1.2. Env: BENCH_REQUESTS (default 1000), BENCH_LATENCY_MS (50), BENCH_CONCURRENCY (16).
// The mock server runs in a child process (bench/latency-server.mjs) so it does not share the engine's thread.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { downloadAll } from '../src/node.js';

it('download engine throughput at injected latency', async () => {
  const n = Number(process.env.BENCH_REQUESTS ?? 1000);
  const latency = Number(process.env.BENCH_LATENCY_MS ?? 50);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
  const child = spawn(process.execPath, [
    fileURLToPath(new URL('./latency-server.mjs', import.meta.url)),
    String(latency),
  ]);
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
  );
  const dir = await mkdtemp(join(tmpdir(), 'eo-fetch-bench-'));
  try {
    const jobs = Array.from({ length: n }, (_, i) => ({
      url: `http://127.0.0.1:${port}/f/b${i}`,
      path: join(dir, `AOI-${i % 50}`, `b${i}.bin`),
      aoi: `AOI-${i % 50}`,
    }));
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const report = await downloadAll(jobs, {
      concurrency,
      perHost: concurrency,
      manifestPath: join(dir, 'm.jsonl'),
    });
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const ideal = (n * latency) / concurrency;
    expect(report.failed).toEqual([]);
    expect(report.downloaded).toBe(n);
    console.log(
      `downloads: ${n} requests, ${latency} ms latency, concurrency ${concurrency}: wall ${wall.toFixed(0)} ms, ideal ${ideal.toFixed(0)} ms, ratio ${(wall / ideal).toFixed(3)} (target ≤ 1.2); engine CPU ${cpuMs.toFixed(0)} ms = ${(cpuMs / n).toFixed(2)} ms/request`,
    );
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
});
