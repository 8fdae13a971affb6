// Benchmark (run with `pnpm bench` in packages/srnet): whole-scene super-resolution with HighRes-net R=8
// (the parity fixture's weights) on ONNX Runtime, 2 intra-op threads, seamless tiles vs the 50-px chip plan
// (overlap 25) in the same run, end to end through superResolve. Prints MP/s of output, the speed-up and the
// projected time of one 10980 × 10980 Sentinel-2 tile (34 258² output px), and the machine load.
// Knobs (env): BENCH_SCENE (250 LR px), BENCH_TILE (256), BENCH_SKIP_CHIPS=1 (seamless only).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createOnnxEngine } from '../src/onnx/onnx-engine.node.js';
import { type SuperResolveResult, superResolve } from '../src/scene/super-resolve.js';
import { loadParityFixture } from '../test/onnx/fixture-state-dict.js';
import { makeRevisit } from '../test/scene/scene-helpers.js';

const SCENE = Number(process.env.BENCH_SCENE ?? 250);
const TILE = Number(process.env.BENCH_TILE ?? 256);
const THREADS = 2;
const S2_TILE_OUTPUT_MP = Math.round(10980 * 3.12) ** 2 / 1e6;

const loadavg = () => {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
};

describe('srnet whole-scene benchmark', () => {
  it(`${SCENE}×${SCENE} LR × 8 revisits, HighRes-net R=8, ONNX Runtime ${THREADS} threads: seamless tiles vs 50-px chips`, async () => {
    const fixture = loadParityFixture('highresnet-r8');
    const engine = await createOnnxEngine(fixture, { intraOpNumThreads: THREADS });
    const scene = Array.from({ length: 8 }, (_, r) =>
      makeRevisit(SCENE, SCENE, (x, y, b) => 0.1 + 0.05 * Math.sin(x / 7 + r) * Math.cos(y / 9) + 0.01 * b),
    );
    const time = async (tiling: 'seamless' | 'chips') => {
      const t0 = performance.now();
      const res = await superResolve(scene, { engine, tiling, tileSize: TILE, overlap: 25, batchSize: 8 });
      const s = (performance.now() - t0) / 1000;
      const mps = (res.raster.width * res.raster.height) / 1e6 / s;
      const units =
        tiling === 'seamless' ? `${res.tiles?.count} tiles of ≤ ${TILE} px` : `${res.grid?.count} chips`;
      const hours = S2_TILE_OUTPUT_MP / mps / 3600;
      console.log(
        `[srnet bench] ${tiling}: ${res.raster.width}² output (${units}) in ${s.toFixed(1)} s = ${mps.toFixed(3)} MP/s ` +
          `→ one 10980² S2 tile ≈ ${hours.toFixed(2)} h (load ${loadavg()})`,
      );
      return { res, mps };
    };
    try {
      const seamless = await time('seamless');
      expect(seamless.res.raster.width).toBe(Math.round(SCENE * 3.12));
      if (process.env.BENCH_SKIP_CHIPS === '1') return;
      const chips = await time('chips');
      console.log(
        `[srnet bench] seamless / chips throughput = ${(seamless.mps / chips.mps).toFixed(2)}× ` +
          `(target ≥ 5× the chip plan's 0.033 MP/s, i.e. ≥ 0.165 MP/s on 2 idle cores); ` +
          `max |Δ| over the output ${maxAbs(seamless.res, chips.res).toExponential(2)} (chip-border artefacts)`,
      );
    } finally {
      engine.dispose();
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
