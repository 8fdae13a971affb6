// The unit code of every executor stage, shared by the local executor and the queue workers: whichever runs
// a unit runs exactly this function.
import type { PipelineContext } from '../pipelines/pipeline.js';
import type { DocumentSource } from './document-checks.node.js';
import type { ExecutorStage } from './executor.js';
import {
  checkRebuildSearchParams,
  checkRebuildSearchResult,
  runRebuildSearchUnit,
} from './rebuild-search-unit.node.js';
import {
  checkSpotOrderParams,
  checkSpotOrdersResult,
  runRebuildSpotOrderUnit,
} from './rebuild-spot-unit.node.js';
import {
  checkDownloadResult,
  checkRebuildDownloadParams,
  runRebuildDownloadUnit,
} from './rebuild-units.node.js';
import { checkRegionTileParams, checkRegionTileResult, runRegionTileUnit } from './region-tile-unit.node.js';
import type { UnitLock } from './unit-lock.node.js';

/** A stage's unit function: JSON parameters in, JSON result out; throws typed errors. */
export type StageHandler = (
  params: never,
  context: PipelineContext,
  runtime: StageRuntime,
) => Promise<unknown>;

/** What a unit gets from the process running it, never from the job's parameters (e.g. a credentialed fetch). */
export interface StageRuntime {
  fetch?: typeof fetch;
  /** Exclusive sections shared with every process that may run the same units (SPOT orders). */
  lock?: UnitLock;
}

/** The unit function of each stage. */
export const STAGE_HANDLERS: { readonly [S in ExecutorStage]: StageHandler } = Object.freeze({
  'rebuild-search': runRebuildSearchUnit as StageHandler,
  'rebuild-download': runRebuildDownloadUnit as StageHandler,
  'rebuild-spot-order': runRebuildSpotOrderUnit as StageHandler,
  'region-sr-tile': runRegionTileUnit as StageHandler,
});

/** Checks of what crosses a queue: a job's parameters (worker side) and its result (coordinator side). */
export interface StagePayloadChecks {
  params(v: unknown, doc: DocumentSource): unknown;
  /** `params` are the coordinator's own (already trusted) parameters of the unit. */
  result(v: unknown, doc: DocumentSource, params: never): unknown;
}

/** The payload checks of each stage. */
export const STAGE_PAYLOAD_CHECKS: { readonly [S in ExecutorStage]: StagePayloadChecks } = Object.freeze({
  'rebuild-search': { params: checkRebuildSearchParams, result: checkRebuildSearchResult },
  'rebuild-download': { params: checkRebuildDownloadParams, result: checkDownloadResult },
  'rebuild-spot-order': { params: checkSpotOrderParams, result: checkSpotOrdersResult },
  'region-sr-tile': { params: checkRegionTileParams, result: checkRegionTileResult },
});
