// resize() (separable, precomputed float32 taps) vs a plain per-pixel implementation that recomputes the
// antialiased 2-D weights for every output pixel. Prints ms per call and the speed-up, measured in one run.
// BENCH_REPEATS (default 5) sets the number of timed calls per case.
import { performance } from 'node:perf_hooks';
import { expect, it } from 'vitest';
import { type GeoTransform, type Raster, resize, warpRaster } from '../src/index.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

/** Naive torchvision-style AA bilinear: non-separable, weights recomputed per output pixel (float64). */
function naiveAaBilinear(
  data: Float32Array,
  [p, h, w]: [number, number, number],
  [oh, ow]: [number, number],
): Float32Array {
  const out = new Float32Array(p * oh * ow);
  const axis = (inSize: number, outSize: number, o: number) => {
    const scale = inSize / outSize;
    const support = scale >= 1 ? scale : 1;
    const inv = scale >= 1 ? 1 / scale : 1;
    const center = scale * (o + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    const ws: number[] = [];
    let tot = 0;
    for (let j = xmin; j < xmax; j++) {
      const v = Math.max(0, 1 - Math.abs((j - center + 0.5) * inv));
      ws.push(v);
      tot += v;
    }
    return { xmin, ws: ws.map((v) => v / tot) };
  };
  for (let c = 0; c < p; c++)
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++) {
        const ay = axis(h, oh, y);
        const ax = axis(w, ow, x);
        let acc = 0;
        for (let j = 0; j < ay.ws.length; j++)
          for (let i = 0; i < ax.ws.length; i++)
            acc +=
              (ay.ws[j] as number) *
              (ax.ws[i] as number) *
              (data[c * h * w + (ay.xmin + j) * w + ax.xmin + i] as number);
        out[c * oh * ow + y * ow + x] = acc;
      }
  return out;
}

function time(fn: () => Float32Array): { ms: number; out: Float32Array } {
  let out = fn(); // warm-up (also fills resize's tap cache, as repeated pipeline calls do)
  const t0 = performance.now();
  for (let r = 0; r < REPEATS; r++) out = fn();
  return { ms: (performance.now() - t0) / REPEATS, out };
}

for (const [name, shape, size] of [
  ['LR 12×158×158 → 160 (AA bilinear)', [12, 158, 158], [160, 160]],
  ['HR 1×1054×1054 → 500 (AA bilinear)', [1, 1054, 1054], [500, 500]],
] as const) {
  it(name, () => {
    const n = shape[0] * shape[1] * shape[2];
    const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.001) + (i % 7) * 0.01);
    const ours = time(() => resize(data, shape, size, { method: 'bilinear', antialias: true }));
    const naive = time(() => naiveAaBilinear(data, [...shape], [...size]));
    let maxDiff = 0;
    for (let i = 0; i < ours.out.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs((ours.out[i] as number) - (naive.out[i] as number)));
    console.log(
      `${name}: resize ${ours.ms.toFixed(2)} ms, naive per-pixel ${naive.ms.toFixed(2)} ms, speed-up ${(naive.ms / ours.ms).toFixed(1)}×, max |diff| ${maxDiff.toExponential(1)}`,
    );
    // torch (and we) round the filter centre to float32: at x ≈ 1054 that is a 6e-5 px shift, so a float64
    // reference differs by up to ~2e-5 × the value range (here ≈ 2)
    expect(maxDiff).toBeLessThan(1e-4);
  });
}

it('warp 1054² UTM 33N → 34N bilinear: exact vs approximate transformer (0.125 px)', () => {
  const w = 1054;
  const band = Float32Array.from({ length: w * w }, (_, i) => (i % w) + Math.floor(i / w));
  const src: Raster = {
    width: w,
    height: w,
    dtype: 'float32',
    bands: [band],
    geo: { epsg: 32633, transform: [600000, 10, 0, 5800000, 0, -10] },
  };
  const grid = {
    epsg: 32634,
    transform: [190000, 10, 0, 5810000, 0, -10] as GeoTransform,
    width: w,
    height: w,
  };
  const t0 = performance.now();
  const exact = warpRaster(src, grid, { method: 'bilinear' }).bands[0] as Float32Array;
  const tExact = performance.now() - t0;
  const t1 = performance.now();
  const approx = warpRaster(src, grid, { method: 'bilinear', errorThresholdPx: 0.125 })
    .bands[0] as Float32Array;
  const tApprox = performance.now() - t1;
  let maxDiff = 0;
  for (let i = 0; i < exact.length; i++) {
    const d = Math.abs((exact[i] as number) - (approx[i] as number));
    if (!Number.isNaN(d)) maxDiff = Math.max(maxDiff, d);
  }
  console.log(
    `warp 1054² bilinear: exact ${tExact.toFixed(0)} ms, approx (0.125 px) ${tApprox.toFixed(0)} ms, speed-up ${(tExact / tApprox).toFixed(1)}×, max |diff| ${maxDiff.toFixed(3)} (gradient 1/px)`,
  );
  expect(maxDiff).toBeLessThanOrEqual(0.25 + 1e-3);
});
