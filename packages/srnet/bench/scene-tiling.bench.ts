// Benchmark (run with `pnpm bench` in packages/srnet): whole-scene super-resolution with HighRes-net R=8
// (the parity fixture's weights) on ONNX Runtime, 2 intra-op threads, end to end through superResolve:
// seamless tiles on the engine default vs today's chip-by-chip plan (50-px chips, overlap 25, the PRelu export
// the engine used before), alternating run by run. Prints MP/s of output, the speed-up, the projected time of
// one 10980 × 10980 Sentinel-2 tile (34 258² output px), the tile plan, peak RSS and the machine load.
// Knobs (env): BENCH_SCENE (500 LR px), BENCH_TILE (the superResolve default), BENCH_REPEATS (1 run each),
// BENCH_SKIP_CHIPS=1 (seamless only).
import { loadavg } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { InferenceEngine } from '../src/engine.js';
import { exportOnnx } from '../src/onnx/export-onnx.js';
import { createOnnxEngine } from '../src/onnx/onnx-engine.node.js';
import { type SuperResolveResult, superResolve } from '../src/scene/super-resolve.js';
import { DEFAULT_TILE_SIZE, type TileGrid } from '../src/scene/tile-plan.js';
import { loadParityFixture } from '../test/onnx/fixture-state-dict.js';
import { makeRevisit } from '../test/scene/scene-helpers.js';

const SCENE = Number(process.env.BENCH_SCENE ?? 500);
const TILE = Number(process.env.BENCH_TILE ?? DEFAULT_TILE_SIZE);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 1);
const THREADS = 2;
const S2_TILE_OUTPUT_MP = Math.round(10980 * 3.12) ** 2 / 1e6;

const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Share of the computed LR pixels that land in tile cores (the rest is margin recomputed by a neighbour). */
function coreShare(g: TileGrid, W: number, H: number): number {
  const sum = (a: TileGrid['x']) => a.inStart.reduce((s, v, k) => s + (a.inEnd[k] as number) - v, 0);
  return (W * H) / (sum(g.x) * sum(g.y));
}

describe('srnet whole-scene benchmark', () => {
  it(`${SCENE}×${SCENE} LR × 8 revisits, HighRes-net R=8, ONNX Runtime ${THREADS} threads: seamless tiles vs 50-px chips`, async () => {
    const fixture = loadParityFixture('highresnet-r8');
    const engine = await createOnnxEngine(fixture, { intraOpNumThreads: THREADS });
    const today = await createOnnxEngine(exportOnnx(fixture.config, fixture.stateDict, { prelu: 'PRelu' }), {
      intraOpNumThreads: THREADS,
    });
    const scene = Array.from({ length: 8 }, (_, r) =>
      makeRevisit(SCENE, SCENE, (x, y, b) => 0.1 + 0.05 * Math.sin(x / 7 + r) * Math.cos(y / 9) + 0.01 * b),
    );
    const run = async (tiling: 'seamless' | 'chips', e: InferenceEngine) => {
      const t0 = performance.now();
      const res = await superResolve(scene, { engine: e, tiling, tileSize: TILE, overlap: 25, batchSize: 8 });
      const s = (performance.now() - t0) / 1000;
      return { res, mps: (res.raster.width * res.raster.height) / 1e6 / s };
    };
    const report = (label: string, res: SuperResolveResult, mps: number[]) => {
      const m = median(mps);
      const units =
        res.tiling === 'seamless'
          ? `${res.tiles?.count} tiles of ≤ ${TILE} px, ${(100 * coreShare(res.tiles as TileGrid, SCENE, SCENE)).toFixed(1)} % of computed px in cores`
          : `${res.grid?.count} chips`;
      console.log(
        `[srnet bench] ${label}: ${res.raster.width}² output (${units}): median ${m.toFixed(3)} MP/s of ${mps.length} ` +
          `→ one 10980² S2 tile ≈ ${(S2_TILE_OUTPUT_MP / m / 3600).toFixed(2)} h`,
      );
      return m;
    };
    try {
      const load0 = load();
      const seamless: number[] = [];
      const chips: number[] = [];
      let last: { s?: SuperResolveResult; c?: SuperResolveResult } = {};
      for (let i = 0; i < REPEATS; i++) {
        const s = await run('seamless', engine);
        seamless.push(s.mps);
        last = { ...last, s: s.res };
        if (process.env.BENCH_SKIP_CHIPS === '1') continue;
        const c = await run('chips', today);
        chips.push(c.mps);
        last = { ...last, c: c.res };
      }
      const rss = process.memoryUsage().rss / 2 ** 30;
      console.log(
        `[srnet bench] whole scene ${SCENE}² LR × 8 revisits, ORT intra-op ${THREADS} threads, ${REPEATS} run(s) each, ` +
          `alternating (load ${load0} → ${load()}), RSS after the runs ${rss.toFixed(1)} GiB`,
      );
      const sm = report('seamless (engine default)', last.s as SuperResolveResult, seamless);
      expect(last.s?.raster.width).toBe(Math.round(SCENE * 3.12));
      if (!last.c) return;
      const cm = report("today's chip plan (PRelu export, overlap 25)", last.c, chips);
      console.log(
        `[srnet bench] seamless / chips throughput = ${(sm / cm).toFixed(2)}× ` +
          `(target ≥ 5× the chip plan's 0.033 MP/s, i.e. ≥ 0.165 MP/s on 2 idle cores); ` +
          `max |Δ| over the output ${maxAbs(last.s as SuperResolveResult, last.c).toExponential(2)} (chip-border artefacts)`,
      );
    } finally {
      engine.dispose();
      today.dispose();
    }
  });
});

function maxAbs(a: SuperResolveResult, b: SuperResolveResult): number {
  let m = 0;
  for (let c = 0; c < a.raster.bands.length; c++) {
    const x = a.raster.bands[c] as Float32Array;
    const y = b.raster.bands[c] as Float32Array;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs((x[i] as number) - (y[i] as number)));
  }
  return m;
}
