// Third-party SR models (ONNX + MLM descriptor) on onnxruntime-node: the engine, the whole-scene call and the
// descriptor/model file loader. The runtime-neutral part lives in descriptor-engine.ts.
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileBounded } from '@worldstrat/core/node';
import { type Raster, redactUrl } from '@worldstrat/raster-io';
import { SrnetError } from '../errors.js';
import { checkString } from '../internal/check-arguments.js';
import { loadOrtLike } from '../onnx/onnx-engine.node.js';
import { type SuperResolveOptions, type SuperResolveResult, superResolve } from '../scene/super-resolve.js';
import {
  checkDescriptorEngineArguments,
  createDescriptorEngineOn,
  type DescriptorEngine,
  type DescriptorModelOptions,
  descriptorError,
  descriptorSceneOptions,
} from './descriptor-engine.js';
import { MAX_DESCRIPTOR_BYTES, parseMlmDescriptor, type SrModelDescriptor } from './mlm-descriptor.js';

/** Largest ONNX file {@link loadModelDescriptor} reads (2 GiB, protobuf's own limit). */
const MAX_ONNX_BYTES = 2 ** 31 - 1;

/** Options of {@link createDescriptorEngine}. */
export interface DescriptorEngineOptions extends DescriptorModelOptions {
  /** ONNX Runtime intra-op threads (default: ORT's choice). */
  intraOpNumThreads?: number;
}

/**
 * Create an ONNX Runtime engine for a third-party SR model described by an MLM document. The engine takes
 * srnet's `(B, R, C, H, W)` input already scaled by the descriptor (superResolve does that with the
 * normalisation from {@link descriptorNormalisation}), applies the descriptor's clips, feeds the model in its own
 * layout and input name, and returns `(B, 1, C', H', W')`, mapped back to input units when `output` says so.
 *
 * @param descriptor - from {@link parseMlmDescriptor}.
 * @param onnx - the model bytes.
 * @param options - threads, tile size/scale for variable-size models, output units.
 * @returns an engine for {@link superResolve}; its `config` describes only the I/O shapes (kind `srcnn` for
 *   single-image models, `highresnet` for multi-revisit ones).
 * @throws SrnetError `BAD_MODEL_DESCRIPTOR`, `ARCHITECTURE_MISMATCH`, `BAD_ONNX`, `BACKEND_UNAVAILABLE`.
 * @example
 * const engine = await createDescriptorEngine(parseMlmDescriptor(json, 'sr.json'), onnxBytes);
 */
export function createDescriptorEngine(
  descriptor: SrModelDescriptor,
  onnx: Uint8Array,
  options: DescriptorEngineOptions = {},
): Promise<DescriptorEngine> {
  try {
    checkDescriptorEngineArguments('createDescriptorEngine', descriptor, onnx, options);
  } catch (err) {
    return Promise.reject(err);
  }
  const sessionOptions = {
    executionProviders: ['cpu'],
    executionMode: 'sequential',
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
  };
  return createDescriptorEngineOn(loadOrtLike, sessionOptions, descriptor, onnx, options);
}

/** Options of {@link superResolveWithDescriptor}. */
export interface SuperResolveWithDescriptorOptions
  extends Omit<SuperResolveOptions, 'engine' | 'bands' | 'normalisation' | 'chipSize'>,
    DescriptorEngineOptions {
  /** Names of the scene's raster bands (default: WorldStrat's 12 L2A bands B01…B12 for 12-band scenes). */
  sceneBands?: readonly string[];
}

/**
 * Super-resolve a scene with a described third-party model through srnet's whole-scene inference: the
 * descriptor picks and orders the bands, its value scaling becomes the normalisation, its tile size the chip
 * size, and the outputs are blended as for srnet's own models.
 *
 * @param scene - co-registered revisits (raster-io Rasters).
 * @param descriptor - from {@link parseMlmDescriptor} / {@link loadModelDescriptor}.
 * @param onnx - the model bytes.
 * @param options - `sceneBands`, overlap, batch size, reflectance conversion, threads, output units, …
 * @returns superResolve's result.
 * @throws SrnetError `BAD_MODEL_DESCRIPTOR`, `BAD_BANDS`, `ARCHITECTURE_MISMATCH`, plus superResolve's errors.
 * @example
 * const { descriptor, onnx } = await loadModelDescriptor('models/sr4x.json');
 * const { raster } = await superResolveWithDescriptor(revisits, descriptor, onnx, { overlap: 16 });
 */
export async function superResolveWithDescriptor(
  scene: Raster[],
  descriptor: SrModelDescriptor,
  onnx: Uint8Array,
  options: SuperResolveWithDescriptorOptions = {},
): Promise<SuperResolveResult> {
  checkDescriptorEngineArguments('superResolveWithDescriptor', descriptor, onnx, options);
  const { sceneBands, intraOpNumThreads, tileSize, scale, output, ...rest } = options;
  const engine = await createDescriptorEngine(descriptor, onnx, {
    intraOpNumThreads,
    tileSize,
    scale,
    output,
  });
  try {
    return await superResolve(scene, {
      ...rest,
      engine,
      ...descriptorSceneOptions(engine, scene, sceneBands),
    });
  } finally {
    engine.dispose();
  }
}

/**
 * Read an MLM descriptor file and the ONNX file its `mlm:model` asset points to (a path relative to the
 * descriptor, an absolute path or a `file:` URL; remote hrefs and other schemes are refused: download the model
 * first).
 *
 * @param path - the descriptor JSON file.
 * @returns the parsed descriptor, the ONNX bytes and the model's path.
 * @throws SrnetError `BAD_MODEL_DESCRIPTOR` (unreadable, too large, malformed, no local model asset).
 * @example
 * const { descriptor, onnx } = await loadModelDescriptor('models/sr4x.json');
 */
export async function loadModelDescriptor(
  path: string,
): Promise<{ descriptor: SrModelDescriptor; onnx: Uint8Array; modelPath: string }> {
  checkString('loadModelDescriptor', 'path', path, 'BAD_MODEL_DESCRIPTOR');
  const text = await readBounded(path, MAX_DESCRIPTOR_BYTES, 'descriptor');
  const descriptor = parseMlmDescriptor(text.toString('utf8'), path);
  const href = descriptor.modelHref;
  if (!href) throw descriptorError(descriptor, "no asset with role 'mlm:model' (the ONNX file)");
  const modelPath = localModelPath(descriptor, path, href);
  const onnx = new Uint8Array(await readBounded(modelPath, MAX_ONNX_BYTES, 'model'));
  return { descriptor, onnx, modelPath };
}

/**
 * The local file an `mlm:model` href names: a path relative to the descriptor, an absolute path, or a `file:` URL
 * (STAC hrefs are URIs; `file:///m.onnx` used to be refused as remote). Other schemes (`https:`, `s3:`, `data:`)
 * are refused; `data:…` used to be looked up as a file of that name. A scheme needs two letters or more, so a
 * Windows drive (`C:\m.onnx`) stays a path.
 */
function localModelPath(descriptor: SrModelDescriptor, path: string, href: string): string {
  if (/^file:/i.test(href)) {
    try {
      return fileURLToPath(href);
    } catch (cause) {
      throw descriptorError(
        descriptor,
        `the model asset ${redactUrl(href)} is not a local file URL (${(cause as Error).message})`,
      );
    }
  }
  if (/^[a-z][a-z0-9+.-]+:/i.test(href))
    throw descriptorError(
      descriptor,
      `the model asset ${redactUrl(href)} is remote or not a file; download it and point href at the file`,
    );
  return isAbsolute(href) ? href : resolve(dirname(path), href);
}

async function readBounded(path: string, limit: number, what: string): Promise<Buffer> {
  try {
    return await readFileBounded(path, { maxBytes: limit, what });
  } catch (cause) {
    throw new SrnetError(
      'BAD_MODEL_DESCRIPTOR',
      `${path}: cannot read the ${what} file (${(cause as Error).message})`,
      { source: path },
      { cause },
    );
  }
}
