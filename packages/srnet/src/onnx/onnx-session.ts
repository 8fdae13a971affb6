// The part of the ONNX engine both runtimes share (onnxruntime-node and onnxruntime-web have the same
// onnxruntime-common API): graph/config checks, the unresized-output rewrite, shape checks and the run queue.
import { throwIfAborted } from '@worldstrat/core';
import type { InferenceEngine, PredictInput, PredictOutput, PredictUnresizedOptions } from '../engine.js';
import { abortError, SrnetError } from '../errors.js';
import { argumentError, checkObject, checkOptionalString, isRecord } from '../internal/check-arguments.js';
import type { ModelConfig } from '../models/config.js';
import { modelConfigFromJson } from '../models/config-json.js';
import type { StateDict } from '../models/state-dict.js';
import {
  checkFiniteOutput,
  checkPredictArguments,
  type PredictCall,
  validateInput,
} from '../models/validate-input.js';
import { exportOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './export-onnx.js';
import { tensorValueInfo } from './graph-builder.js';
import { readOnnxModelInfo } from './onnx-model-info.js';
import { decodeOnnxModel, encodeOnnxModel, OnnxAttributeType, type OnnxNode } from './onnx-proto.js';

/** An ORT tensor as srnet reads it. */
export interface OrtTensorLike {
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** An ORT inference session as srnet uses it. */
export interface OrtSessionLike {
  run(
    feeds: Record<string, OrtTensorLike>,
    fetches?: readonly string[],
  ): Promise<Record<string, OrtTensorLike | undefined>>;
  release(): Promise<void>;
}

/** The slice of an onnxruntime module (node or web) srnet needs. */
export interface OrtLike {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;
  InferenceSession: { create(bytes: Uint8Array, options?: object): Promise<OrtSessionLike> };
}

/** The source of an ONNX engine: ONNX bytes, or a config + weights to export first. */
export type OnnxEngineSource = Uint8Array | { config: ModelConfig; stateDict: StateDict };

/** Options every ONNX engine takes, whatever the runtime. */
export interface OnnxModelOptions {
  /**
   * The architecture the caller expects. Every given field must match the config stored in the file,
   * otherwise `ARCHITECTURE_MISMATCH` is thrown before any inference (an ONNX file of another model).
   */
  expect?: Partial<ModelConfig>;
  /** Config to assume for ONNX files written by other tools (no `worldstrat.srnet.config` metadata). */
  config?: ModelConfig;
  /** File name or URL the ONNX bytes came from, named in every error (default `'<bytes>'`). */
  name?: string;
  /**
   * Run interior scene tiles (`predictUnresized(…, { interior: true })`) through a copy of the graph whose
   * convolutions pad with zeros instead of reflect `Pad` nodes: ≈ 6 % faster on such tiles, same core pixels.
   * The engine holds one ORT session at a time (switching costs a session start, tens of ms, and the first run's
   * fresh memory), so memory stays that of one. Default true; false runs every tile on the graph as given.
   */
  zeroPadInterior?: boolean;
}

/**
 * Expose the tensor before the final Resize (`sr = Unsqueeze(Resize(x))`, as {@link exportOnnx} builds it) as a
 * second graph output, so large scene tiles can skip the fixed-size resize. Returns the bytes unchanged and
 * `null` for graphs of another shape (other tools' models).
 */
export function exposeUnresizedOutput(bytes: Uint8Array): { bytes: Uint8Array; name: string | null } {
  let model: ReturnType<typeof decodeOnnxModel>;
  try {
    model = decodeOnnxModel(bytes);
  } catch {
    return { bytes, name: null };
  }
  const nodes = model.graph.node ?? [];
  const last = nodes.find((n) => n.output.includes(ONNX_OUTPUT_NAME));
  const resize = last?.opType === 'Unsqueeze' ? nodes.find((n) => n.output[0] === last.input[0]) : undefined;
  const name = resize?.opType === 'Resize' ? resize.input[0] : undefined;
  if (!name || (model.graph.output ?? []).some((o) => o.name === name)) return { bytes, name: null };
  const output = [...(model.graph.output ?? []), tensorValueInfo(name, ['batch', 'channels', 'zh', 'zw'])];
  return { bytes: encodeOnnxModel({ ...model, graph: { ...model.graph, output } }), name };
}

/** A node's INTS attribute, or undefined. */
function intsAttribute(node: OnnxNode, name: string): number[] | undefined {
  return node.attribute?.find((a) => a.name === name)?.ints;
}

/**
 * The graph for interior scene tiles: each reflect `Pad` that feeds one unpadded `Conv` becomes that Conv's own
 * zero padding. ORT then keeps its blocked (NCHWc) conv layout from conv to conv instead of reordering around
 * every Pad (≈ 6 % of a HighRes-net tile). Padding only reaches the outer receptive radius of a tile's input, so
 * a tile with a full margin on every side (no scene edge) writes the same core either way. Returns null when no
 * Pad could be folded (other tools' graphs).
 */
export function zeroPaddedGraph(bytes: Uint8Array): Uint8Array | null {
  let model: ReturnType<typeof decodeOnnxModel>;
  try {
    model = decodeOnnxModel(bytes);
  } catch {
    return null;
  }
  const nodes = model.graph.node ?? [];
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of nodes) for (const i of n.input) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const constants = new Map((model.graph.initializer ?? []).map((t) => [t.name, t.int64Data]));
  const folded = new Set<OnnxNode>();
  const rewritten = new Map<OnnxNode, OnnxNode>();
  for (const pad of nodes) {
    if (pad.opType !== 'Pad' || pad.input.length !== 2) continue;
    const mode = pad.attribute?.find((a) => a.name === 'mode')?.s;
    if (!mode || new TextDecoder().decode(mode) !== 'reflect') continue;
    const users = consumers.get(pad.output[0] as string) ?? [];
    const conv = users[0];
    const pads = constants.get(pad.input[1] as string);
    if (users.length !== 1 || conv?.opType !== 'Conv' || conv.input[0] !== pad.output[0]) continue;
    if (model.graph.output?.some((o) => o.name === pad.output[0])) continue;
    // NCHW pads [0, 0, t, l, 0, 0, b, r] → Conv pads [t, l, b, r] on a Conv that pads nothing itself
    const [n0, c0, t, l, n1, c1, b, r] = pads ?? [];
    if (pads?.length !== 8 || n0 || c0 || n1 || c1) continue;
    if (
      intsAttribute(conv, 'pads')?.some((p) => p !== 0) ||
      conv.attribute?.some((a) => a.name === 'auto_pad')
    )
      continue;
    const attribute = (conv.attribute ?? []).filter((a) => a.name !== 'pads');
    attribute.push({ name: 'pads', type: OnnxAttributeType.INTS, ints: [t, l, b, r] as number[] });
    rewritten.set(conv, { ...conv, input: [pad.input[0] as string, ...conv.input.slice(1)], attribute });
    folded.add(pad);
  }
  if (folded.size === 0) return null;
  const node = nodes.filter((n) => !folded.has(n)).map((n) => rewritten.get(n) ?? n);
  // the folded Pads' amounts are used by nothing now (ORT would warn about each unused initializer)
  const used = new Set(node.flatMap((n) => n.input));
  const unused = new Set([...folded].map((p) => p.input[1]).filter((name) => !used.has(name as string)));
  const initializer = (model.graph.initializer ?? []).filter((t) => !unused.has(t.name as string));
  return encodeOnnxModel({ ...model, graph: { ...model.graph, node, initializer } });
}

function sameShapeFields(actual: ModelConfig, expected: Partial<ModelConfig>): string[] {
  const diffs: string[] = [];
  for (const [key, value] of Object.entries(expected) as [keyof ModelConfig, unknown][]) {
    if (key === 'dropout') continue; // inference-irrelevant
    if (JSON.stringify(actual[key]) !== JSON.stringify(value))
      diffs.push(`${key}: file has ${JSON.stringify(actual[key])}, expected ${JSON.stringify(value)}`);
  }
  return diffs;
}

/**
 * Where the graph's fixed output dims `(batch, 1, outChannels, outH, outW)` contradict the config: superResolve
 * sizes its output by the config, so a wrong `outputSize` would give a raster of the wrong scale. Symbolic dims
 * are not checked.
 */
function outputProblems(dims: (number | string)[], config: ModelConfig): string[] {
  const expected: [string, number][] = [
    ['revisit axis', 1],
    ['channels', config.outChannels],
    ['height', config.outputSize[0]],
    ['width', config.outputSize[1]],
  ];
  return expected.flatMap(([what, want], i) => {
    const dim = dims[i + 1];
    return typeof dim === 'number' && dim !== want ? [`output ${what} ${dim} ≠ config ${want}`] : [];
  });
}

/** The model's config, checked against its graph I/O and the caller's expectation (before any session). */
function checkedConfig(
  info: ReturnType<typeof readOnnxModelInfo>,
  options: OnnxModelOptions,
  name: string,
): ModelConfig {
  const config = info.config ?? optionsConfig('createOnnxEngine', options.config) ?? null;
  if (!config) {
    throw new SrnetError(
      'BAD_ONNX',
      `${name}: this ONNX file carries no srnet config (metadata worldstrat.srnet.config); pass options.config describing it`,
      { file: name },
    );
  }
  const input = info.inputs.find((i) => i.name === ONNX_INPUT_NAME);
  const output = info.outputs.find((o) => o.name === ONNX_OUTPUT_NAME);
  const ioProblems: string[] = [];
  if (!input || input.dims.length !== 5) ioProblems.push(`input '${ONNX_INPUT_NAME}' of rank 5 missing`);
  else {
    if (input.dims[1] !== config.revisits)
      ioProblems.push(`input revisits ${input.dims[1]} ≠ config ${config.revisits}`);
    if (input.dims[2] !== config.inChannels)
      ioProblems.push(`input bands ${input.dims[2]} ≠ config ${config.inChannels}`);
  }
  if (!output || output.dims.length !== 5) ioProblems.push(`output '${ONNX_OUTPUT_NAME}' of rank 5 missing`);
  else ioProblems.push(...outputProblems(output.dims, config));
  if (ioProblems.length > 0) {
    throw new SrnetError(
      'ARCHITECTURE_MISMATCH',
      `${name}: ONNX graph does not match its config: ${ioProblems.join('; ')}`,
      { file: name, inputs: info.inputs, outputs: info.outputs },
    );
  }
  const diffs = options.expect ? sameShapeFields(config, options.expect) : [];
  if (diffs.length > 0) {
    throw new SrnetError(
      'ARCHITECTURE_MISMATCH',
      `${name}: ONNX file holds another architecture: ${diffs.join('; ')}; export the model you mean to run`,
      { file: name, diffs },
    );
  }
  return config;
}

/** Throws `BAD_INPUT_SHAPE` unless `inp` is `(B, revisits, bands, H, W)` with matching data length. */
export function checkPredictInput(inp: PredictInput, revisits: number, bands: number, model: string): void {
  const [b, r, c, h, w] = inp.shape;
  if (inp.shape.length !== 5 || r !== revisits || c !== bands) {
    throw new SrnetError(
      'BAD_INPUT_SHAPE',
      `input shape [${inp.shape.join(', ')}] does not fit ${model} (expects [B, ${revisits}, ${bands}, H, W])`,
      { shape: inp.shape },
    );
  }
  if (inp.data.length !== b * r * c * h * w) {
    throw new SrnetError(
      'BAD_INPUT_SHAPE',
      `input data has ${inp.data.length} values, shape [${inp.shape.join(', ')}] needs ${b * r * c * h * w}`,
    );
  }
}

/**
 * The TF.js engine's input checks (positive whole dims, the model's bands, finite values) on the arguments
 * {@link checkPredictArguments} read, then the graph's fixed revisit count: ORT would run NaN through silently, or throw plain errors.
 */
function checkOnnxInput(inp: PredictInput, config: ModelConfig): void {
  validateInput(inp.data, inp.shape, config);
  checkPredictInput(inp, config.revisits, config.inChannels, config.kind);
}

/**
 * Refuses chips whose final resize would shrink an axis in a graph srnet exported: upstream's kornia resize blurs
 * (antialiases) such an axis first, while the exported graph's `Resize` is plain bilinear (its height and width
 * are dynamic, so no fixed blur kernel fits every chip size). TF.js engines reproduce the blur.
 */
function checkNoShrinkingResize(inp: PredictInput, config: ModelConfig, name: string): void {
  const [, , , h, w] = inp.shape;
  const [oh, ow] = config.outputSize;
  const z = config.zoomFactor;
  if (z * h <= oh && z * w <= ow) return;
  throw new SrnetError(
    'BAD_INPUT_SHAPE',
    `${name}: input chips ${h}×${w} give ${z * h}×${z * w} px before the final resize to ${oh}×${ow}, which shrinks; upstream's resize antialiases (Gaussian blur) then and the exported ONNX graph's plain Resize does not: use chips of at most ${Math.floor(oh / z)}×${Math.floor(ow / z)} LR px, predictUnresized, or the TF.js engine`,
    { shape: [...inp.shape], outputSize: [oh, ow] },
  );
}

/** The output shape the config promises for `inp`: `(B, 1, C, outputSize)`, or `(B, 1, C, zH, zW)` unresized. */
function expectedOutput(inp: PredictInput, config: ModelConfig, resized: boolean): number[] {
  const [b, , , h, w] = inp.shape;
  const z = config.zoomFactor;
  return [b, 1, config.outChannels, ...(resized ? config.outputSize : [z * h, z * w])];
}

/**
 * The graph's output checked against its config before anyone reads it: a corrupt Resize size gave a 16×7 output
 * for a 16×16 config, and weights that overflow float32 gave NaN pixels, both without a word.
 * @throws SrnetError `BAD_ONNX` (shape), `NON_FINITE_WEIGHTS` (NaN or ±Infinity from a checked, finite input)
 */
function checkOnnxOutput(
  dims: readonly number[],
  data: Float32Array,
  expected: number[],
  name: string,
): void {
  if (
    dims.length !== expected.length ||
    dims.some((d, i) => d !== expected[i]) ||
    data.length !== expected.reduce((a, b) => a * b, 1)
  ) {
    throw new SrnetError(
      'BAD_ONNX',
      `${name}: the model returned a ${dims.join('×')} output (${data.length} values) where its config gives ${expected.join('×')}; the graph does not match its config`,
      { file: name, dims: [...dims], expected },
    );
  }
  checkFiniteOutput(data, name);
}

/** Runs `task`s one at a time (memory and thread use stay predictable); a failure does not block the next. */
export function serialQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task);
    queue = next.catch(() => undefined);
    return next;
  };
}

/** Checks an ONNX engine's source (bytes, or `{ config, stateDict }`) and options object. */
export function checkOnnxEngineArguments(fn: string, source: unknown, options: unknown): void {
  if (!(source instanceof Uint8Array)) {
    const s = source as { config?: unknown; stateDict?: unknown } | null;
    if (!isRecord(s) || !isRecord(s.config) || !isRecord(s.stateDict))
      argumentError(fn, 'source', 'ONNX bytes (a Uint8Array) or { config, stateDict }', source, 'BAD_ONNX');
  }
  const o = checkObject<OnnxModelOptions>(fn, 'options', options, 'BAD_CONFIG');
  optionsConfig(fn, o.config);
  if (o.expect !== undefined) checkObject(fn, 'options.expect', o.expect, 'BAD_CONFIG');
  if (o.zeroPadInterior !== undefined && typeof o.zeroPadInterior !== 'boolean')
    argumentError(fn, 'options.zeroPadInterior', 'a boolean', o.zeroPadInterior, 'BAD_CONFIG');
  checkOptionalString(fn, 'options.name', o.name, 'BAD_CONFIG');
}

/**
 * `options.config` (for files of other tools) checked as a config read from a file is, member by member, before
 * anything is sized by it; the caller's, so `BAD_CONFIG` naming `options.config…`. Absent: undefined.
 */
function optionsConfig(fn: string, value: unknown): ModelConfig | undefined {
  if (value === undefined) return undefined;
  const fail = (where: string, message: string): never => {
    const member = `options.config${where ? `.${where}` : ''}`;
    throw new SrnetError('BAD_CONFIG', `${fn}: ${member} ${message}`, { argument: member });
  };
  return modelConfigFromJson(value, fail, { singleRevisitHighResNet: true });
}

/**
 * An error ONNX Runtime threw for `name` as `BAD_ONNX` (ORT's error as `cause`): the graph, an initializer or a
 * node is corrupt. Inputs are checked before they reach ORT, so a failing run is the model's fault too, unless
 * ORT ran out of memory (`OUT_OF_MEMORY`: a smaller tile or batch fits).
 */
function ortError(err: unknown, name: string, when: 'load' | 'run'): SrnetError {
  if (err instanceof SrnetError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/bad_alloc|failed to allocate|out of memory/i.test(message))
    return new SrnetError(
      'OUT_OF_MEMORY',
      `${name}: ONNX Runtime ran out of memory (${message}); use a smaller tileSize or batchSize`,
      { file: name },
      { cause: err },
    );
  const what = when === 'load' ? 'cannot load the model' : 'failed running the model';
  return new SrnetError(
    'BAD_ONNX',
    `${name}: ONNX Runtime ${what} (${message}); the file is corrupt or not a model srnet can run — export it again`,
    { file: name },
    { cause: err },
  );
}

/** `InferenceSession.create`, its failure as `BAD_ONNX` naming the file. */
export async function createSession(
  runtime: OrtLike,
  bytes: Uint8Array,
  sessionOptions: object,
  name: string,
): Promise<OrtSessionLike> {
  try {
    return await runtime.InferenceSession.create(bytes, sessionOptions);
  } catch (err) {
    throw ortError(err, name, 'load');
  }
}

/** `session.run`, its failure as `BAD_ONNX` naming the file. */
export async function runSession(
  session: OrtSessionLike,
  feeds: Record<string, OrtTensorLike>,
  name: string,
  fetches?: readonly string[],
): Promise<Record<string, OrtTensorLike | undefined>> {
  try {
    return await session.run(feeds, fetches);
  } catch (err) {
    throw ortError(err, name, 'run');
  }
}

/**
 * The engine's one live ORT session: the graph as given (scene-edge tiles, chips) or its zero-padded copy
 * (interior tiles), started on demand after the other is released, so only one holds activations at a time.
 * A zero-padded graph ORT refuses is dropped for good (interior tiles then run on the graph as given).
 */
function sessionSwitch(
  runtime: OrtLike,
  sessionOptions: object,
  first: OrtSessionLike,
  edgeBytes: Uint8Array,
  zeroPad: boolean,
  name: string,
): { get(interior: boolean): Promise<OrtSessionLike>; release(): Promise<void> } {
  let live: { interior: boolean; session: OrtSessionLike | null } = { interior: false, session: first };
  let interiorBytes: Uint8Array | null | undefined = zeroPad ? undefined : null;
  const start = async (interior: boolean, bytes: Uint8Array): Promise<OrtSessionLike> => {
    await live.session?.release();
    live = { interior, session: null };
    const session = await createSession(runtime, bytes, sessionOptions, name);
    live = { interior, session };
    return session;
  };
  return {
    async get(interior: boolean): Promise<OrtSessionLike> {
      if (interior && interiorBytes === undefined) interiorBytes = zeroPaddedGraph(edgeBytes);
      const want = interior && interiorBytes !== null;
      if (live.session && live.interior === want) return live.session;
      if (!want) return start(false, edgeBytes);
      try {
        return await start(true, interiorBytes as Uint8Array);
      } catch {
        interiorBytes = null;
        return start(false, edgeBytes);
      }
    },
    async release(): Promise<void> {
      await live.session?.release();
      live = { interior: false, session: null };
    },
  };
}

/**
 * Build an srnet ONNX engine on a loaded ORT module with runtime-specific session options.
 *
 * @param ort - onnxruntime-node or onnxruntime-web, or its loader (called only after the model checks pass).
 * @param source - ONNX bytes, or `{ config, stateDict }`.
 * @param options - expected architecture, config for foreign files.
 * @param sessionOptions - passed to `InferenceSession.create`.
 * @param seamlessTileSize - the engine's preferred seamless tile side (see {@link InferenceEngine}).
 * @throws SrnetError `BAD_ONNX`, `ARCHITECTURE_MISMATCH`.
 */
export async function createOnnxEngineOn(
  ort: OrtLike | (() => Promise<OrtLike>),
  source: OnnxEngineSource,
  options: OnnxModelOptions,
  sessionOptions: object,
  seamlessTileSize?: number,
): Promise<InferenceEngine> {
  checkOnnxEngineArguments('createOnnxEngine', source, options);
  const name = options.name ?? (source instanceof Uint8Array ? '<bytes>' : '<exported in memory>');
  const bytes = source instanceof Uint8Array ? source : exportOnnx(source.config, source.stateDict);
  const info = readOnnxModelInfo(bytes, { name });
  const config = checkedConfig(info, options, name);
  const runtime = typeof ort === 'function' ? await ort() : ort;
  // Only graphs srnet exported (config in their metadata) are rewritten; a rewrite ORT refuses is dropped.
  let unresized = info.config ? exposeUnresizedOutput(bytes) : { bytes, name: null };
  let session: OrtSessionLike;
  try {
    session = await createSession(runtime, unresized.bytes, sessionOptions, name);
  } catch (err) {
    if (unresized.name === null) throw err;
    unresized = { bytes, name: null };
    session = await createSession(runtime, bytes, sessionOptions, name);
  }
  let disposed = false;
  const enqueue = serialQueue();
  const sessions = sessionSwitch(
    runtime,
    sessionOptions,
    session,
    unresized.bytes,
    unresized.name !== null && options.zeroPadInterior !== false,
    name,
  );

  const run = async (inp: PredictCall, fetch: string): Promise<PredictOutput> => {
    if (disposed) throw new SrnetError('DISPOSED', 'this ONNX engine was disposed; create a new one');
    const { signal, interior } = inp;
    throwIfAborted(signal, abortError);
    checkOnnxInput(inp, config);
    if (fetch === ONNX_OUTPUT_NAME && info.config) checkNoShrinkingResize(inp, config, name);
    const tensor = new runtime.Tensor('float32', inp.data, inp.shape);
    const result = await runSession(await sessions.get(interior), { [ONNX_INPUT_NAME]: tensor }, name, [
      fetch,
    ]);
    const out = result[fetch];
    if (!out)
      throw new SrnetError('BAD_ONNX', `${name}: ONNX session returned no '${fetch}' output`, { file: name });
    // The unresized tensor is (B, C, zH, zW): give it the revisit axis of the final output.
    const dims = out.dims.length === 4 ? [out.dims[0], 1, ...out.dims.slice(1)] : out.dims;
    const data = out.data as Float32Array;
    checkOnnxOutput(dims, data, expectedOutput(inp, config, fetch === ONNX_OUTPUT_NAME), name);
    return { data, shape: [dims[0], dims[1], dims[2], dims[3], dims[4]] as PredictOutput['shape'] };
  };
  const unresizedName = unresized.name;

  return {
    name: 'onnx',
    config,
    // arguments read when called (a rejected promise if bad), run when the queue gets to them
    async predict(inp: PredictInput, opts?: { signal?: AbortSignal }): Promise<PredictOutput> {
      const call = checkPredictArguments('predict', inp, opts);
      return enqueue(() => run(call, ONNX_OUTPUT_NAME));
    },
    ...(unresizedName
      ? {
          async predictUnresized(inp: PredictInput, opts?: PredictUnresizedOptions): Promise<PredictOutput> {
            const call = checkPredictArguments('predictUnresized', inp, opts);
            return enqueue(() => run(call, unresizedName));
          },
          ...(seamlessTileSize !== undefined ? { seamlessTileSize } : {}),
        }
      : {}),
    dispose(): void {
      if (disposed) return;
      disposed = true;
      void enqueue(() => sessions.release());
    },
  };
}
