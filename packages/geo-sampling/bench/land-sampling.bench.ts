// Benchmark: 1,000,000 uniform land points with the embedded Natural Earth 1:10m mask (target < 10 s).
// Prints points/s, the mask build time and the share of lookups that needed the exact coastline test.
import { expect, it } from 'vitest';
import { createRng, loadLandMask } from '../src/index.js';
import { samplePointsOnLandSync } from '../src/sphere/sample-points-on-land.js';
import { uniformLonLat } from '../src/sphere/sample-points-on-sphere.js';

const N = Number(process.env.BENCH_POINTS ?? 1_000_000);

it(`samples ${N} land points`, async () => {
  const t0 = performance.now();
  const mask = await loadLandMask();
  const tLoad = performance.now() - t0;
  const t1 = performance.now();
  const pts = samplePointsOnLandSync(N, mask, { seed: 1 });
  const secs = (performance.now() - t1) / 1000;
  expect(pts).toHaveLength(N);
  // Lookup throughput alone, on uniform sphere points.
  const rng = createRng(2);
  const M = 2_000_000;
  const coords = new Float64Array(2 * M);
  for (let i = 0; i < M; i++) [coords[2 * i], coords[2 * i + 1]] = uniformLonLat(rng);
  const t2 = performance.now();
  let land = 0;
  for (let i = 0; i < M; i++) if (mask.isLand(coords[2 * i], coords[2 * i + 1])) land++;
  const lookupSecs = (performance.now() - t2) / 1000;
  // How often the exact coastline test runs, and how much the Natural Earth scale changes the answer.
  const coast = (m: typeof mask) => {
    let c = 0;
    for (let i = 0; i < 200_000; i++) if (m.cellKind(coords[2 * i], coords[2 * i + 1]) === 'coast') c++;
    return c / 200_000;
  };
  const fine = await loadLandMask({ cellsPerDegree: 60 });
  const mid = await loadLandMask({ scale: '50m' });
  let scaleDiff = 0;
  for (let i = 0; i < 200_000; i++)
    if (mask.isLand(coords[2 * i], coords[2 * i + 1]) !== mid.isLand(coords[2 * i], coords[2 * i + 1]))
      scaleDiff++;
  console.log(
    `land mask: coastline-cell share of uniform points ${(100 * coast(mask)).toFixed(2)} % at 30 cells/° ` +
      `(build ${mask.stats.buildMs.toFixed(0)} ms), ${(100 * coast(fine)).toFixed(2)} % at 60 cells/° (build ${fine.stats.buildMs.toFixed(0)} ms); ` +
      `1:10m vs 1:50m disagree on ${((100 * scaleDiff) / 200_000).toFixed(3)} % of uniform points`,
  );
  console.log(
    `land sampling: ${N} points in ${secs.toFixed(2)} s = ${Math.round(N / secs).toLocaleString('en')} points/s ` +
      `(target < 10 s, ratio ${(secs / 10).toFixed(3)} of budget); mask load+build ${tLoad.toFixed(0)} ms ` +
      `(build ${mask.stats.buildMs.toFixed(0)} ms, ${mask.stats.mixedCells} coastline cells of ${mask.stats.totalCells}); ` +
      `isLand: ${Math.round(M / lookupSecs).toLocaleString('en')} lookups/s, land fraction ${(land / M).toFixed(4)}`,
  );
});
