// Benchmark (run with `pnpm bench` in packages/srnet): whole-scene super-resolution with HighRes-net R=8
// (the parity fixture's weights) on ONNX Runtime, 2 intra-op threads, end to end through superResolve:
// seamless tiles on the engine default vs today's chip-by-chip plan (50-px chips, overlap 25, the PRelu export
// the engine used before), alternating run by run. Prints MP/s of output, the speed-up, the projected time of
// one 10980 × 10980 Sentinel-2 tile (34 258² output px), the tile plan, peak RSS and the machine load.
// It also times the model alone on one BENCH_TILE² input (no tiling, no margins), through the graph as exported
// (edge tiles) and its zero-padded copy (interior tiles), and prints the arithmetic both rates stand for
// (multiply-adds of the convolutions per LR px): the ceiling any tiling can reach on this machine. The S2
// projection weighs the scene's measured rate by the share of interior tiles a 10980² tile has.
// Knobs (env): BENCH_SCENE (500 LR px), BENCH_TILE (default: the engine's seamlessTileSize), BENCH_REPEATS (1 run each),
// BENCH_SKIP_CHIPS=1 (seamless only), BENCH_TIMEOUT_MIN (60: the chip plan alone takes minutes a run on a slow host).
// Each run prints its rate as it ends, so a run cut short still leaves its figures.
import { loadavg } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { InferenceEngine, PredictInput } from '../src/engine.js';
import type { ModelConfig } from '../src/models/config.js';
import { exportOnnx } from '../src/onnx/export-onnx.js';
import { createOnnxEngine } from '../src/onnx/onnx-engine.node.js';
import { type SuperResolveResult, superResolve } from '../src/scene/super-resolve.js';
import {
  DEFAULT_TILE_SIZE,
  planTileGrid,
  receptiveRadius,
  type TileGrid,
  tileOrder,
} from '../src/scene/tile-plan.js';
import { loadParityFixture } from '../test/onnx/fixture-state-dict.js';
import { makeRevisit } from '../test/scene/scene-helpers.js';

const SCENE = Number(process.env.BENCH_SCENE ?? 500);
const TILE = process.env.BENCH_TILE ? Number(process.env.BENCH_TILE) : undefined;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 1);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MIN ?? 60) * 60_000;
const THREADS = 2;
/** Output px per LR px along an axis: 156-px outputs of the 50-px chips the model was trained on. */
const SCALE = 156 / 50;
const S2_TILE_OUTPUT_MP = Math.round(10980 * SCALE) ** 2 / 1e6;

const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * Floating-point operations (2 per multiply-add) of one LR pixel through the model: the encoder per revisit, the
 * fusion (HighRes-net: ⌈log2 R⌉ pairwise levels of a residual block at 2·hidden channels + a conv back to hidden;
 * SRCNN: one conv over R·hidden + residual blocks), the zoom² decoder pixels of 1×1 (srKernelSize²) convs.
 */
function flopsPerLrPixel(cfg: ModelConfig): number {
  const k2 = cfg.kernelSize ** 2;
  const h = cfg.hiddenChannels;
  let macs = cfg.revisits * k2 * (cfg.inChannels * h + h * h);
  if (cfg.kind === 'highresnet') {
    for (let r = 2 ** Math.ceil(Math.log2(cfg.revisits)); r > 1; r /= 2)
      macs += (r / 2) * k2 * (2 * (2 * h) ** 2 + 2 * h * h);
  } else {
    macs += k2 * (cfg.revisits * h * h + h * h) + cfg.residualLayers * 2 * k2 * h * h;
  }
  const c2 = h / cfg.zoomFactor ** 2;
  macs += cfg.zoomFactor ** 2 * cfg.srKernelSize ** 2 * (c2 * c2 + c2 * cfg.outChannels);
  return 2 * macs;
}

/** Share of the computed LR pixels that land in tile cores (the rest is margin recomputed by a neighbour). */
function coreShare(g: TileGrid, W: number, H: number): number {
  const sum = (a: TileGrid['x']) => a.inStart.reduce((s, v, k) => s + (a.inEnd[k] as number) - v, 0);
  return (W * H) / (sum(g.x) * sum(g.y));
}

describe('srnet whole-scene benchmark', () => {
  it(
    `${SCENE}×${SCENE} LR × 8 revisits, HighRes-net R=8, ONNX Runtime ${THREADS} threads: seamless tiles vs 50-px chips`,
    async () => {
      const fixture = loadParityFixture('highresnet-r8');
      const engine = await createOnnxEngine(fixture, {
        intraOpNumThreads: THREADS,
        ...(process.env.MP === '0' ? { enableMemPattern: false } : {}),
      });
      const today = await createOnnxEngine(
        exportOnnx(fixture.config, fixture.stateDict, { prelu: 'PRelu' }),
        {
          intraOpNumThreads: THREADS,
        },
      );
      const tileSide = TILE ?? engine.seamlessTileSize ?? DEFAULT_TILE_SIZE;
      const scene = Array.from({ length: 8 }, (_, r) =>
        makeRevisit(SCENE, SCENE, (x, y, b) => 0.1 + 0.05 * Math.sin(x / 7 + r) * Math.cos(y / 9) + 0.01 * b),
      );
      const run = async (tiling: 'seamless' | 'chips', e: InferenceEngine) => {
        const t0 = performance.now();
        const res = await superResolve(scene, {
          engine: e,
          tiling,
          tileSize: tileSide,
          overlap: 25,
          batchSize: 8,
        });
        const s = (performance.now() - t0) / 1000;
        const mps = (res.raster.width * res.raster.height) / 1e6 / s;
        console.log(
          `[srnet bench] ${tiling} run: ${mps.toFixed(3)} MP/s of output (${s.toFixed(1)} s, load ${load()})`,
        );
        return { res, mps };
      };
      const report = (label: string, res: SuperResolveResult, mps: number[]) => {
        const m = median(mps);
        const units =
          res.tiling === 'seamless'
            ? `${res.tiles?.count} tiles of ≤ ${tileSide} px, ${(100 * coreShare(res.tiles as TileGrid, SCENE, SCENE)).toFixed(1)} % of computed px in cores`
            : `${res.grid?.count} chips`;
        console.log(
          `[srnet bench] ${label}: ${res.raster.width}² output (${units}): median ${m.toFixed(3)} MP/s of ${mps.length} ` +
            // seamless: the S2 projection below uses that tile's own margins
            (res.tiling === 'chips'
              ? `→ one 10980² S2 tile ≈ ${(S2_TILE_OUTPUT_MP / m / 3600).toFixed(2)} h`
              : ''),
        );
        return m;
      };
      try {
        // The model alone on one tile-sized input, timed on the third run: the first two grow ORT's arena (the
        // second allocates the shape's memory pattern), and fresh pages cost a fault each.
        const flops = flopsPerLrPixel(fixture.config);
        const side = Math.min(tileSide, SCENE);
        const tile: PredictInput = {
          data: new Float32Array(8 * 12 * side * side).fill(0.1),
          shape: [1, 8, 12, side, side],
        };
        // one tile through the graph as exported (edge tiles), then its zero-padded copy (interior tiles): the
        // engine holds one session, so each side gets two untimed runs first (session start, arena growth)
        const timeTile = async (interior: boolean) => {
          const rates: number[] = [];
          for (let i = 0; i < 2 + Math.max(1, REPEATS); i++) {
            const t0 = performance.now();
            await engine.predictUnresized?.(tile, { interior });
            if (i >= 2) rates.push((side * side) / ((performance.now() - t0) / 1000));
          }
          return median(rates);
        };
        const lrPerS = await timeTile(false);
        const interiorSpeedup = (await timeTile(true)) / lrPerS;
        const outPerLr = SCALE ** 2;
        console.log(
          `[srnet bench] model arithmetic ${(flops / 1e6).toFixed(1)} MFLOP per LR px (${(flops / outPerLr / 1e6).toFixed(2)} MFLOP per output px); ` +
            `the model alone on one ${side}² input: ${(lrPerS / 1e3).toFixed(1)} k LR px/s = ${((lrPerS * flops) / 1e9).toFixed(0)} GFLOP/s ` +
            `→ ceiling ${((lrPerS * outPerLr) / 1e6).toFixed(3)} MP/s of output with no margins; 0.165 MP/s needs ${(((0.165e6 / outPerLr) * flops) / 1e9).toFixed(0)} GFLOP/s; ` +
            `as an interior tile (zero-padded graph) ${((lrPerS * interiorSpeedup) / 1e3).toFixed(1)} k LR px/s (${interiorSpeedup.toFixed(3)}×)`,
        );
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
        const share = coreShare(last.s?.tiles as TileGrid, SCENE, SCENE);
        console.log(
          `[srnet bench] seamless: ${((sm * 1e6 * flops) / SCALE ** 2 / share / 1e9).toFixed(0)} GFLOP/s of model arithmetic computed ` +
            `(${((sm * 1e6 * flops) / SCALE ** 2 / 1e9).toFixed(0)} of it for output pixels, the rest in margins)`,
        );
        // A Sentinel-2 tile has other margins than this scene: project it from the computed rate and its own plan.
        const s2 = planTileGrid(
          10980,
          10980,
          [34258, 34258],
          [SCALE, SCALE],
          tileSide,
          receptiveRadius(fixture.config) + 1,
        );
        const s2Share = coreShare(s2, 10980, 10980);
        // the edge-tile rate of computed LR px behind this scene's time (its interior tiles, if any, ran faster)
        const scenePx = computedPx(last.s?.tiles as TileGrid);
        const sceneSeconds = (scenePx.edgePx + scenePx.interiorPx) / ((sm * 1e6) / SCALE ** 2 / share);
        const edgeRate = (scenePx.edgePx + scenePx.interiorPx / interiorSpeedup) / sceneSeconds;
        const { edgePx, interiorPx } = computedPx(s2);
        const s2Seconds = edgePx / edgeRate + interiorPx / (edgeRate * interiorSpeedup);
        const s2Mps = S2_TILE_OUTPUT_MP / s2Seconds;
        console.log(
          `[srnet bench] one 10980² S2 tile at ${tileSide}-px tiles: ${s2.count} tiles (${((100 * interiorPx) / (edgePx + interiorPx)).toFixed(1)} % of computed px in interior tiles), ` +
            `${(100 * s2Share).toFixed(1)} % of computed px in cores → ${s2Mps.toFixed(3)} MP/s at this run's computed rates ≈ ${(s2Seconds / 3600).toFixed(2)} h`,
        );
        expect(last.s?.raster.width).toBe(Math.round(SCENE * SCALE));
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
    },
    TIMEOUT_MS,
  );
});

/** LR px computed (margins included) by a grid's edge tiles and by its interior tiles. */
function computedPx(g: TileGrid): { edgePx: number; interiorPx: number } {
  const { interior } = tileOrder(g, g.x.inEnd.at(-1) as number, g.y.inEnd.at(-1) as number);
  const nx = g.x.inStart.length;
  let edgePx = 0;
  let interiorPx = 0;
  for (let t = 0; t < g.count; t++) {
    const w = (g.x.inEnd[t % nx] as number) - (g.x.inStart[t % nx] as number);
    const ty = Math.floor(t / nx);
    const px = w * ((g.y.inEnd[ty] as number) - (g.y.inStart[ty] as number));
    if (interior[t]) interiorPx += px;
    else edgePx += px;
  }
  return { edgePx, interiorPx };
}

function maxAbs(a: SuperResolveResult, b: SuperResolveResult): number {
  let m = 0;
  for (let c = 0; c < a.raster.bands.length; c++) {
    const x = a.raster.bands[c] as Float32Array;
    const y = b.raster.bands[c] as Float32Array;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs((x[i] as number) - (y[i] as number)));
  }
  return m;
}
