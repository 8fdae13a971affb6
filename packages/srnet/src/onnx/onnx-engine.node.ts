// ONNX Runtime (onnxruntime-node, CPU execution provider) behind the InferenceEngine contract.
import type { InferenceEngine } from '../engine.js';
import { SrnetError } from '../errors.js';
import { argumentError, checkNumber } from '../internal/check-arguments.js';
import { DEFAULT_TILE_SIZE } from '../scene/tile-plan.js';
import {
  checkOnnxEngineArguments,
  createOnnxEngineOn,
  exposeUnresizedOutput,
  type OnnxEngineSource,
  type OnnxModelOptions,
  type OrtLike,
} from './onnx-session.js';

// Kept importable from here (srnet's tests and the Node entry).
export { exposeUnresizedOutput };
export type { OnnxEngineSource };

/** Options of {@link createOnnxEngine}. */
export interface OnnxEngineOptions extends OnnxModelOptions {
  /** Threads ONNX Runtime uses inside one operator (default: ORT's choice, all cores). */
  intraOpNumThreads?: number;
  /** Threads across operators (graph is sequential; default 1). */
  interOpNumThreads?: number;
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
   * Plan each input shape's memory as one block from its second run on (ORT's default, true; here default
   * false). Off, the CPU arena still recycles every activation, so repeated chip batches run as fast, while
   * scene tiles use about half the memory (no second, shape-sized block) and new tile shapes fault in no
   * fresh pages.
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

type Ort = typeof import('onnxruntime-node');

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

/**
 * Create an ONNX Runtime inference engine (CPU execution provider) from an exported ONNX file or directly
 * from a config + state_dict (exported in memory with {@link exportOnnx}).
 *
 * The batch dimension is dynamic; `predict()` accepts `(B, R, C, H, W)` with the model's R and C.
 *
 * @param source - ONNX bytes, or `{ config, stateDict }`.
 * @param options - threads, the expected architecture, graph optimisation level, `name` (the file, in errors).
 * @returns an {@link InferenceEngine} named `'onnx'`; its `predict` checks inputs like the TF.js engine's.
 * @throws SrnetError `BACKEND_UNAVAILABLE` (onnxruntime-node missing), `BAD_ONNX` (also a file ONNX Runtime
 *   refuses, naming `options.name`, ORT's error as `cause`), `ARCHITECTURE_MISMATCH`, `BAD_CONFIG` (an option,
 *   also `options.config`, naming it).
 * @example
 * const engine = await createOnnxEngine(onnxBytes, { intraOpNumThreads: 2, expect: { kind: 'highresnet' } });
 * const { data, shape } = await engine.predict({ data: lr, shape: [8, 8, 12, 50, 50] });
 */
export async function createOnnxEngine(
  source: OnnxEngineSource,
  options: OnnxEngineOptions = {},
): Promise<InferenceEngine> {
  checkOnnxEngineArguments('createOnnxEngine', source, options);
  checkSessionOptions('createOnnxEngine', options);
  const sessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    executionMode: options.executionMode ?? 'sequential',
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    interOpNumThreads: options.interOpNumThreads ?? 1,
    enableMemPattern: options.enableMemPattern ?? false,
    enableCpuMemArena: options.enableCpuMemArena ?? true,
    ...(options.allowSpinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  } as const;
  // With the memory pattern on, a shape's second run allocates a second shape-sized block: keep 256-px tiles.
  const tile = sessionOptions.enableMemPattern ? DEFAULT_TILE_SIZE : ONNX_NODE_TILE_SIZE;
  return createOnnxEngineOn(loadOrtLike, source, options, sessionOptions, tile);
}

/** Most threads per ORT pool accepted (0: ORT's choice). */
const MAX_ORT_THREADS = 1024;

/**
 * ORT's session options, checked before the file is read: ORT answers a bad one (-5 threads, an unknown level)
 * as if the model were corrupt (`BAD_ONNX`), and ignores some (a string `allowSpinning`).
 */
function checkSessionOptions(fn: string, o: OnnxEngineOptions): void {
  for (const key of ['intraOpNumThreads', 'interOpNumThreads'] as const)
    if (o[key] !== undefined)
      checkNumber(fn, `options.${key}`, o[key], 'BAD_CONFIG', {
        integer: true,
        min: 0,
        max: MAX_ORT_THREADS,
      });
  for (const key of ['allowSpinning', 'enableMemPattern', 'enableCpuMemArena'] as const)
    if (o[key] !== undefined && typeof o[key] !== 'boolean')
      argumentError(fn, `options.${key}`, 'a boolean', o[key], 'BAD_CONFIG');
  const choices = {
    graphOptimizationLevel: ['disabled', 'basic', 'extended', 'all'],
    executionMode: ['sequential', 'parallel'],
  } as const;
  for (const [key, allowed] of Object.entries(choices) as [keyof typeof choices, readonly string[]][])
    if (o[key] !== undefined && !allowed.includes(o[key] as string))
      argumentError(
        fn,
        `options.${key}`,
        `one of ${allowed.map((a) => `'${a}'`).join(', ')}`,
        o[key],
        'BAD_CONFIG',
      );
}

/**
 * Seamless tile side of the Node ONNX engine: HighRes-net R=8 tiles of 384 LR px peak near 3 GB (arena on,
 * memory pattern off, as a 256-px tile did with the pattern on) and keep 88 % of a large scene's computed
 * pixels in tile cores (82 % at 256).
 */
const ONNX_NODE_TILE_SIZE = 384;

/** {@link loadOrt} typed as the runtime-neutral slice the shared engine code uses. */
export const loadOrtLike = (): Promise<OrtLike> => loadOrt() as unknown as Promise<OrtLike>;
