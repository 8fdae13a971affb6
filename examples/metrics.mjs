// Example (metrics): registered cPSNR / cSSIM of a prediction that is shifted by one pixel and brighter than
// the target, in both metric modes ('centered' = corrected default, 'worldstrat' = upstream bit-for-bit).
// Run after `pnpm build`: node examples/metrics.mjs
import { pathToFileURL } from 'node:url';
import { createRng } from '@worldstrat/geo-sampling';
import { registeredMetrics } from '@worldstrat/metrics';
import { sceneRgbn, synthesizeScene } from 'worldstrat';

export async function main({ size = 156 } = {}) {
  const scene = synthesizeScene(createRng(3), { size: size + 4, kind: 'Settlement' });
  const rgb = sceneRgbn(scene).slice(0, 3);
  const n = size + 4;
  const target = new Float32Array(3 * size * size);
  const pred = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        target[(c * size + y) * size + x] = rgb[c][(y + 2) * n + x + 2];
        pred[(c * size + y) * size + x] = rgb[c][(y + 2) * n + x + 3] + 0.03; // one pixel to the right, brighter
      }
    }
  }
  const shape = [1, 3, size, size];
  const result = {};
  for (const mode of ['centered', 'worldstrat']) {
    const [m] = registeredMetrics(pred, target, shape, { mode });
    result[mode] = m;
    console.log(
      `${mode.padEnd(10)} cPSNR ${m.psnr.toFixed(2)} dB · cSSIM ${m.cssim.toFixed(4)} · chosen shift [${m.shift.join(', ')}] px`,
    );
  }
  let mse = 0;
  for (let i = 0; i < pred.length; i++) mse += (pred[i] - target[i]) ** 2;
  console.log(
    `plain PSNR (no registration, no bias correction): ${(-10 * Math.log10(mse / pred.length)).toFixed(2)} dB`,
  );
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
