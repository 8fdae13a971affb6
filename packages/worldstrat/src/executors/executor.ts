// The executor interface: pipelines hand their per-unit stages (one AOI's revisit downloads, one region tile)
// to an executor instead of looping themselves, so the same unit code runs in-process (`LocalExecutor`) or on
// BullMQ workers (`QueueExecutor`). Units carry JSON parameters only (they cross process boundaries).
import { createHash } from 'node:crypto';
import { WorldStratError } from '../errors.js';
import { checkObject, checkString } from '../internal/check-arguments.js';
import type { PipelineContext } from '../pipelines/pipeline.js';

/** Stages an executor can run (one BullMQ queue each). */
export const EXECUTOR_STAGES = [
  'rebuild-search',
  'rebuild-download',
  'rebuild-spot-order',
  'region-sr-tile',
] as const;

/** One of {@link EXECUTOR_STAGES}. */
export type ExecutorStage = (typeof EXECUTOR_STAGES)[number];

/** One unit of work: a name unique within its stage (an AOI name) and its JSON parameters. */
export interface ExecutorUnit<P> {
  unit: string;
  params: P;
}

/** What became of one unit: its result, or the typed code and message of its last failure. */
export type UnitOutcome<R> =
  | { unit: string; ok: true; value: R }
  | { unit: string; ok: false; code: string; message: string };

/** Options of one {@link Executor.run}. */
export interface ExecutorRunOptions {
  /** Units in flight (local executor; queue workers have their own `--concurrency`). */
  concurrency?: number;
  /** Enqueue and return at once (queue executor; the local executor ignores it). */
  detach?: boolean;
}

/** Result of one {@link Executor.run}. */
export interface ExecutorRunResult<R> {
  /** One outcome per unit, in the order given; empty when detached. */
  outcomes: UnitOutcome<R>[];
  /** True when the units were enqueued and not waited for. */
  detached: boolean;
}

/** Runs the units of a stage (see the file header). */
export interface Executor {
  readonly kind: 'local' | 'queue';
  run<P, R>(
    stage: ExecutorStage,
    units: readonly ExecutorUnit<P>[],
    options: ExecutorRunOptions,
    context: PipelineContext,
  ): Promise<ExecutorRunResult<R>>;
  /** Releases connections (idempotent). */
  close(): Promise<void>;
}

/**
 * Stable key of a unit: unit name + stage + a hash of its parameters (keys sorted), so an unchanged unit maps
 * to the same job and a changed one to a new job.
 *
 * @param stage - the stage.
 * @param unit - the unit.
 * @returns `<unit>.<16 hex digits>` (no `:`, which BullMQ job ids may not contain).
 * @throws {WorldStratError} `INVALID_ARGUMENT` when `stage` or `unit.unit` is not a string, `unit` not an
 *   object, or its parameters are not JSON (a bigint, nested deeper than 100 levels).
 */
export function unitKey<P>(stage: ExecutorStage, unit: ExecutorUnit<P>): string {
  checkString('unitKey', 'stage', stage);
  checkObject('unitKey', 'unit', unit);
  checkString('unitKey', 'unit.unit', unit.unit);
  const hash = createHash('sha256')
    .update(stage)
    .update('\0')
    .update(canonicalJson(unit.params))
    .digest('hex')
    .slice(0, 16);
  return `${unit.unit.replace(/[^A-Za-z0-9_.-]/g, '_')}.${hash}`;
}

/** Deepest nesting of unit parameters (they are JSON documents; a cycle would recurse for ever). */
const MAX_PARAMS_DEPTH = 100;

/** JSON with object keys sorted, so equal parameters hash equally whatever their key order. */
function canonicalJson(v: unknown, depth = 0): string {
  if (depth > MAX_PARAMS_DEPTH)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `unitKey: unit.params is nested deeper than ${MAX_PARAMS_DEPTH} levels (or holds a cycle)`,
    );
  if (typeof v === 'bigint')
    throw new WorldStratError('INVALID_ARGUMENT', `unitKey: unit.params holds a bigint (${v}), not JSON`);
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x, depth + 1)).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k], depth + 1)}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** The typed code of an error (`UNEXPECTED` for an untyped one). */
export function errorCodeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : 'UNEXPECTED';
}
