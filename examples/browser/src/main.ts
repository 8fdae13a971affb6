// The page: wires the file pickers, backend choice and progress bar to superResolve(); draws LR and SR; offers
// the SR GeoTIFF for download. window.__worldstrat exposes the last result to the end-to-end test.
import type { BackendPreference } from '@worldstrat/srnet';
import { type SuperResolveResult, superResolve } from './pipeline.js';
import { syntheticSample } from './sample.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let sample: ReturnType<typeof syntheticSample> | undefined;

const bytesOf = async (f: File) => new Uint8Array(await f.arrayBuffer());

/** Draws the first three bands as RGB, stretched to the 2–98 % range of all of them. */
function draw(canvas: HTMLCanvasElement, width: number, height: number, bands: ArrayLike<number>[]) {
  const rgb = [0, 1, 2].map((k) => bands[Math.min(k, bands.length - 1)] as ArrayLike<number>);
  const all = rgb.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
  const lo = all[Math.floor(all.length * 0.02)] ?? 0;
  const hi = all[Math.floor(all.length * 0.98)] ?? 1;
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const img = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) img.data[4 * i + k] = (255 * ((rgb[k]?.[i] ?? 0) - lo)) / (hi - lo || 1);
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function show(r: SuperResolveResult) {
  draw($('lr-view'), r.lr.width, r.lr.height, r.lr.bands as ArrayLike<number>[]);
  draw($('sr-view'), r.sr.width, r.sr.height, r.sr.bands);
  $('scores').textContent = r.scores
    ? `registered scores vs HR: cPSNR ${r.scores.psnr.toFixed(2)} dB, cSSIM ${r.scores.cssim.toFixed(4)}, MSE ${r.scores.mse.toExponential(3)}`
    : 'no HR target given: no scores';
  const a = $<HTMLAnchorElement>('download');
  a.href = URL.createObjectURL(new Blob([r.geotiff as BlobPart], { type: 'image/tiff' }));
  a.hidden = false;
}

async function run() {
  $('error').textContent = '';
  const lrFiles = $<HTMLInputElement>('lr').files;
  const modelFile = $<HTMLInputElement>('model').files?.[0];
  const hrFile = $<HTMLInputElement>('hr').files?.[0];
  const fromFiles = lrFiles?.length && modelFile;
  if (!fromFiles && !sample)
    throw new Error('pick revisit GeoTIFFs and a .safetensors model, or use the sample');
  const revisits = fromFiles ? await Promise.all(Array.from(lrFiles).map(bytesOf)) : (sample?.revisits ?? []);
  const model = fromFiles ? await bytesOf(modelFile) : (sample?.model as Uint8Array);
  const hr = fromFiles ? (hrFile ? await bytesOf(hrFile) : undefined) : sample?.hr;
  const result = await superResolve({
    revisits,
    model,
    ...(hr ? { hr } : {}),
    backend: $<HTMLSelectElement>('backend').value as BackendPreference,
    wasmPaths: new URL('./wasm/', document.baseURI).href,
    onProgress: (f, stage) => {
      $<HTMLProgressElement>('progress').value = f;
      $('status').textContent = stage;
    },
  });
  $('status').textContent =
    `done on ${result.selection.backend}${result.selection.warning ? ` (${result.selection.warning})` : ''}`;
  show(result);
  (globalThis as { __worldstrat?: unknown }).__worldstrat = result;
}

$('sample').addEventListener('click', () => {
  sample = syntheticSample();
  $('status').textContent = 'sample loaded: 4 revisits, 3 bands, 16×16 → 32×32, untrained SRCNN';
});
$('run').addEventListener('click', () =>
  run().catch((e) => {
    $('error').textContent = String((e as Error).message ?? e);
    (globalThis as { __worldstratError?: string }).__worldstratError = String((e as Error).message ?? e);
  }),
);
