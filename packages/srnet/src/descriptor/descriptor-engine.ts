// The runtime-neutral part of running a third-party SR model (ONNX + MLM descriptor) through srnet's
// whole-scene inference: the descriptor's band selection and value scaling become superResolve's
// bands/normalisation, and an InferenceEngine adapts the model's own tensor layout and names to the
// (B, R, C, H, W) → (B, 1, C', H', W') contract. Browser-safe; the Node and web entry points add the runtime.
import { type Raster, redactUrl } from '@worldstrat/raster-io';
import type { InferenceEngine, PredictInput, PredictOutput } from '../engine.js';
import { abortError, SrnetError } from '../errors.js';
import { argumentError, checkArray, checkObject, isRecord } from '../internal/check-arguments.js';
import { showValue } from '../internal/show-value.js';
import { type ModelConfig, resolveModelConfig } from '../models/config.js';
import { readOnnxModelInfo } from '../onnx/onnx-model-info.js';
import {
  checkPredictInput,
  createSession,
  type OrtLike,
  runSession,
  serialQueue,
} from '../onnx/onnx-session.js';
import { JIF_S2_BANDS } from '../scene/normalisation.js';
import type { BandScaling, SrModelDescriptor } from './mlm-descriptor.js';

/** Largest output/input size ratio accepted (S2 SR models use 2..8; more is a broken descriptor). */
const MAX_SCALE = 16;

/** Options of every descriptor engine (Node or web): tile geometry and output units. */
export interface DescriptorModelOptions {
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

/** A `BAD_MODEL_DESCRIPTOR` error naming the descriptor document. */
export function descriptorError(d: SrModelDescriptor, message: string): SrnetError {
  return new SrnetError('BAD_MODEL_DESCRIPTOR', `${d.source}: ${message}`, { source: d.source });
}

/** The descriptor's `source` for messages (a hand-built descriptor may lack it). */
function sourceOf(d: SrModelDescriptor): string {
  return typeof d.source === 'string' ? d.source : '<descriptor>';
}

/** Checks `bands` of a descriptor argument: an array of band names. */
function checkBands(fn: string, d: SrModelDescriptor): string[] {
  const bands = checkArray<unknown>(fn, 'descriptor.bands', d.bands, 'BAD_MODEL_DESCRIPTOR');
  for (const [i, b] of bands.entries())
    if (typeof b !== 'string')
      argumentError(fn, `descriptor.bands[${i}]`, 'a band name', b, 'BAD_MODEL_DESCRIPTOR');
  return bands as string[];
}

/** Checks `scaling` of a descriptor argument: one `{ offset, scale, min, max }` of numbers per band. */
function checkScaling(fn: string, d: SrModelDescriptor): BandScaling[] {
  const scaling = checkArray<unknown>(fn, 'descriptor.scaling', d.scaling, 'BAD_MODEL_DESCRIPTOR');
  for (const [i, s] of scaling.entries()) {
    const ok =
      isRecord(s) &&
      ['offset', 'scale', 'min', 'max'].every((k) => typeof s[k] === 'number' && !Number.isNaN(s[k]));
    if (!ok)
      argumentError(
        fn,
        `descriptor.scaling[${i}]`,
        '{ offset, scale, min, max } numbers',
        s,
        'BAD_MODEL_DESCRIPTOR',
      );
  }
  return scaling as BandScaling[];
}

/**
 * Checks the arguments of the descriptor engine factories: a descriptor as {@link parseMlmDescriptor} returns it,
 * the ONNX bytes and an options object (internal).
 */
export function checkDescriptorEngineArguments(
  fn: string,
  descriptor: unknown,
  onnx: unknown,
  options: unknown,
): void {
  const code = 'BAD_MODEL_DESCRIPTOR';
  const d = checkObject<SrModelDescriptor>(fn, 'descriptor', descriptor, code);
  for (const key of ['name', 'source', 'inputName', 'outputName'] as const)
    if (typeof d[key] !== 'string') argumentError(fn, `descriptor.${key}`, 'a string', d[key], code);
  if (d.layout !== 'bchw' && d.layout !== 'btchw')
    argumentError(fn, 'descriptor.layout', "'bchw' or 'btchw'", d.layout, code);
  for (const key of ['revisits', 'outChannels'] as const)
    if (!Number.isInteger(d[key]) || d[key] < 1)
      argumentError(fn, `descriptor.${key}`, 'a positive integer', d[key], code);
  for (const key of ['tileSize', 'scale'] as const)
    if (d[key] !== null && typeof d[key] !== 'number')
      argumentError(fn, `descriptor.${key}`, 'a number or null', d[key], code);
  if (d.modelHref !== null && typeof d.modelHref !== 'string')
    argumentError(fn, 'descriptor.modelHref', 'a string or null', d.modelHref, code);
  const bands = checkBands(fn, d);
  if (bands.length === 0) argumentError(fn, 'descriptor.bands', 'a non-empty array', bands, code);
  if (checkScaling(fn, d).length !== bands.length)
    argumentError(fn, 'descriptor.scaling', `one entry per band (${bands.length})`, d.scaling, code);
  if (!(onnx instanceof Uint8Array))
    argumentError(fn, 'onnx', 'the ONNX model bytes (a Uint8Array)', onnx, 'BAD_ONNX');
  if (options !== undefined) checkObject(fn, 'options', options, 'BAD_CONFIG');
}

/** Tile size, scale and output mode from the descriptor plus the caller's overrides. */
function resolveGeometry(d: SrModelDescriptor, options: DescriptorModelOptions) {
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

/**
 * Checks the ONNX graph has the descriptor's input and output with compatible ranks and channels; returns the
 * input's fixed batch size (null when the batch axis is symbolic).
 */
function checkGraph(d: SrModelDescriptor, bytes: Uint8Array, name: string): number | null {
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
  const batch = inp?.dims[0];
  return typeof batch === 'number' && batch > 0 ? batch : null;
}

/**
 * Build a descriptor engine on a loaded ORT module (node or web) with runtime-specific session options; the
 * Node and browser entry points wrap this.
 *
 * @param ort - the onnxruntime module, or its loader (called after the descriptor and graph checks pass).
 * @param sessionOptions - passed to `InferenceSession.create`.
 * @param descriptor - from {@link parseMlmDescriptor}.
 * @param onnx - the model bytes.
 * @param options - tile size/scale for variable-size models, output units.
 * @throws SrnetError `BAD_MODEL_DESCRIPTOR`, `ARCHITECTURE_MISMATCH`, `BAD_ONNX`, `BACKEND_UNAVAILABLE`.
 */
export async function createDescriptorEngineOn(
  ort: OrtLike | (() => Promise<OrtLike>),
  sessionOptions: object,
  descriptor: SrModelDescriptor,
  onnx: Uint8Array,
  options: DescriptorModelOptions = {},
): Promise<DescriptorEngine> {
  const d = descriptor;
  const { tile, scale, output } = resolveGeometry(d, options);
  const file = d.modelHref ? redactUrl(d.modelHref) : `${d.name}.onnx`;
  const fixedBatch = checkGraph(d, onnx, file);
  const config = descriptorConfig(d, tile, scale);
  const runtime = typeof ort === 'function' ? await ort() : ort;
  const session = await createSession(runtime, onnx, sessionOptions, file);
  let disposed = false;
  const enqueue = serialQueue();
  const run = async (inp: PredictInput, signal?: AbortSignal): Promise<PredictOutput> => {
    if (disposed) throw new SrnetError('DISPOSED', `the engine for ${d.name} was disposed; create a new one`);
    if (signal?.aborted) throw abortError(signal);
    checkPredictInput(inp, d.revisits, d.bands.length, d.name);
    const [b, r, c, h, w] = inp.shape;
    const data = clipInput(d, inp.data, c, h * w);
    // A graph with a fixed batch (many exports fix it at 1) refuses any other: run it in slices of that batch,
    // the last one zero-padded and its padding dropped (superResolve batches 8 chips; ORT used to fail with BAD_ONNX)
    const per = fixedBatch ?? b;
    const inItem = r * c * h * w;
    const [oh, ow] = [h * scale, w * scale];
    const outItem = d.outChannels * oh * ow;
    const values = new Float32Array(b * outItem);
    for (let start = 0; start < b; start += per) {
      if (start > 0 && signal?.aborted) throw abortError(signal);
      const n = Math.min(per, b - start);
      const slice = per === b ? data : new Float32Array(per * inItem);
      if (slice !== data) slice.set(data.subarray(start * inItem, (start + n) * inItem));
      const dims = d.layout === 'bchw' ? [per, c, h, w] : [per, r, c, h, w];
      const result = await runSession(
        session,
        { [d.inputName]: new runtime.Tensor('float32', slice, dims) },
        file,
      );
      const out = result[d.outputName];
      if (!out)
        throw new SrnetError('BAD_ONNX', `${d.name}: the session returned no '${d.outputName}' output`);
      checkOutputDims(d, out.dims, [per, h, w], scale);
      // the descriptor promises float32; a float64/int64 output would be read as other numbers (or throw)
      if (!(out.data instanceof Float32Array) || out.data.length !== per * outItem)
        throw new SrnetError(
          'ARCHITECTURE_MISMATCH',
          `${d.name} returned ${showValue(out.data)} for '${d.outputName}'; ${d.source} promises ${per * outItem} float32 values`,
        );
      values.set(out.data.subarray(0, n * outItem), start * outItem);
    }
    if (output === 'input-units') unscaleOutput(d, values, d.outChannels, oh * ow);
    return { data: values, shape: [b, 1, d.outChannels, oh, ow] };
  };
  return {
    name: 'onnx',
    config,
    descriptor: d,
    output,
    tileSize: tile,
    predict: (inp, opts = {}) => enqueue(() => run(inp, opts.signal)),
    dispose() {
      if (disposed) return;
      disposed = true;
      void session.release();
    },
  };
}

/** The srnet config describing a described model's I/O shapes (superResolve reads scale and bands from it). */
function descriptorConfig(d: SrModelDescriptor, tile: number, scale: number): ModelConfig {
  const outTile = tile * scale;
  return resolveModelConfig({
    kind: d.revisits > 1 ? 'highresnet' : 'srcnn',
    revisits: d.revisits,
    inChannels: d.bands.length,
    outChannels: d.outChannels,
    zoomFactor: Math.max(1, Math.floor(scale)),
    outputSize: [outTile, outTile],
    dropout: 0,
  });
}

/** `[C', H', W']` of a `(B, C', H', W')` or `(B, 1, C', H', W')` output of `scale`× the input, else `ARCHITECTURE_MISMATCH`. */
function checkOutputDims(
  d: SrModelDescriptor,
  od: readonly number[],
  [b, h, w]: [number, number, number],
  scale: number,
): [number, number, number] {
  const ok = od.length === 4 || (od.length === 5 && od[1] === 1);
  const [oc, oh, ow] = od.slice(-3) as [number, number, number];
  if (!ok || od[0] !== b || oc !== d.outChannels || oh !== h * scale || ow !== w * scale)
    throw new SrnetError(
      'ARCHITECTURE_MISMATCH',
      `${d.name} returned [${od.join(', ')}] for a ${h}×${w} input; ${d.source} promises [${b}, ${d.outChannels}, ${h * scale}, ${w * scale}]`,
    );
  return [oc, oh, ow];
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
  checkObject('descriptorNormalisation', 'descriptor', d, 'BAD_MODEL_DESCRIPTOR');
  checkScaling('descriptorNormalisation', d);
  return { mean: d.scaling.map((s) => s.offset), std: d.scaling.map((s) => s.scale) };
}

/** Indices of the descriptor's bands among the scene's band names (case-insensitive). */
export function descriptorBandIndices(d: SrModelDescriptor, sceneBands: readonly string[]): number[] {
  const fn = 'descriptorBandIndices';
  checkObject(fn, 'descriptor', d, 'BAD_MODEL_DESCRIPTOR');
  const wanted = checkBands(fn, d);
  for (const [i, b] of checkArray<unknown>(fn, 'sceneBands', sceneBands, 'BAD_BANDS').entries())
    if (typeof b !== 'string') argumentError(fn, `sceneBands[${i}]`, 'a band name', b, 'BAD_BANDS');
  const lower = sceneBands.map((b) => b.toLowerCase());
  return wanted.map((b) => {
    const i = lower.indexOf(b.toLowerCase());
    // two scene bands of one name (B04 and b04): whichever came first used to be fed, silently
    if (i >= 0 && lower.indexOf(b.toLowerCase(), i + 1) >= 0)
      throw new SrnetError(
        'BAD_BANDS',
        `${sourceOf(d)}: the model needs band ${b} but sceneBands names it more than once ([${sceneBands.join(', ')}]); name each raster band once`,
        { band: b, sceneBands: [...sceneBands] },
      );
    if (i < 0)
      throw new SrnetError(
        'BAD_BANDS',
        `${sourceOf(d)}: the model needs band ${b} but the scene has [${sceneBands.join(', ')}]; pass sceneBands naming the raster bands`,
        { band: b, sceneBands: [...sceneBands] },
      );
    return i;
  });
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
  const fn = 'descriptorSceneOptions';
  const e = checkObject<DescriptorEngine>(fn, 'engine', engine, 'BAD_MODEL_DESCRIPTOR');
  const d = checkObject<SrModelDescriptor>(fn, 'engine.descriptor', e.descriptor, 'BAD_MODEL_DESCRIPTOR');
  checkBands(fn, d);
  const revisits = checkArray<unknown>(fn, 'scene', scene, 'SCENE_SIZE_MISMATCH');
  const first = revisits[0] as { bands?: unknown } | undefined;
  if (first !== undefined && (!isRecord(first) || !Array.isArray(first.bands)))
    argumentError(fn, 'scene[0]', 'a Raster with bands', first, 'SCENE_SIZE_MISMATCH');
  if (sceneBands !== undefined) checkArray(fn, 'sceneBands', sceneBands, 'BAD_BANDS');
  const count = scene[0]?.bands.length ?? 0;
  const names = sceneBands ?? (count === JIF_S2_BANDS.length ? JIF_S2_BANDS : undefined);
  if (!names)
    throw new SrnetError(
      'BAD_BANDS',
      `${sourceOf(d)}: the scene has ${count} bands; pass sceneBands naming them so the model's [${d.bands.join(', ')}] can be found`,
    );
  return {
    bands: descriptorBandIndices(d, names),
    normalisation: descriptorNormalisation(d),
    chipSize: engine.tileSize,
  };
}
