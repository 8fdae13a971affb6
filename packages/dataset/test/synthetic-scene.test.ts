import { createRng } from '@worldstrat/geo-sampling';
import { describe, expect, it } from 'vitest';
import {
  COVER,
  degradeScene,
  drawRevisitParams,
  type SyntheticScene,
  sceneBand,
  sceneRgbn,
  synthesizeScene,
} from '../src/index.js';

function edgeScene(size: number, px: number): SyntheticScene {
  // Left half water, right half sand: a vertical edge at x = size/2 pixels.
  const classes = new Uint8Array(size * size);
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) classes[r * size + c] = c < size / 2 ? COVER.water : COVER.sand;
  return {
    kind: 'Other',
    width: size,
    height: size,
    pixelSizeM: px,
    classes,
    texture: new Float32Array(size * size).fill(1),
    features: { fields: 0, roads: 0, river: false, settlement: false, forestFraction: 0 },
  };
}

const clean = (shiftPx: [number, number]) => ({
  shiftPx,
  gain: new Array(12).fill(1),
  offset: new Array(12).fill(0),
  noiseSigma: 0,
  cloudTarget: 0,
  deltaDays: 0,
});

/** Sub-pixel column where a monotone row profile crosses the midpoint between its ends. */
function crossing(row: Float32Array): number {
  const mid = (row[0] + row[row.length - 1]) / 2;
  for (let j = 1; j < row.length; j++)
    if (row[j] >= mid) return j - 1 + (mid - row[j - 1]) / (row[j] - row[j - 1]);
  return Number.NaN;
}

describe('synthesizeScene', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = synthesizeScene(createRng(5), { size: 128, kind: 'Settlement' });
    const b = synthesizeScene(createRng(5), { size: 128, kind: 'Settlement' });
    const c = synthesizeScene(createRng(6), { size: 128, kind: 'Settlement' });
    expect(Buffer.from(a.classes).equals(Buffer.from(b.classes))).toBe(true);
    expect(Buffer.from(a.texture.buffer).equals(Buffer.from(b.texture.buffer))).toBe(true);
    expect(Buffer.from(a.classes).equals(Buffer.from(c.classes))).toBe(false);
  });

  it('paints structure: settlements have roads and roofs, forests are mostly forest', () => {
    const s = synthesizeScene(createRng(1), { size: 256, kind: 'Settlement' });
    const count = (sc: SyntheticScene, id: number) => sc.classes.reduce((n, v) => n + (v === id ? 1 : 0), 0);
    expect(count(s, COVER.road)).toBeGreaterThan(200);
    expect(
      count(s, COVER['roof-tile']) + count(s, COVER['roof-metal']) + count(s, COVER['roof-white']),
    ).toBeGreaterThan(500);
    const f = synthesizeScene(createRng(2), { size: 128, kind: 'Forest' });
    expect(f.features.forestFraction).toBeGreaterThan(0.5);
  });

  it('gives 4-band reflectances in realistic ranges', () => {
    const s = synthesizeScene(createRng(3), { size: 128, kind: 'Agriculture' });
    const [r, g, b, nir] = sceneRgbn(s);
    for (const band of [r, g, b, nir]) {
      for (const v of band) {
        expect(v).toBeGreaterThan(0.005);
        expect(v).toBeLessThan(0.7);
      }
    }
    const mean = (x: Float32Array) => x.reduce((a, v) => a + v, 0) / x.length;
    expect(mean(nir)).toBeGreaterThan(mean(r)); // vegetated: NIR plateau above red
    expect(() => sceneBand(s, 12)).toThrow(/band 12/);
    expect(() => synthesizeScene(createRng(1), { size: 8 })).toThrow(/size 8/);
  });
});

describe('degradeScene', () => {
  it('conserves the mean reflectance without drift, noise or clouds', () => {
    const s = synthesizeScene(createRng(4), { size: 200, kind: 'Agriculture' });
    const [rv] = degradeScene(s, [clean([0, 0])], createRng(0), { lrSize: 30 });
    expect(rv.bands).toHaveLength(12);
    const hr = sceneBand(s, 3);
    const mean = (x: Float32Array) => x.reduce((a, v) => a + v, 0) / x.length;
    expect(Math.abs(mean(rv.bands[3]) - mean(hr)) / mean(hr)).toBeLessThan(0.02);
    expect(rv.cloudFraction).toBe(0);
  });

  it('moves an edge by the drawn sub-pixel shift (10 m band)', () => {
    const s = edgeScene(200, 1.5); // 300 m; edge at 150 m = LR column 15
    const [a, b] = degradeScene(s, [clean([0, 0]), clean([0, 0.4])], createRng(0), { lrSize: 30 });
    const row = (band: Float32Array) => band.subarray(15 * 30, 16 * 30);
    const ca = crossing(row(a.bands[3]));
    const cb = crossing(row(b.bands[3]));
    expect(ca).toBeCloseTo(14.5, 1); // pixel centres at j + 0.5
    expect(ca - cb).toBeCloseTo(0.4, 1); // grid shifted right → edge appears 0.4 px earlier
  });

  it('blurs coarser bands more (PSF follows native resolution)', () => {
    const s = edgeScene(200, 1.5);
    const [rv] = degradeScene(s, [clean([0, 0])], createRng(0), { lrSize: 30 });
    // Edge width ∝ 1 / steepest normalised step across the edge.
    const width = (band: Float32Array) => {
      const r = band.subarray(15 * 30, 16 * 30);
      let step = 0;
      for (let j = 1; j < 30; j++) step = Math.max(step, Math.abs(r[j] - r[j - 1]) / Math.abs(r[29] - r[0]));
      return 1 / step;
    };
    expect(width(rv.bands[0])).toBeGreaterThan(width(rv.bands[4])); // B01 (60 m) > B05 (20 m)
    expect(width(rv.bands[4])).toBeGreaterThan(width(rv.bands[3])); // B05 (20 m) > B04 (10 m)
  });

  it('makes clouds that match the CLM mask', () => {
    const s = synthesizeScene(createRng(9), { size: 240, kind: 'Forest' });
    const p = { ...clean([0, 0]), cloudTarget: 0.35 };
    const [rv] = degradeScene(s, [p], createRng(1), { lrSize: 36 });
    expect(rv.cloudFraction).toBeGreaterThan(0.2);
    expect(rv.cloudFraction).toBeLessThan(0.5);
    let cloudy = 0;
    let clear = 0;
    let nc = 0;
    for (let i = 0; i < rv.clm.length; i++) {
      if (rv.clm[i]) {
        cloudy += rv.bands[1][i];
        nc++;
      } else clear += rv.bands[1][i];
    }
    expect(cloudy / nc).toBeGreaterThan(2 * (clear / (rv.clm.length - nc)));
  });

  it('draws reproducible revisit parameters within the stated ranges', () => {
    const a = drawRevisitParams(createRng(11), 16, { maxShiftPx: 0.5 });
    const b = drawRevisitParams(createRng(11), 16, { maxShiftPx: 0.5 });
    expect(a).toEqual(b);
    for (const p of a) {
      expect(Math.abs(p.shiftPx[0])).toBeLessThanOrEqual(0.5);
      expect(Math.abs(p.deltaDays)).toBeLessThanOrEqual(60);
      expect(p.gain).toHaveLength(12);
    }
    expect(a.some((p) => p.cloudTarget > 0)).toBe(true);
    expect(a.some((p) => p.cloudTarget === 0)).toBe(true);
  });
});
