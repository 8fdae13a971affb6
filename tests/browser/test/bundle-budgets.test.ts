// Bundle budgets (esbuild, minified, code splitting; gzip of every chunk loaded before the first await): what a
// web app pays for importing each library. Lazy chunks (codecs, the other TF.js backends) are not counted.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { pagesDir, removeDir } from './support/harness.js';

const KiB = 1024;
/** srnet's descriptor + ONNX web engine before onnxruntime-web loads (protobufjs for the graph checks). */
const ONNX_WEB_BUDGET_KIB = 150;
const outdir = mkdtempSync(join(tmpdir(), 'worldstrat-browser-'));
afterAll(() => removeDir(outdir));

/**
 * Gzip bytes of the entry chunk and everything it imports statically (transitively); the lazy chunks; and the
 * source files that went into the eager and into any chunk.
 */
async function eagerGzip(
  entry: string,
): Promise<{ eager: number; lazy: string[]; eagerInputs: string[]; lazyInputs: string[] }> {
  const out = join(outdir, entry.replace(/\W/g, '_'));
  const { metafile } = await build({
    entryPoints: [join(pagesDir, 'budget', entry)],
    bundle: true,
    splitting: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: out,
    metafile: true,
    logLevel: 'error',
  });
  const outputs = (metafile as Metafile).outputs;
  const cwd = process.cwd();
  // Dynamic-import targets are entry points too; ours is the one built from the page file.
  const entryOut = Object.keys(outputs).find((k) =>
    outputs[k]?.entryPoint?.endsWith(`pages/budget/${entry}`),
  );
  if (!entryOut) throw new Error(`esbuild produced no output for ${entry}`);
  const seen = new Set<string>();
  const lazy = new Set<string>();
  const visit = (k: string) => {
    if (seen.has(k)) return;
    seen.add(k);
    for (const imp of outputs[k]?.imports ?? []) {
      if (imp.external) continue;
      if (imp.kind === 'dynamic-import') lazy.add(imp.path);
      else visit(imp.path);
    }
  };
  visit(entryOut);
  let eager = 0;
  for (const k of seen) eager += gzipSync(readFileSync(join(cwd, k)), { level: 9 }).length;
  const inputsOf = (keys: Iterable<string>) => [...keys].flatMap((k) => Object.keys(outputs[k]?.inputs ?? {}));
  const lazyOnly = [...lazy].filter((l) => !seen.has(l));
  return { eager, lazy: lazyOnly, eagerInputs: inputsOf(seen), lazyInputs: inputsOf(Object.keys(outputs)) };
}

describe('bundle budgets (gzip)', () => {
  it.each([
    ['metrics.ts', 20],
    ['raster-io.ts', 170],
    ['srnet-wasm.ts', 400],
  ] as const)('%s ≤ %i KiB', async (entry, budget) => {
    const { eager, lazy } = await eagerGzip(entry);
    console.log(`${entry}: ${(eager / KiB).toFixed(1)} KiB gzip eager, ${lazy.length} lazy chunks`);
    expect(eager).toBeGreaterThan(1 * KiB); // really bundled something
    expect(eager).toBeLessThanOrEqual(budget * KiB);
    if (entry === 'srnet-wasm.ts') expect(lazy.length).toBeGreaterThanOrEqual(2); // webgpu, webgl, cpu stay lazy
  });
});

describe('onnxruntime-web (srnet in the browser)', () => {
  const ortWeb = (inputs: string[]) => inputs.filter((i) => i.includes('onnxruntime-web')).length;

  it('srnet without its ONNX web engine bundles no onnxruntime-web at all', async () => {
    const { eagerInputs, lazyInputs } = await eagerGzip('srnet-wasm.ts');
    expect(eagerInputs.length).toBeGreaterThan(10);
    expect(ortWeb(lazyInputs)).toBe(0);
  });

  it('the ONNX web engine keeps onnxruntime-web in a lazy chunk', async () => {
    const { eager, lazy, eagerInputs, lazyInputs } = await eagerGzip('srnet-onnx-web.ts');
    console.log(`srnet-onnx-web.ts: ${(eager / KiB).toFixed(1)} KiB gzip eager, ${lazy.length} lazy chunks`);
    expect(eagerInputs.some((i) => i.includes('descriptor-engine'))).toBe(true);
    expect(ortWeb(eagerInputs)).toBe(0);
    expect(ortWeb(lazyInputs)).toBeGreaterThan(0);
    expect(eager).toBeLessThanOrEqual(ONNX_WEB_BUDGET_KIB * KiB);
  });
});

describe('land mask scales (geo-sampling)', () => {
  it('each Natural Earth scale is its own lazy chunk: samplePointsOnLand loads only the scale it uses', async () => {
    const { eager, lazy } = await eagerGzip('land-mask.ts');
    console.log(`land-mask.ts: ${(eager / KiB).toFixed(1)} KiB gzip eager, lazy: ${lazy.join(', ')}`);
    const scales = ['10m', '50m', '110m'].map((s) => lazy.filter((l) => l.includes(`land-${s}`)).length);
    expect(scales).toEqual([1, 1, 1]);
    // geo-sampling with proj4, geographiclib and topojson-client; the topologies (50m: ~0.3 MiB gzip) stay out
    expect(eager).toBeLessThanOrEqual(80 * KiB);
  });
});
