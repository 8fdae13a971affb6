// ONNX Runtime Web (wasm execution provider) behind the InferenceEngine contract: the browser twin of
// createOnnxEngine. onnxruntime-web is an optional peer loaded by a dynamic import, so bundlers put it in a lazy
// chunk and apps that never call this do not ship it.
import type { InferenceEngine } from '../engine.js';
import { SrnetError } from '../errors.js';
import {
  checkOnnxEngineArguments,
  createOnnxEngineOn,
  type OnnxEngineSource,
  type OnnxModelOptions,
  type OrtLike,
} from './onnx-session.js';

/** Where and how onnxruntime-web runs (shared by every web engine of the page: ORT's `env` is global). */
export interface OrtWebOptions {
  /**
   * URL prefix (ending in `/`) where `ort-wasm-simd-threaded.wasm` and `.mjs` of `onnxruntime-web/dist` are served
   * (default: ORT's own choice, next to its script, which bundlers usually break).
   */
  wasmPaths?: string;
  /**
   * Wasm threads (default 1). More than 1 needs a cross-origin isolated page (COOP/COEP headers); ORT falls
   * back to 1 otherwise.
   */
  numThreads?: number;
}

/** Options of {@link createOnnxWebEngine}. */
export interface OnnxWebEngineOptions extends OnnxModelOptions, OrtWebOptions {}

type OrtWeb = typeof import('onnxruntime-web/wasm');

let ortWebPromise: Promise<OrtWeb> | undefined;

function firstLine(cause: unknown): string {
  return String((cause as Error)?.message ?? cause).split('\n')[0] as string;
}

/**
 * Load onnxruntime-web lazily (an optional peer) and apply the wasm options. ORT reads its `env` when the first
 * session starts: options given after that cannot change where the wasm files come from.
 *
 * @throws SrnetError `BACKEND_UNAVAILABLE` when onnxruntime-web is not installed/bundled, or `numThreads` or
 *   `wasmPaths` are malformed.
 */
export async function loadOrtWeb(options: OrtWebOptions = {}): Promise<OrtLike> {
  const { wasmPaths, numThreads } = options;
  if (numThreads !== undefined && !(Number.isInteger(numThreads) && numThreads >= 1 && numThreads <= 64))
    throw new SrnetError('BACKEND_UNAVAILABLE', `numThreads must be an integer in 1..64, got ${numThreads}`);
  if (wasmPaths !== undefined && (typeof wasmPaths !== 'string' || !wasmPaths.endsWith('/')))
    throw new SrnetError(
      'BACKEND_UNAVAILABLE',
      `wasmPaths must be a URL prefix ending in '/', got ${JSON.stringify(wasmPaths)}`,
    );
  if (!ortWebPromise) {
    ortWebPromise = import('onnxruntime-web/wasm')
      .then((m) => ((m as { default?: OrtWeb }).default ?? m) as OrtWeb)
      .catch((cause: unknown) => {
        ortWebPromise = undefined;
        throw new SrnetError(
          'BACKEND_UNAVAILABLE',
          `onnxruntime-web could not be loaded (${firstLine(cause)}); install it with "npm install onnxruntime-web@1.30.0" (an optional peer dependency) and serve its dist/ort-wasm-simd-threaded.wasm and .mjs at options.wasmPaths`,
          {},
          { cause },
        );
      });
  }
  const ort = (await ortWebPromise) as OrtWeb;
  if (wasmPaths !== undefined) ort.env.wasm.wasmPaths = wasmPaths;
  ort.env.wasm.numThreads = numThreads ?? 1;
  const runtime = ort as unknown as OrtLike;
  return {
    Tensor: runtime.Tensor,
    InferenceSession: {
      async create(bytes, sessionOptions) {
        try {
          return await runtime.InferenceSession.create(bytes, sessionOptions);
        } catch (cause) {
          throw sessionError(cause, wasmPaths);
        }
      },
    },
  };
}

/** ORT web's session failures as typed errors: its wasm runtime not loadable, or the model refused. */
function sessionError(cause: unknown, wasmPaths: string | undefined): SrnetError {
  const message = firstLine(cause);
  if (/backend|wasm|fetch|import|instantiate|magic/i.test(message))
    return new SrnetError(
      'BACKEND_UNAVAILABLE',
      `onnxruntime-web could not start its wasm runtime from ${wasmPaths ?? "ORT's default location"} (${message}); serve onnxruntime-web/dist/ort-wasm-simd-threaded.wasm and .mjs there and pass that URL prefix as wasmPaths`,
      { wasmPaths },
      { cause },
    );
  return new SrnetError('BAD_ONNX', `onnxruntime-web refused the model: ${message}`, {}, { cause });
}

/**
 * Create an ONNX Runtime Web inference engine (wasm execution provider) from ONNX bytes or a config + state_dict:
 * the same checks, outputs and `predictUnresized` as the Node engine, so `superResolve` runs unchanged.
 *
 * @param source - ONNX bytes (fetched by the caller), or `{ config, stateDict }`.
 * @param options - `wasmPaths`, `numThreads`, the expected architecture.
 * @returns an {@link InferenceEngine} named `'onnx'`.
 * @throws SrnetError `BACKEND_UNAVAILABLE` (onnxruntime-web missing), `BAD_ONNX`, `ARCHITECTURE_MISMATCH`.
 * @example
 * const onnx = new Uint8Array(await (await fetch('/models/srcnn.onnx')).arrayBuffer());
 * const engine = await createOnnxWebEngine(onnx, { wasmPaths: '/ort/' });
 */
export async function createOnnxWebEngine(
  source: OnnxEngineSource,
  options: OnnxWebEngineOptions = {},
): Promise<InferenceEngine> {
  checkOnnxEngineArguments('createOnnxWebEngine', source, options);
  return createOnnxEngineOn(() => loadOrtWeb(options), source, options, webSessionOptions());
}

/** Session options of the web engines (wasm only: WebGPU/WebNN providers are not checked against Node). */
export function webSessionOptions(): object {
  return { executionProviders: ['wasm'], graphOptimizationLevel: 'all', executionMode: 'sequential' };
}
