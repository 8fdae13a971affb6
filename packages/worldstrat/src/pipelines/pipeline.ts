// The shape every end-to-end pipeline follows, so the CLI (and later `benchmark`, `demo`, `superresolve`,
// `rebuild`, `download-release`) can run them the same way: options in, a JSON-serialisable result out,
// cancellation through `signal`, progress through `onProgress`, human notes through `log`.

/** Services a pipeline receives from its caller (the CLI or a script). */
export interface PipelineContext {
  signal?: AbortSignal;
  onProgress?: (p: { stage: string; done: number; total: number }) => void;
  /** One-line human-readable notes (the CLI prints them on stderr; libraries never print). */
  log?: (message: string) => void;
}

/** A named pipeline. `run` must leave no half-written file when `signal` fires (use atomic writes). */
export interface Pipeline<Options, Result> {
  readonly name: string;
  readonly description: string;
  run(options: Options, context?: PipelineContext): Promise<Result>;
}

/**
 * Declare a pipeline (identity helper that checks the shape).
 *
 * @param p - the pipeline.
 * @returns the same object.
 * @example
 * ```ts
 * export const myPipeline = definePipeline({ name: 'x', description: '…', run: async (o, ctx) => ({}) });
 * ```
 */
export function definePipeline<Options, Result>(p: Pipeline<Options, Result>): Pipeline<Options, Result> {
  return p;
}
