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
const ONNX_WEB_BUDGET_KIB = 120;
const outdir = mkdtempSync(join(tmpdir(), 'worldstrat-browser-'));
afterAll(() => removeDir(outdir));

/**
 * Gzip bytes of the entry chunk and everything it imports statically (transitively); the lazy chunks; and the
 * source files in the eager chunks and in every chunk the entry can load.
 */
async function eagerGzip(
  entry: string,
  alias?: Record<string, string>,
): Promise<{
  eager: number;
  lazy: string[];
  eagerInputs: string[];
  reachableInputs: string[];
  externals: string[];
}> {
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
    ...(alias ? { alias } : {}),
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
  // esbuild also emits chunks for dynamic imports in tree-shaken modules; nothing loads those, so only chunks
  // reachable from the entry (static or dynamic imports) count as what a page can load.
  const reachable = new Set<string>();
  const walk = (k: string) => {
    if (reachable.has(k)) return;
    reachable.add(k);
    for (const imp of outputs[k]?.imports ?? []) if (!imp.external) walk(imp.path);
  };
  walk(entryOut);
  const inputsOf = (keys: Iterable<string>) =>
    [...keys].flatMap((k) => Object.keys(outputs[k]?.inputs ?? {}));
  const lazyOnly = [...lazy].filter((l) => !seen.has(l));
  const externals = [...reachable].flatMap((k) =>
    (outputs[k]?.imports ?? []).filter((i) => i.external).map((i) => i.path),
  );
  return {
    eager,
    lazy: lazyOnly,
    eagerInputs: inputsOf(seen),
    reachableInputs: inputsOf(reachable),
    externals,
  };
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
    const { eagerInputs, reachableInputs } = await eagerGzip('srnet-wasm.ts');
    expect(eagerInputs.length).toBeGreaterThan(10);
    expect(reachableInputs.some((i) => i.includes('tfjs-backend-webgl'))).toBe(true); // lazy chunks are walked
    expect(ortWeb(reachableInputs)).toBe(0);
  });

  it('the ONNX web engine keeps onnxruntime-web in a lazy chunk', async () => {
    const { eager, lazy, eagerInputs, reachableInputs } = await eagerGzip('srnet-onnx-web.ts');
    console.log(`srnet-onnx-web.ts: ${(eager / KiB).toFixed(1)} KiB gzip eager, ${lazy.length} lazy chunks`);
    expect(eagerInputs.some((i) => i.includes('descriptor-engine'))).toBe(true);
    expect(ortWeb(eagerInputs)).toBe(0);
    expect(ortWeb(reachableInputs)).toBeGreaterThan(0);
    expect(eager).toBeLessThanOrEqual(ONNX_WEB_BUDGET_KIB * KiB);
  });
  it('an app without onnxruntime-web installed still bundles the ONNX web engine (its import is left external, to fail at run time)', async () => {
    // Aliasing the package to a name that is not installed makes esbuild see it missing, as in such an app.
    const { eager, reachableInputs, externals } = await eagerGzip('srnet-onnx-web.ts', {
      'onnxruntime-web': 'worldstrat-test-not-installed',
    });
    expect(ortWeb(reachableInputs)).toBe(0);
    expect(externals).toContain('onnxruntime-web/wasm');
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
