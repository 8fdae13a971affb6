// The default executor: units run in this process, `concurrency` at a time (today's behaviour).
import { throwIfAborted, WorldStratError } from '../errors.js';
import type { PipelineContext } from '../pipelines/pipeline.js';
import {
  type Executor,
  type ExecutorRunOptions,
  type ExecutorRunResult,
  type ExecutorStage,
  type ExecutorUnit,
  errorCodeOf,
  type UnitOutcome,
} from './executor.js';
import { STAGE_HANDLERS, type StageRuntime } from './stage-handlers.node.js';
import { inProcessLock } from './unit-lock.node.js';

/**
 * In-process executor. A unit that throws becomes a failed outcome with its typed code, except `ABORTED`,
 * which stops the run.
 *
 * @example
 * ```ts
 * await rebuild({ ...options, executor: new LocalExecutor() });
 * ```
 */
export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;

  private readonly runtime: StageRuntime;

  /** @param runtime - what units get from this process (an injected fetch; default an in-process lock). */
  constructor(runtime: StageRuntime = {}) {
    this.runtime = { lock: inProcessLock(), ...runtime };
  }

  async run<P, R>(
    stage: ExecutorStage,
    units: readonly ExecutorUnit<P>[],
    options: ExecutorRunOptions,
    context: PipelineContext,
  ): Promise<ExecutorRunResult<R>> {
    const handler = STAGE_HANDLERS[stage] as (p: P, c: PipelineContext, r: StageRuntime) => Promise<R>;
    const outcomes: UnitOutcome<R>[] = new Array(units.length);
    let next = 0;
    let done = 0;
    const lane = async () => {
      while (next < units.length) {
        const i = next++;
        throwIfAborted(context.signal);
        const u = units[i];
        try {
          outcomes[i] = {
            unit: u.unit,
            ok: true,
            value: await handler(u.params, { signal: context.signal }, this.runtime),
          };
        } catch (err) {
          if (errorCodeOf(err) === 'ABORTED') throw err;
          outcomes[i] = { unit: u.unit, ok: false, code: errorCodeOf(err), message: messageOf(err) };
        }
        context.onProgress?.({ stage, done: ++done, total: units.length });
      }
    };
    const lanes = Math.min(Math.max(1, options.concurrency ?? 4), Math.max(1, units.length));
    await Promise.all(Array.from({ length: lanes }, lane));
    if (context.signal?.aborted) throw new WorldStratError('ABORTED', 'operation aborted');
    return { outcomes, detached: false };
  }

  async close(): Promise<void> {}
}

/** An error's message (a non-Error's string form). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
