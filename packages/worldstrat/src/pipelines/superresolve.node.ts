// `superresolve` / `infer` pipeline: local Sentinel-2 revisit GeoTIFFs (files, or a release-layout revisit
// folder) + a weights file (.safetensors on TF.js or ONNX Runtime, .onnx on ONNX Runtime) → SR GeoTIFF + PNG,
// through @worldstrat/srnet's whole-scene chipping/blending and atomic writer.
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Raster } from '@worldstrat/raster-io';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import { superResolveToFile } from '@worldstrat/srnet/node';
import { throwIfAborted, WorldStratError } from '../errors.js';
import { type EngineChoice, loadWeightsEngine } from './evaluate-models.node.js';
import { definePipeline } from './pipeline.js';

/** Options of the superresolve pipeline. */
export interface SuperresolveOptions {
  /** Revisit GeoTIFFs (co-registered L2A, 12 bands), or one folder holding `*-L2A_data.tiff` files. */
  inputs: readonly string[];
  /** Weights: `.safetensors` (PyTorch-layout state_dict) or `.onnx` (srnet export). */
  weights: string;
  /** Output GeoTIFF path (float32, deflate). */
  out: string;
  /** PNG quicklook path. Default: `out` with `.png`. `false` to skip. */
  quicklook?: string | false;
  /** Inference engine. Default 'onnx' for .onnx files, else 'tfjs'. */
  engine?: EngineChoice;
  /** LR chip overlap (0 or 25). Default srnet's (25). */
  overlap?: number;
  /** Chips per inference batch. Default 8. */
  batchSize?: number;
  /** Use `*-CLM.tiff` masks found next to the revisits (cloudy pixels count as bad when selecting). Default true. */
  cloudMasks?: boolean;
  /** Inputs hold L2A DN instead of reflectance: reflectance = DN·scale + offset. */
  reflectance?: { scale?: number; offset?: number };
}

/** Result of the superresolve pipeline. */
export interface SuperresolveResult {
  out: string;
  quicklook?: string;
  engine: string;
  model: { kind: string; revisits: number };
  inputs: string[];
  /** Revisits used (indices into `inputs`). */
  used: number[];
  width: number;
  height: number;
  bytes: number;
  validFraction: number;
  seconds: number;
}

const natural = new Intl.Collator('en', { numeric: true });

/**
 * Expand inputs: a folder becomes its `*-L2A_data.tiff` files (natural order, like the release's revisit n);
 * files are kept in the given order.
 *
 * @param inputs - files and/or one folder.
 * @returns revisit paths.
 * @throws {WorldStratError} `DATASET_NOT_FOUND` for a missing path; `INVALID_ARGUMENT` when nothing is found.
 */
export async function expandRevisitInputs(inputs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of inputs) {
    if (!existsSync(p)) throw new WorldStratError('DATASET_NOT_FOUND', `revisit input ${p} does not exist`);
    if (statSync(p).isDirectory()) {
      const files = (await readdir(p)).filter((f) => /L2A_data\.tiff?$/i.test(f)).sort(natural.compare);
      out.push(...files.map((f) => join(p, f)));
    } else out.push(p);
  }
  if (out.length === 0)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `no revisit GeoTIFFs in ${inputs.join(', ')}; pass *-L2A_data.tiff files or a folder holding them`,
    );
  return out;
}

/** `superresolve`: revisits + weights → SR GeoTIFF + PNG quicklook (atomic writes; Ctrl-C leaves no file). */
export const superresolvePipeline = definePipeline<SuperresolveOptions, SuperresolveResult>({
  name: 'superresolve',
  description:
    'super-resolve local Sentinel-2 revisit GeoTIFFs with SRCNN / HighRes-net weights → GeoTIFF + PNG',
  async run(options, context = {}) {
    const t0 = performance.now();
    const inputs = await expandRevisitInputs(options.inputs);
    const engineKind: EngineChoice = options.engine ?? (options.weights.endsWith('.onnx') ? 'onnx' : 'tfjs');
    const engine = await loadWeightsEngine(options.weights, engineKind);
    try {
      context.log?.(
        `${engine.config.kind} R=${engine.config.revisits} on ${engine.name}; ${inputs.length} revisit file(s)`,
      );
      const scene: Raster[] = [];
      const masks: (Raster | undefined)[] = [];
      for (const [i, p] of inputs.entries()) {
        throwIfAborted(context.signal);
        scene.push(await readGeoTiffFile(p, { signal: context.signal }));
        const clm = p.replace(/L2A_data(\.tiff?)$/i, 'CLM$1');
        masks.push(
          options.cloudMasks !== false && clm !== p && existsSync(clm)
            ? await readGeoTiffFile(clm)
            : undefined,
        );
        context.onProgress?.({ stage: 'read', done: i + 1, total: inputs.length });
      }
      const quicklook =
        options.quicklook === false
          ? undefined
          : (options.quicklook ?? `${options.out.replace(/\.tiff?$/i, '')}.png`);
      const r = await superResolveToFile(scene, options.out, {
        engine,
        ...(quicklook ? { quicklookPath: quicklook } : {}),
        ...(options.overlap !== undefined ? { overlap: options.overlap } : {}),
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        ...(masks.some(Boolean) ? { cloudMasks: masks } : {}),
        ...(options.reflectance ? { reflectance: options.reflectance } : {}),
        ...(context.signal ? { signal: context.signal } : {}),
        onProgress: (p) => context.onProgress?.({ stage: p.stage, done: p.done, total: p.total }),
      });
      let valid = 0;
      for (const v of r.validMask) valid += v;
      return {
        out: options.out,
        ...(quicklook ? { quicklook } : {}),
        engine: engine.name,
        model: { kind: engine.config.kind, revisits: engine.config.revisits },
        inputs,
        used: r.revisits.used,
        width: r.raster.width,
        height: r.raster.height,
        bytes: r.bytes,
        validFraction: valid / r.validMask.length,
        seconds: (performance.now() - t0) / 1000,
      };
    } finally {
      engine.dispose();
    }
  },
});
