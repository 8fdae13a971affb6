// Seamless tiling of whole-scene inference: large tiles with receptive-field margins, run without the final
// resize and cropped, equal one whole-scene pass everywhere and the chip plan away from its chip borders.
import { afterAll, describe, expect, it } from 'vitest';
import type { InferenceEngine } from '../../src/engine.js';
import { SrnetError } from '../../src/errors.js';
import { type ModelConfig, resolveModelConfig } from '../../src/models/config.js';
import { exportOnnx } from '../../src/onnx/export-onnx.js';
import { createOnnxEngine, exposeUnresizedOutput } from '../../src/onnx/onnx-engine.node.js';
import { decodeOnnxModel, encodeOnnxModel } from '../../src/onnx/onnx-proto.js';
import type { ChipGrid } from '../../src/scene/chip-grid.js';
import { type SceneProgress, superResolve } from '../../src/scene/super-resolve.js';
import { planTileGrid, receptiveRadius } from '../../src/scene/tile-plan.js';
import { randomStateDict } from '../onnx/reference-forward.js';
import { makeRevisit, maxAbsDiff, ramp, smallEngine } from './scene-helpers.js';

const N = 125; // 5 units of 25 LR px: one 125-px chip with a 390-px output is the whole-scene reference
const wavy = (r: number) => (x: number, y: number, b: number) =>
  ramp(r)(x, y, b) + 0.03 * Math.sin(x / 3 + b) * Math.cos(y / 4 - r);

/** The same small random-weight model as `smallEngine`, with a 390-px output: one chip covers the scene. */
async function wholeSceneEngine(partial: Partial<ModelConfig>, seed: number): Promise<InferenceEngine> {
  const base = resolveModelConfig({ hiddenChannels: 8, residualLayers: 0, ...partial });
  const config = { ...base, outputSize: [390, 390] as [number, number] };
  return createOnnxEngine({ config, stateDict: randomStateDict(base, seed) }, { intraOpNumThreads: 1 });
}

describe('tile plan', () => {
  it('receptive radius of the srnet models (LR px)', () => {
    expect(receptiveRadius(resolveModelConfig({ kind: 'srcnn' }))).toBe(6); // 6 convs 3×3, 1×1 SR
    expect(receptiveRadius(resolveModelConfig({ kind: 'srcnn', residualLayers: 0 }))).toBe(4);
    expect(receptiveRadius(resolveModelConfig({ kind: 'highresnet', revisits: 8 }))).toBe(11); // 2 + 3 levels × 3
    expect(receptiveRadius(resolveModelConfig({ kind: 'highresnet', revisits: 3 }))).toBe(8); // pads to 4
    // 3×3 SR convs at zoom 2: 2 zoomed px = 1 LR px
    expect(receptiveRadius(resolveModelConfig({ kind: 'srcnn', srKernelSize: 3 }))).toBe(7);
  });

  it('tiles start at the scene edge, stay inside it, and partition the output', () => {
    const g = planTileGrid(125, 60, [187, 390], [3.12, 3.12], 40, 6);
    // edge tiles need one margin: n tiles cover length + 2·6·(n − 1) px, so ceil((L − 12) / 28) tiles
    expect(g.x.inStart.length).toBe(5); // ceil(113 / 28)
    expect(g.y.inStart.length).toBe(2); // ceil(48 / 28); an even split into cores of 28 needed 3
    expect(g.count).toBe(5 * 2);
    for (const [axis, L, OL] of [
      [g.x, 125, 390],
      [g.y, 60, 187],
    ] as const) {
      expect(axis.inStart[0]).toBe(0);
      expect(axis.inEnd.at(-1)).toBe(L);
      expect(axis.outStart[0]).toBe(0);
      expect(axis.outEnd.at(-1)).toBe(OL);
      for (let k = 1; k < axis.inStart.length; k++) expect(axis.outStart[k]).toBe(axis.outEnd[k - 1]);
      for (let k = 0; k < axis.inStart.length; k++)
        expect((axis.inEnd[k] as number) - (axis.inStart[k] as number)).toBeLessThanOrEqual(40);
    }
    expect(() => planTileGrid(125, 60, [187, 390], [3.12, 3.12], 12, 6)).toThrow(/must be an integer > 2 ×/);
  });

  it('uses the fewest tiles, of balanced widths, for any scene, tile and margin', () => {
    const widths = (a: { inStart: number[]; inEnd: number[] }) =>
      a.inStart.map((s, k) => (a.inEnd[k] as number) - s);
    // HighRes-net R=8 (margin 12) at the default tile: a 250-px scene is one tile, 500 px three per axis
    expect(planTileGrid(250, 250, [780, 780], [3.12, 3.12], 256, 12).count).toBe(1);
    const g500 = planTileGrid(500, 500, [1560, 1560], [3.12, 3.12], 256, 12);
    expect(widths(g500.x)).toEqual([183, 182, 183]); // (500 + 2·12·2) / 3 = 182.7
    expect(planTileGrid(10980, 10980, [34258, 34258], [3.12, 3.12], 256, 12).x.inStart.length).toBe(48);
    for (let L = 1; L <= 400; L += 11) {
      for (const [tile, m] of [
        [3, 1],
        [27, 13],
        [40, 6],
        [64, 13],
        [256, 13],
      ] as const) {
        const a = planTileGrid(L, 1, [Math.round(L * 3.12), 3], [3.12, 3.12], tile, m).x;
        const n = a.inStart.length;
        const w = widths(a);
        expect(Math.max(...w)).toBeLessThanOrEqual(tile);
        // never more tiles than needed to hold length + 2·m·(n − 1) px, nor than an even split into full cores
        expect(n).toBeLessThanOrEqual(Math.max(1, Math.ceil(L / (tile - 2 * m))));
        if (n > 1) expect(L + 2 * m * (n - 2)).toBeGreaterThan((n - 1) * tile);
        for (let k = 0; k < n; k++) {
          // each core keeps a full margin of context on its inner sides
          const c0 = k === 0 ? 0 : (a.inStart[k] as number) + m;
          const c1 = k === n - 1 ? L : (a.inEnd[k] as number) - m;
          expect(c1).toBeGreaterThan(c0);
          if (k > 0) expect(c0).toBe((a.inEnd[k - 1] as number) - m);
        }
      }
    }
  });
});

describe('seamless tiling on ONNX Runtime', () => {
  const engines: InferenceEngine[] = [];
  afterAll(() => {
    for (const e of engines) e.dispose();
  });
  const scene2 = [makeRevisit(N, N, wavy(0)), makeRevisit(N, N, wavy(1))];

  for (const [label, partial, seed] of [
    ['SRCNN R=2', { kind: 'srcnn', revisits: 2 }, 11],
    ['HighRes-net R=3 (padded to 4)', { kind: 'highresnet', revisits: 3 }, 7],
  ] as const) {
    it(`${label}: many small tiles equal one whole-scene pass within 1e-4 everywhere (no seams)`, async () => {
      const tiled = await smallEngine(partial, seed);
      const whole = await wholeSceneEngine(partial, seed);
      engines.push(tiled, whole);
      expect(typeof tiled.predictUnresized).toBe('function');
      const scene = partial.revisits === 3 ? [...scene2, makeRevisit(N, N, wavy(2))] : scene2;
      const ref = await superResolve(scene, { engine: whole, chipSize: N, tiling: 'chips' });
      const res = await superResolve(scene, { engine: tiled, tileSize: 40 });
      expect(res.tiling).toBe('seamless');
      expect(res.tiles?.count).toBeGreaterThanOrEqual(16);
      expect([res.raster.width, res.raster.height]).toEqual([390, 390]);
      expect(res.raster.geo).toEqual(ref.raster.geo);
      const d = maxAbsDiff(res.raster, ref.raster);
      expect(d).toBeLessThanOrEqual(1e-4);
      // the outputs are not flat: equality is informative
      const band = res.raster.bands[0] as Float32Array;
      const lo = band.reduce((a, v) => Math.min(a, v), Infinity);
      const hi = band.reduce((a, v) => Math.max(a, v), -Infinity);
      expect(hi - lo).toBeGreaterThan(0.1);
    });
  }

  it('equals the 50-px chip plan (overlap 25) within 1e-4 away from chip borders', async () => {
    const engine = await smallEngine({ kind: 'srcnn', revisits: 2 }, 11);
    engines.push(engine);
    const chips = await superResolve(scene2, { engine, tiling: 'chips', overlap: 25 });
    const tiled = await superResolve(scene2, { engine, tileSize: 48 });
    const grid = chips.grid as ChipGrid;
    const m = 6; // receptive field of this SRCNN (4 LR px) + bilinear support
    const interior = (axis: 'x' | 'y', X: number) => {
      const g = grid[axis];
      const lx = (X + 0.5) / g.scale;
      return g.origins.every((o, i) => {
        const out = g.outOrigins[i] as number;
        if (X < out || X >= out + 156) return true;
        return lx - o >= m && lx - o <= 50 - m;
      });
    };
    let compared = 0;
    let maxDiff = 0;
    let seamDiff = 0;
    for (let Y = 0; Y < 390; Y++) {
      for (let X = 0; X < 390; X++) {
        const inside = interior('y', Y) && interior('x', X);
        for (let c = 0; c < 3; c++) {
          const q = Y * 390 + X;
          const diff = Math.abs(
            ((chips.raster.bands[c] as Float32Array)[q] as number) -
              ((tiled.raster.bands[c] as Float32Array)[q] as number),
          );
          if (inside) maxDiff = Math.max(maxDiff, diff);
          else seamDiff = Math.max(seamDiff, diff);
        }
        if (inside) compared++;
      }
    }
    expect(compared).toBeGreaterThan(20000);
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
    // near chip borders the chip plan carries reflect-padding artefacts that the tiles do not
    expect(seamDiff).toBeGreaterThan(1e-3);
  });

  it('masks missing pixels like the chip plan and works on a scene smaller than one tile', async () => {
    const engine = await smallEngine({ kind: 'highresnet', revisits: 4 }, 5);
    engines.push(engine);
    const holed = [0, 1].map((r) => makeRevisit(30, 20, ramp(r)));
    for (const r of holed) for (const b of r.bands) (b as Float32Array)[5 * 30 + 7] = Number.NaN;
    const a = await superResolve(holed, { engine });
    const b = await superResolve(holed, { engine, tiling: 'chips' });
    expect(a.tiling).toBe('seamless');
    expect(a.tiles?.count).toBe(1);
    // an explicit overlap asks for the chip plan under 'auto'
    expect((await superResolve(holed, { engine, overlap: 0 })).tiling).toBe('chips');
    expect(Array.from(a.validMask)).toEqual(Array.from(b.validMask));
    expect(a.validMask.filter((v) => v === 0).length).toBeGreaterThan(0);
    const band = a.raster.bands[0] as Float32Array;
    for (let q = 0; q < band.length; q++) expect(Number.isNaN(band[q])).toBe(a.validMask[q] === 0);
  });

  it("tiles at the engine's seamlessTileSize unless tileSize is given (Node ONNX: 384, 256 with the memory pattern)", async () => {
    const engine = await smallEngine({ kind: 'srcnn', revisits: 2 }, 11);
    const patterned = await createOnnxEngine(
      { config: engine.config, stateDict: randomStateDict(engine.config, 11) },
      { intraOpNumThreads: 1, enableMemPattern: true },
    );
    engines.push(engine, patterned);
    expect(engine.seamlessTileSize).toBe(384);
    expect(patterned.seamlessTileSize).toBe(256);
    // an engine preferring 40-px tiles: the plan (and so the output) is that of an explicit tileSize 40
    const small: InferenceEngine = { ...engine, seamlessTileSize: 40 };
    const preferred = await superResolve(scene2, { engine: small });
    const explicit = await superResolve(scene2, { engine, tileSize: 40 });
    expect(preferred.tiles).toEqual(explicit.tiles);
    expect(preferred.tiles?.tileSize).toBe(40);
    expect(maxAbsDiff(preferred.raster, explicit.raster)).toBe(0);
    expect((await superResolve(scene2, { engine: small, tileSize: 80 })).tiles?.count).toBe(4);
    expect((await superResolve(scene2, { engine })).tiles?.tileSize).toBe(384);
  });

  it('reports progress per tile and can be cancelled between tiles', async () => {
    const engine = await smallEngine({ kind: 'srcnn', revisits: 2 }, 11);
    engines.push(engine);
    const events: SceneProgress[] = [];
    const res = await superResolve(scene2, { engine, tileSize: 80, onProgress: (p) => events.push(p) });
    const infer = events.filter((e) => e.stage === 'infer');
    expect(res.tiles?.count).toBe(4);
    expect(infer.map((e) => e.done)).toEqual([0, 1, 2, 3, 4]);
    const ac = new AbortController();
    const run = superResolve(scene2, {
      engine,
      tileSize: 40,
      signal: ac.signal,
      onProgress: (p) => p.stage === 'infer' && p.done >= 2 && ac.abort(new Error('user stop')),
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('typed errors: no predictUnresized, bad tiling, tile too small, wrong unresized shape', async () => {
    const engine = await smallEngine({ kind: 'srcnn', revisits: 2 }, 11);
    engines.push(engine);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: unknown) => (e instanceof SrnetError ? e.code : String(e)),
      );
    const plain: InferenceEngine = {
      name: 'onnx',
      config: engine.config,
      predict: (i) => engine.predict(i),
      dispose() {},
    };
    expect(await code(superResolve(scene2, { engine: plain, tiling: 'seamless' }))).toBe('BAD_SCENE_OPTIONS');
    expect(await code(superResolve(scene2, { engine, tiling: 'fast' as 'chips' }))).toBe('BAD_SCENE_OPTIONS');
    expect(await code(superResolve(scene2, { engine, tileSize: 10 }))).toBe('BAD_SCENE_OPTIONS');
    const liar: InferenceEngine = {
      ...plain,
      predictUnresized: async ({ shape }) => ({
        data: new Float32Array(3 * shape[3] * shape[4]),
        shape: [1, 1, 3, shape[3], shape[4]],
      }),
    };
    const err = (await superResolve(scene2, { engine: liar }).catch((e) => e)) as SrnetError;
    expect(err.code).toBe('BAD_INPUT_SHAPE');
    expect(err.message).toMatch(
      /unresized tile of shape \[1, 1, 3, 125, 125\], expected \[1, 1, 3, 250, 250\]/,
    );
  });
});

describe('exposeUnresizedOutput', () => {
  const config = resolveModelConfig({ kind: 'srcnn', revisits: 2, hiddenChannels: 8, residualLayers: 0 });
  const bytes = exportOnnx(config, randomStateDict(config, 3));

  it('adds the pre-resize tensor of an srnet export as a second output; the engine returns it', async () => {
    const { bytes: out, name } = exposeUnresizedOutput(bytes);
    expect(name).not.toBeNull();
    expect(decodeOnnxModel(out).graph.output?.map((o) => o.name)).toEqual(['sr', name]);
    const engine = await createOnnxEngine(bytes, { intraOpNumThreads: 1 });
    try {
      const lr = new Float32Array(2 * 12 * 30 * 20).map((_, i) => Math.sin(i));
      const un = await engine.predictUnresized?.({ data: lr, shape: [1, 2, 12, 30, 20] });
      expect(un?.shape).toEqual([1, 1, 3, 60, 40]);
      const sr = await engine.predict({ data: lr, shape: [1, 2, 12, 30, 20] });
      expect(sr.shape).toEqual([1, 1, 3, 156, 156]);
    } finally {
      engine.dispose();
    }
  });

  it('leaves graphs of another shape alone: no predictUnresized, auto tiling falls back to chips', async () => {
    const model = decodeOnnxModel(bytes);
    const resize = model.graph.node?.find((n) => n.opType === 'Resize');
    if (!resize) throw new Error('export has no Resize');
    resize.opType = 'Upsample'; // not the exporter's pattern (the graph is never run)
    expect(exposeUnresizedOutput(encodeOnnxModel(model)).name).toBeNull();
    expect(exposeUnresizedOutput(new Uint8Array([1, 2, 3])).name).toBeNull();
  });

  it('files without the srnet config metadata are run as they are (no predictUnresized)', async () => {
    const model = decodeOnnxModel(bytes);
    const foreign = encodeOnnxModel({ ...model, metadataProps: [] });
    const engine = await createOnnxEngine(foreign, { config, intraOpNumThreads: 1 });
    try {
      expect(engine.predictUnresized).toBeUndefined();
      const scene = [0, 1].map((r) => makeRevisit(60, 55, ramp(r)));
      expect((await superResolve(scene, { engine })).tiling).toBe('chips');
    } finally {
      engine.dispose();
    }
  });
});
