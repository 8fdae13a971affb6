// Typed errors of @worldstrat/srnet. Callers branch on `code` (it survives worker boundaries; classes do not).

/** Every error code @worldstrat/srnet throws. */
export const SRNET_ERROR_CODES = [
  'BAD_INPUT_SHAPE',
  'BAD_BANDS',
  'BAD_REVISITS',
  'NON_FINITE_INPUT',
  'BAD_CONFIG',
  'MISSING_WEIGHTS',
  'MISSHAPED_WEIGHTS',
  'NON_FINITE_WEIGHTS',
  'WEIGHTS_DTYPE_MISMATCH',
  'UNKNOWN_WEIGHTS',
  'ARCHITECTURE_MISMATCH',
  'BAD_SAFETENSORS',
  'BAD_CHECKPOINT',
  'BACKEND_UNAVAILABLE',
  'UNSUPPORTED_KERNEL',
  'DISPOSED',
  'ABORTED',
  'OUT_OF_MEMORY',
  // Data-parallel training (src/train/data-parallel*.node.ts): a worker thread crashed, exited or failed
  // with an error that is not an srnet one.
  'TRAINING_WORKER_FAILED',
  // ONNX export/runtime and whole-scene inference (src/onnx, src/scene):
  'BAD_ONNX',
  'SCENE_SIZE_MISMATCH',
  'CRS_MISMATCH',
  'MISSING_GEOREFERENCING',
  'BAD_SCENE_OPTIONS',
  // Third-party models described by STAC MLM documents (src/descriptor):
  'BAD_MODEL_DESCRIPTOR',
] as const;

/** One of {@link SRNET_ERROR_CODES}. */
export type SrnetErrorCode = (typeof SRNET_ERROR_CODES)[number];

/**
 * Base class of every error thrown by @worldstrat/srnet.
 *
 * @example
 * try { await engine.predict(input) } catch (e) { if (e instanceof SrnetError && e.code === 'BAD_BANDS') … }
 */
export class SrnetError extends Error {
  override name = 'SrnetError';
  /**
   * @param code - machine-readable reason
   * @param message - names the bad value and the fix
   * @param details - extra structured data (e.g. the list of missing weight keys)
   */
  constructor(
    readonly code: SrnetErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Thrown when an AbortSignal fires during a long operation (training, prediction). */
export function abortError(signal: AbortSignal): SrnetError {
  return new SrnetError(
    'ABORTED',
    `aborted: ${String(signal.reason ?? 'signal fired')}`,
    {},
    { cause: signal.reason },
  );
}
