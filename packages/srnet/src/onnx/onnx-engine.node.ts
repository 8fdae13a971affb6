// ONNX Runtime (onnxruntime-node, CPU execution provider) behind the InferenceEngine contract.
import { throwIfAborted } from '@worldstrat/core';
import type { InferenceEngine, PredictInput, PredictOutput } from '../engine.js';
import { abortError, SrnetError } from '../errors.js';
import type { ModelConfig } from '../models/config.js';
import type { StateDict } from '../models/state-dict.js';
import { exportOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './export-onnx.js';
import { tensorValueInfo } from './graph-builder.js';
import { readOnnxModelInfo } from './onnx-model-info.js';
import { decodeOnnxModel, encodeOnnxModel } from './onnx-proto.js';

/** Options of {@link createOnnxEngine}. */
export interface OnnxEngineOptions {
  /** Threads ONNX Runtime uses inside one operator (default: ORT's choice, all cores). */
  intraOpNumThreads?: number;
  /** Threads across operators (graph is sequential; default 1). */
  interOpNumThreads?: number;
  /**
   * The architecture the caller expects. Every given field must match the config stored in the file,
   * otherwise `ARCHITECTURE_MISMATCH` is thrown before any inference (an ONNX file of another model).
   */
  expect?: Partial<ModelConfig>;
  /** Config to assume for ONNX files written by other tools (no `worldstrat.srnet.config` metadata). */
  config?: ModelConfig;
  /**
   * Let ORT's intra-op threads spin while waiting for work (ORT's default, true). Turn it off on machines
   * shared with other busy processes, where spinning threads steal cores.
   */
  allowSpinning?: boolean;
  /**
   * ORT graph optimisation level (default `all`: adds the NCHWc conv layout transforms that `extended` lacks,
   * the fastest on x64 CPUs).
   */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Reuse the memory plan of the previous run when the input shape repeats (ORT's default, true): chip batches
   * and interior scene tiles share one shape.
   */
  enableMemPattern?: boolean;
  /** ORT's CPU memory arena (default true): activations are recycled instead of reallocated per run. */
  enableCpuMemArena?: boolean;
  /**
   * ORT execution mode (default `sequential`: the srnet graphs are chains, so `parallel` only adds an inter-op
   * pool competing for the same cores).
   */
  executionMode?: 'sequential' | 'parallel';
}

/** The source of an ONNX engine: ONNX bytes, or a config + weights to export first. */
export type OnnxEngineSource = Uint8Array | { config: ModelConfig; stateDict: StateDict };

type Ort = typeof import('onnxruntime-node');

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
let ortPromise: Promise<Ort> | undefined;

/** Load onnxruntime-node lazily (an optional dependency). */
export async function loadOrt(): Promise<Ort> {
  if (!ortPromise) {
    ortPromise = import('onnxruntime-node')
      .then((m) => ((m as { default?: Ort }).default ?? m) as Ort)
      .catch((cause: unknown) => {
        ortPromise = undefined;
        throw new SrnetError(
          'BACKEND_UNAVAILABLE',
          `onnxruntime-node could not be loaded (${(cause as Error).message}); install it with "ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0" (an optional peer dependency; its CPU binary ships in the npm tarball, the skipped install script only downloads CUDA binaries)`,
          {},
          { cause },
        );
      });
  }
  return ortPromise;
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
 * Create an ONNX Runtime inference engine (CPU execution provider) from an exported ONNX file or directly
 * from a config + state_dict (exported in memory with {@link exportOnnx}).
 *
 * The batch dimension is dynamic; `predict()` accepts `(B, R, C, H, W)` with the model's R and C.
 *
 * @param source - ONNX bytes, or `{ config, stateDict }`.
 * @param options - threads, the expected architecture, graph optimisation level.
 * @returns an {@link InferenceEngine} named `'onnx'`.
 * @throws SrnetError `BACKEND_UNAVAILABLE` (onnxruntime-node missing), `BAD_ONNX`, `ARCHITECTURE_MISMATCH`.
 * @example
 * const engine = await createOnnxEngine(onnxBytes, { intraOpNumThreads: 2, expect: { kind: 'highresnet' } });
 * const { data, shape } = await engine.predict({ data: lr, shape: [8, 8, 12, 50, 50] });
 */
export async function createOnnxEngine(
  source: OnnxEngineSource,
  options: OnnxEngineOptions = {},
): Promise<InferenceEngine> {
  const bytes = source instanceof Uint8Array ? source : exportOnnx(source.config, source.stateDict);
  const info = readOnnxModelInfo(bytes);
  const config = info.config ?? options.config ?? null;
  if (!config) {
    throw new SrnetError(
      'BAD_ONNX',
      'this ONNX file carries no srnet config (metadata worldstrat.srnet.config); pass options.config describing it',
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
  if (ioProblems.length > 0) {
    throw new SrnetError(
      'ARCHITECTURE_MISMATCH',
      `ONNX graph does not match its config: ${ioProblems.join('; ')}`,
      {
        inputs: info.inputs,
        outputs: info.outputs,
      },
    );
  }
  if (options.expect) {
    const diffs = sameShapeFields(config, options.expect);
    if (diffs.length > 0) {
      throw new SrnetError(
        'ARCHITECTURE_MISMATCH',
        `ONNX file holds another architecture: ${diffs.join('; ')}; export the model you mean to run`,
        { diffs },
      );
    }
  }

  const ort = await loadOrt();
  const sessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    executionMode: options.executionMode ?? 'sequential',
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    interOpNumThreads: options.interOpNumThreads ?? 1,
    enableMemPattern: options.enableMemPattern ?? true,
    enableCpuMemArena: options.enableCpuMemArena ?? true,
    ...(options.allowSpinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  } as const;
  // Only graphs srnet exported (config in their metadata) are rewritten; a rewrite ORT refuses is dropped.
  let unresized = info.config ? exposeUnresizedOutput(bytes) : { bytes, name: null };
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(unresized.bytes, sessionOptions);
  } catch (err) {
    if (unresized.name === null) throw err;
    unresized = { bytes, name: null };
    session = await ort.InferenceSession.create(bytes, sessionOptions);
  }
  let disposed = false;
  let queue: Promise<unknown> = Promise.resolve();

  const run = async (inp: PredictInput, fetch: string, signal?: AbortSignal): Promise<PredictOutput> => {
    if (disposed) throw new SrnetError('DISPOSED', 'this ONNX engine was disposed; create a new one');
    throwIfAborted(signal, abortError);
    const [b, r, c, h, w] = inp.shape;
    if (r !== config.revisits || c !== config.inChannels || inp.shape.length !== 5) {
      throw new SrnetError(
        'BAD_INPUT_SHAPE',
        `input shape [${inp.shape.join(', ')}] does not fit ${config.kind} (expects [B, ${config.revisits}, ${config.inChannels}, H, W])`,
        { shape: inp.shape },
      );
    }
    if (inp.data.length !== b * r * c * h * w) {
      throw new SrnetError(
        'BAD_INPUT_SHAPE',
        `input data has ${inp.data.length} values, shape [${inp.shape.join(', ')}] needs ${b * r * c * h * w}`,
      );
    }
    const tensor = new ort.Tensor('float32', inp.data, [b, r, c, h, w]);
    const result = await session.run({ [ONNX_INPUT_NAME]: tensor }, [fetch]);
    const out = result[fetch];
    if (!out) throw new SrnetError('BAD_ONNX', `ONNX session returned no '${fetch}' output`);
    // The unresized tensor is (B, C, zH, zW): give it the revisit axis of the final output.
    const dims = out.dims.length === 4 ? [out.dims[0], 1, ...out.dims.slice(1)] : out.dims;
    const data = out.data as Float32Array;
    return { data, shape: [dims[0], dims[1], dims[2], dims[3], dims[4]] as PredictOutput['shape'] };
  };
  // ORT sessions may run concurrently, but one at a time keeps memory and thread use predictable.
  const enqueue = (inp: PredictInput, fetch: string, signal?: AbortSignal): Promise<PredictOutput> => {
    const next = queue.then(() => run(inp, fetch, signal));
    queue = next.catch(() => undefined);
    return next;
  };
  const unresizedName = unresized.name;

  return {
    name: 'onnx',
    config,
    predict(inp: PredictInput, opts: { signal?: AbortSignal } = {}): Promise<PredictOutput> {
      return enqueue(inp, ONNX_OUTPUT_NAME, opts.signal);
    },
    ...(unresizedName
      ? {
          predictUnresized(inp: PredictInput, opts: { signal?: AbortSignal } = {}): Promise<PredictOutput> {
            return enqueue(inp, unresizedName, opts.signal);
          },
        }
      : {}),
    dispose(): void {
      if (disposed) return;
      disposed = true;
      void session.release();
    },
  };
}
