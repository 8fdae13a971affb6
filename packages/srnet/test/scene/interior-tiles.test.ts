// Interior scene tiles (a full margin on every side) run through a zero-padded copy of the exported graph: the
// same core pixels as the reflect-padded graph, one live ORT session at a time, edge tiles first.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { SrnetError } from '../../src/errors.js';
import { resolveModelConfig } from '../../src/models/config.js';
import { exportOnnx } from '../../src/onnx/export-onnx.js';
import { createOnnxEngine } from '../../src/onnx/onnx-engine.node.js';
import { decodeOnnxModel } from '../../src/onnx/onnx-proto.js';
import {
  createOnnxEngineOn,
  exposeUnresizedOutput,
  type OrtLike,
  type OrtSessionLike,
  zeroPaddedGraph,
} from '../../src/onnx/onnx-session.js';
import { superResolve } from '../../src/scene/super-resolve.js';
import { MIN_INTERIOR_TILES, planTileGrid, receptiveRadius, tileOrder } from '../../src/scene/tile-plan.js';
import { randomStateDict } from '../onnx/reference-forward.js';
import { makeRevisit, maxAbsDiff, ramp } from './scene-helpers.js';

const wavy = (r: number) => (x: number, y: number, b: number) =>
  ramp(r)(x, y, b) + 0.03 * Math.sin(x / 3 + b) * Math.cos(y / 4 - r);

const srcnn = resolveModelConfig({ kind: 'srcnn', revisits: 2, hiddenChannels: 8, residualLayers: 1 });
const hrn = resolveModelConfig({ kind: 'highresnet', revisits: 3, hiddenChannels: 8, residualLayers: 0 });

describe('zeroPaddedGraph', () => {
  for (const [label, config] of [
    ['SRCNN', srcnn],
    ['HighRes-net R=3', hrn],
  ] as const) {
    it(`${label}: every reflect Pad becomes its Conv's zero padding; nothing else changes`, () => {
      const bytes = exposeUnresizedOutput(exportOnnx(config, randomStateDict(config, 5))).bytes;
      const before = decodeOnnxModel(bytes).graph;
      const pads = (before.node ?? []).filter((n) => n.opType === 'Pad');
      expect(pads.length).toBeGreaterThan(3);
      const out = zeroPaddedGraph(bytes);
      if (!out) throw new Error('no zero-padded graph');
      const after = decodeOnnxModel(out).graph;
      expect((after.node ?? []).filter((n) => n.opType === 'Pad')).toEqual([]);
      expect(after.node?.length).toBe((before.node?.length ?? 0) - pads.length);
      const convs = (after.node ?? []).filter((n) => n.opType === 'Conv');
      const k3 = convs.filter((c) => c.attribute?.find((a) => a.name === 'kernel_shape')?.ints?.[0] === 3);
      expect(k3.length).toBe(pads.length);
      for (const c of k3) expect(c.attribute?.find((a) => a.name === 'pads')?.ints).toEqual([1, 1, 1, 1]);
      // the Pads' amounts are gone with them, every other initializer stays
      const names = new Set(after.initializer?.map((t) => t.name));
      for (const p of pads) expect(names.has(p.input[1])).toBe(false);
      expect(after.initializer?.length).toBe((before.initializer?.length ?? 0) - pads.length);
      expect(after.output).toEqual(before.output);
      // nothing left to fold, and bytes that are no ONNX model
      expect(zeroPaddedGraph(out)).toBeNull();
      expect(zeroPaddedGraph(new Uint8Array([1, 2, 3]))).toBeNull();
    });
  }

  it('an interior tile gives the same core through either graph; its border pixels differ', async () => {
    const make = (zeroPadInterior: boolean) =>
      createOnnxEngine(
        { config: hrn, stateDict: randomStateDict(hrn, 9) },
        { intraOpNumThreads: 1, zeroPadInterior },
      );
    const [a, b] = await Promise.all([make(true), make(false)]);
    try {
      const H = 48;
      const W = 44;
      const data = new Float32Array(3 * 12 * H * W).map(
        (_, i) => 0.2 + 0.1 * Math.sin(i / 7) * Math.cos(i / 131),
      );
      const input = { data, shape: [1, 3, 12, H, W] as [number, number, number, number, number] };
      const zero = await a.predictUnresized?.(input, { interior: true });
      const reflect = await b.predictUnresized?.(input, { interior: true });
      const edge = await a.predictUnresized?.(input); // the graph as exported
      if (!zero || !reflect || !edge) throw new Error('no unresized output');
      expect(zero.shape).toEqual([1, 1, 3, 2 * H, 2 * W]);
      const r = 2 * receptiveRadius(hrn); // zoomed px of border influenced by the padding
      let core = 0;
      let border = 0;
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < 2 * H; y++) {
          for (let x = 0; x < 2 * W; x++) {
            const i = (c * 2 * H + y) * 2 * W + x;
            const d = Math.abs((zero.data[i] as number) - (reflect.data[i] as number));
            expect(edge.data[i]).toBe(reflect.data[i]);
            const inCore = y >= r && y < 2 * H - r && x >= r && x < 2 * W - r;
            if (inCore) core = Math.max(core, d);
            else border = Math.max(border, d);
          }
        }
      }
      expect(core).toBeLessThanOrEqual(1e-5);
      expect(border).toBeGreaterThan(1e-3); // the zero-padded graph really ran
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

describe('tileOrder', () => {
  it('edge tiles first, then interior ones, flagged; below the minimum none is flagged', () => {
    const g = planTileGrid(125, 125, [390, 390], [3.12, 3.12], 40, 12);
    const n = g.x.inStart.length;
    expect(n).toBeGreaterThanOrEqual(4);
    const { order, interior } = tileOrder(g, 125, 125);
    expect([...order].sort((p, q) => p - q)).toEqual([...Array(g.count).keys()]);
    const inner = (n - 2) ** 2;
    expect(interior.filter(Boolean).length).toBe(inner);
    expect(order.slice(-inner).every((t) => interior[t])).toBe(true);
    expect(order.slice(0, g.count - inner).some((t) => interior[t])).toBe(false);
    for (const t of order.slice(-inner)) {
      const tx = t % n;
      const ty = Math.floor(t / n);
      expect(g.x.inStart[tx]).toBeGreaterThan(0);
      expect(g.y.inEnd[ty]).toBeLessThan(125);
    }
    // 3 × 3 tiles: one interior tile is not worth two graph switches
    const small = planTileGrid(70, 70, [218, 218], [3.12, 3.12], 40, 12);
    expect(small.count).toBe(9);
    expect(MIN_INTERIOR_TILES).toBeGreaterThan(1);
    expect(tileOrder(small, 70, 70)).toEqual({ order: [...Array(9).keys()], interior: Array(9).fill(false) });
  });
});

/** onnxruntime-node with every session start, run and release recorded. */
function recordingOrt() {
  const ort = createRequire(import.meta.url)('onnxruntime-node') as OrtLike;
  const log: string[] = [];
  let live = 0;
  let maxLive = 0;
  let created = 0;
  const wrapped: OrtLike = {
    Tensor: ort.Tensor,
    InferenceSession: {
      async create(bytes: Uint8Array, options?: object): Promise<OrtSessionLike> {
        const kind = decodeOnnxModel(bytes).graph.node?.some((n) => n.opType === 'Pad') ? 'reflect' : 'zero';
        const session = await ort.InferenceSession.create(bytes, options);
        created++;
        maxLive = Math.max(maxLive, ++live);
        log.push(`start ${kind}`);
        return {
          run: (feeds, fetches) => {
            log.push(kind);
            return session.run(feeds, fetches);
          },
          release: async () => {
            live--;
            log.push(`release ${kind}`);
            await session.release();
          },
        };
      },
    },
  };
  return { ort: wrapped, log, stats: () => ({ live, maxLive, created }) };
}

describe('superResolve over interior tiles', () => {
  const scene = [0, 1, 2].map((r) => makeRevisit(125, 125, wavy(r)));

  it('equals the reflect-only run, with one live session and two switches per scene', async () => {
    const rec = recordingOrt();
    const source = { config: hrn, stateDict: randomStateDict(hrn, 4) };
    const engine = await createOnnxEngineOn(rec.ort, source, {}, { intraOpNumThreads: 1 });
    const plain = await createOnnxEngine(source, { intraOpNumThreads: 1, zeroPadInterior: false });
    try {
      const res = await superResolve(scene, { engine, tileSize: 40 });
      const ref = await superResolve(scene, { engine: plain, tileSize: 40 });
      const grid = res.tiles;
      if (!grid) throw new Error('not seamless');
      const inner = (grid.x.inStart.length - 2) * (grid.y.inStart.length - 2);
      expect(inner).toBeGreaterThanOrEqual(MIN_INTERIOR_TILES);
      expect(maxAbsDiff(res.raster, ref.raster)).toBeLessThanOrEqual(1e-5);
      const band = res.raster.bands[0] as Float32Array;
      const lo = band.reduce((m, v) => Math.min(m, v), Infinity);
      const hi = band.reduce((m, v) => Math.max(m, v), -Infinity);
      expect(hi - lo).toBeGreaterThan(0.05);
      const runs = rec.log.filter((l) => l === 'reflect' || l === 'zero');
      expect(runs).toEqual([...Array(grid.count - inner).fill('reflect'), ...Array(inner).fill('zero')]);
      expect(rec.log.filter((l) => l.startsWith('start'))).toEqual(['start reflect', 'start zero']);
      // the next scene switches back for its edge tiles, then to the zero-padded graph again
      const before = rec.log.length;
      await superResolve(scene, { engine, tileSize: 40 });
      expect(rec.stats()).toMatchObject({ maxLive: 1, created: 4, live: 1 });
      expect(rec.log.slice(before).filter((l) => !/^(reflect|zero)$/.test(l))).toEqual([
        'release zero',
        'start reflect',
        'release reflect',
        'start zero',
      ]);
      // chips and edge tiles always run the graph as exported
      await engine.predict({ data: new Float32Array(3 * 12 * 50 * 50).fill(0.1), shape: [1, 3, 12, 50, 50] });
      expect(rec.log.at(-1)).toBe('reflect');
      engine.dispose();
      await new Promise((r) => setTimeout(r, 50));
      expect(rec.stats().live).toBe(0);
    } finally {
      engine.dispose();
      plain.dispose();
    }
  });

  it('zeroPadInterior must be a boolean', async () => {
    const source = { config: hrn, stateDict: randomStateDict(hrn, 4) };
    const err = await createOnnxEngine(source, { zeroPadInterior: 'yes' as unknown as boolean }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(SrnetError);
    expect(err).toMatchObject({ code: 'BAD_CONFIG' });
    expect(String(err.message)).toMatch(/zeroPadInterior/);
  });
});
