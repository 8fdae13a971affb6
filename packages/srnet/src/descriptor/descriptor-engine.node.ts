// Run a third-party SR model (ONNX + MLM descriptor) through srnet's whole-scene inference: the descriptor's
// band selection and value scaling become superResolve's bands/normalisation, and an InferenceEngine adapts the
// model's own tensor layout and names to the (B, R, C, H, W) → (B, 1, C', H', W') contract.
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type Raster, redactUrl } from '@worldstrat/raster-io';
import type { InferenceEngine, PredictInput, PredictOutput } from '../engine.js';
import { abortError, SrnetError } from '../errors.js';
import { type ModelConfig, resolveModelConfig } from '../models/config.js';
import { loadOrt } from '../onnx/onnx-engine.node.js';
import { readOnnxModelInfo } from '../onnx/onnx-model-info.js';
import { JIF_S2_BANDS } from '../scene/normalisation.js';
import { type SuperResolveOptions, type SuperResolveResult, superResolve } from '../scene/super-resolve.js';
import { MAX_DESCRIPTOR_BYTES, parseMlmDescriptor, type SrModelDescriptor } from './mlm-descriptor.js';

/** Largest ONNX file {@link loadModelDescriptor} reads (2 GiB, protobuf's own limit). */
const MAX_ONNX_BYTES = 2 ** 31 - 1;

/** Largest output/input size ratio accepted (S2 SR models use 2..8; more is a broken descriptor). */
const MAX_SCALE = 16;

/** Options of {@link createDescriptorEngine}. */
export interface DescriptorEngineOptions {
  /** ONNX Runtime intra-op threads (default: ORT's choice). */
  intraOpNumThreads?: number;
  /** Tile size for models whose descriptor leaves it variable (-1). */
  tileSize?: number;
  /** Output pixels per input pixel for models whose descriptor leaves both sizes variable. */
  scale?: number;
  /**
   * `'input-units'` (default when the model returns as many bands as it takes): undo the input value scaling per
   * band, so a model fed reflectance / 10000 answers in reflectance again. `'model'`: return the raw output.
   */
  output?: 'input-units' | 'model';
}

/** An engine for a described third-party model; `descriptor` is the parsed MLM document. */
export interface DescriptorEngine extends InferenceEngine {
  readonly descriptor: SrModelDescriptor;
  /** Whether outputs are mapped back to input units. */
  readonly output: 'input-units' | 'model';
  /** The LR tile (chip) size the model runs on. */
  readonly tileSize: number;
}

function descriptorError(d: SrModelDescriptor, message: string): SrnetError {
  return new SrnetError('BAD_MODEL_DESCRIPTOR', `${d.source}: ${message}`, { source: d.source });
}

/** Tile size, scale and output mode from the descriptor plus the caller's overrides. */
function resolveGeometry(d: SrModelDescriptor, options: DescriptorEngineOptions) {
  const tile = d.tileSize ?? options.tileSize;
  if (!Number.isInteger(tile) || (tile as number) < 1 || (tile as number) > 4096)
    throw descriptorError(
      d,
      `the model takes any tile size; pass tileSize (an integer in 1..4096), got ${tile}`,
    );
  if (d.tileSize !== null && options.tileSize !== undefined && options.tileSize !== d.tileSize)
    throw descriptorError(d, `tileSize ${options.tileSize} differs from the model's fixed ${d.tileSize}`);
  const scale = d.scale ?? options.scale;
  if (
    scale === undefined ||
    !(scale >= 1 && scale <= MAX_SCALE) ||
    !Number.isInteger((tile as number) * scale)
  )
    throw descriptorError(
      d,
      `scale ${scale} must be in 1..${MAX_SCALE} and give a whole output tile (tile ${tile})`,
    );
  const output = options.output ?? (d.outChannels === d.bands.length ? 'input-units' : 'model');
  if (output === 'input-units' && d.outChannels !== d.bands.length)
    throw descriptorError(
      d,
      `output 'input-units' needs one output band per input band (${d.outChannels} vs ${d.bands.length}); use output: 'model'`,
    );
  return { tile: tile as number, scale, output };
}

/** Checks the ONNX graph has the descriptor's input and output with compatible ranks and channels. */
function checkGraph(d: SrModelDescriptor, bytes: Uint8Array, name: string): void {
  const info = readOnnxModelInfo(bytes, { name });
  const inp = info.inputs.find((i) => i.name === d.inputName);
  const out = info.outputs.find((o) => o.name === d.outputName);
  const rank = d.layout === 'bchw' ? 4 : 5;
  const problems: string[] = [];
  if (!inp) problems.push(`no input '${d.inputName}' (inputs: ${info.inputs.map((i) => i.name).join(', ')})`);
  else if (inp.dims.length !== rank)
    problems.push(`input '${d.inputName}' has rank ${inp.dims.length}, descriptor says ${rank}`);
  else {
    const c = inp.dims[rank - 3];
    if (typeof c === 'number' && c !== d.bands.length)
      problems.push(`input has ${c} channels, descriptor lists ${d.bands.length} bands`);
  }
  if (!out)
    problems.push(`no output '${d.outputName}' (outputs: ${info.outputs.map((o) => o.name).join(', ')})`);
  if (problems.length > 0)
    throw new SrnetError(
      'ARCHITECTURE_MISMATCH',
      `${name} does not match ${d.source}: ${problems.join('; ')}`,
      {
        source: d.source,
      },
    );
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
export async function createDescriptorEngine(
  descriptor: SrModelDescriptor,
  onnx: Uint8Array,
  options: DescriptorEngineOptions = {},
): Promise<DescriptorEngine> {
  const d = descriptor;
  const { tile, scale, output } = resolveGeometry(d, options);
  checkGraph(d, onnx, d.modelHref ? redactUrl(d.modelHref) : `${d.name}.onnx`);
  const outTile = tile * scale;
  const config: ModelConfig = resolveModelConfig({
    kind: d.revisits > 1 ? 'highresnet' : 'srcnn',
    revisits: d.revisits,
    inChannels: d.bands.length,
    outChannels: d.outChannels,
    zoomFactor: Math.max(1, Math.floor(scale)),
    outputSize: [outTile, outTile],
    dropout: 0,
  });
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(onnx, {
    executionProviders: ['cpu'],
    executionMode: 'sequential',
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
  });
  let disposed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const run = async (inp: PredictInput, signal?: AbortSignal): Promise<PredictOutput> => {
    if (disposed) throw new SrnetError('DISPOSED', `the engine for ${d.name} was disposed; create a new one`);
    if (signal?.aborted) throw abortError(signal);
    const [b, r, c, h, w] = inp.shape;
    if (r !== d.revisits || c !== d.bands.length || inp.data.length !== b * r * c * h * w)
      throw new SrnetError(
        'BAD_INPUT_SHAPE',
        `input [${inp.shape.join(', ')}] does not fit ${d.name} ([B, ${d.revisits}, ${d.bands.length}, H, W])`,
      );
    const data = clipInput(d, inp.data, c, h * w);
    const dims = d.layout === 'bchw' ? [b, c, h, w] : [b, r, c, h, w];
    const result = await session.run({ [d.inputName]: new ort.Tensor('float32', data, dims) });
    const out = result[d.outputName];
    if (!out) throw new SrnetError('BAD_ONNX', `${d.name}: the session returned no '${d.outputName}' output`);
    const od = out.dims as readonly number[];
    const ok = od.length === 4 || (od.length === 5 && od[1] === 1);
    const [oc, oh, ow] = od.slice(-3) as [number, number, number];
    if (!ok || od[0] !== b || oc !== d.outChannels || oh !== h * scale || ow !== w * scale)
      throw new SrnetError(
        'ARCHITECTURE_MISMATCH',
        `${d.name} returned [${od.join(', ')}] for a ${h}×${w} input; ${d.source} promises [${b}, ${d.outChannels}, ${h * scale}, ${w * scale}]`,
      );
    const values = Float32Array.from(out.data as Float32Array);
    if (output === 'input-units') unscaleOutput(d, values, oc, oh * ow);
    return { data: values, shape: [b, 1, oc, oh, ow] };
  };
  return {
    name: 'onnx',
    config,
    descriptor: d,
    output,
    tileSize: tile,
    predict(inp, opts = {}) {
      const next = queue.then(() => run(inp, opts.signal));
      queue = next.catch(() => undefined);
      return next;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      void session.release();
    },
  };
}

/** Applies the descriptor's clips (in model-input units) per channel; returns the input when none applies. */
function clipInput(d: SrModelDescriptor, data: Float32Array, c: number, plane: number): Float32Array {
  if (d.scaling.every((s) => s.min === -Infinity && s.max === Infinity)) return data;
  const out = Float32Array.from(data);
  for (let i = 0; i < out.length; i++) {
    const s = d.scaling[Math.floor(i / plane) % c] as (typeof d.scaling)[number];
    const v = out[i] as number;
    out[i] = v < s.min ? s.min : v > s.max ? s.max : v;
  }
  return out;
}

/** Inverse of the affine input scaling, per output band: `y · scale + offset`. */
function unscaleOutput(d: SrModelDescriptor, data: Float32Array, c: number, plane: number): void {
  for (let i = 0; i < data.length; i++) {
    const s = d.scaling[Math.floor(i / plane) % c] as (typeof d.scaling)[number];
    data[i] = (data[i] as number) * s.scale + s.offset;
  }
}

/** The descriptor's affine value scaling as superResolve's `(x − mean) / std` normalisation. */
export function descriptorNormalisation(d: SrModelDescriptor): { mean: number[]; std: number[] } {
  return { mean: d.scaling.map((s) => s.offset), std: d.scaling.map((s) => s.scale) };
}

/** Indices of the descriptor's bands among the scene's band names (case-insensitive). */
export function descriptorBandIndices(d: SrModelDescriptor, sceneBands: readonly string[]): number[] {
  const lower = sceneBands.map((b) => b.toLowerCase());
  return d.bands.map((b) => {
    const i = lower.indexOf(b.toLowerCase());
    if (i < 0)
      throw new SrnetError(
        'BAD_BANDS',
        `${d.source}: the model needs band ${b} but the scene has [${sceneBands.join(', ')}]; pass sceneBands naming the raster bands`,
        { band: b, sceneBands: [...sceneBands] },
      );
    return i;
  });
}

/** Options of {@link superResolveWithDescriptor}. */
export interface SuperResolveWithDescriptorOptions
  extends Omit<SuperResolveOptions, 'engine' | 'bands' | 'normalisation' | 'chipSize'>,
    DescriptorEngineOptions {
  /** Names of the scene's raster bands (default: WorldStrat's 12 L2A bands B01…B12 for 12-band scenes). */
  sceneBands?: readonly string[];
}

/**
 * The superResolve options a described model fixes: the raster band indices of its bands, its value scaling
 * as the normalisation, and its tile size as the chip size.
 *
 * @param engine - from {@link createDescriptorEngine}.
 * @param scene - the revisits (their band count picks the default band names).
 * @param sceneBands - names of the raster bands (default WorldStrat's B01…B12 for 12-band scenes).
 * @returns `{ bands, normalisation, chipSize }` to spread into superResolve / superResolveToFile options.
 * @throws SrnetError `BAD_BANDS` when a band is missing or the scene's bands cannot be named.
 * @example
 * await superResolveToFile(scene, 'sr.tif', { engine, ...descriptorSceneOptions(engine, scene) });
 */
export function descriptorSceneOptions(
  engine: DescriptorEngine,
  scene: readonly Raster[],
  sceneBands?: readonly string[],
): { bands: number[]; normalisation: { mean: number[]; std: number[] }; chipSize: number } {
  const d = engine.descriptor;
  const count = scene[0]?.bands.length ?? 0;
  const names = sceneBands ?? (count === JIF_S2_BANDS.length ? JIF_S2_BANDS : undefined);
  if (!names)
    throw new SrnetError(
      'BAD_BANDS',
      `${d.source}: the scene has ${count} bands; pass sceneBands naming them so the model's [${d.bands.join(', ')}] can be found`,
    );
  return {
    bands: descriptorBandIndices(d, names),
    normalisation: descriptorNormalisation(d),
    chipSize: engine.tileSize,
  };
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
 * descriptor, or absolute; remote hrefs are refused: download the model first).
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
  const text = await readBounded(path, MAX_DESCRIPTOR_BYTES, 'descriptor');
  const descriptor = parseMlmDescriptor(text.toString('utf8'), path);
  const href = descriptor.modelHref;
  if (!href) throw descriptorError(descriptor, "no asset with role 'mlm:model' (the ONNX file)");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(href))
    throw descriptorError(
      descriptor,
      `the model asset ${redactUrl(href)} is remote; download it and point href at the file`,
    );
  const modelPath = isAbsolute(href) ? href : resolve(dirname(path), href);
  const onnx = new Uint8Array(await readBounded(modelPath, MAX_ONNX_BYTES, 'model'));
  return { descriptor, onnx, modelPath };
}

async function readBounded(path: string, limit: number, what: string): Promise<Buffer> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a regular file');
    if (s.size > limit) throw new Error(`${s.size} bytes, more than the ${limit}-byte limit`);
    return await readFile(path);
  } catch (cause) {
    throw new SrnetError(
      'BAD_MODEL_DESCRIPTOR',
      `${path}: cannot read the ${what} file (${(cause as Error).message})`,
      { source: path },
      { cause },
    );
  }
}
