// Node-only entry of worldstrat: file-system datasets, rendering to PNG/GIF, pipelines.

export type {
  BatchOptions,
  ChipBatch,
  DatasetProblem,
  DatasetScan,
  DownloadReleaseOptions,
  DownloadReleaseResult,
  ExtractTarGzOptions,
  ExtractTarGzReport,
  GenerateSyntheticDatasetOptions,
  HrFolder,
  LoadedScene,
  OpenDatasetOptions,
  ReleaseFile,
  ReleaseFileResult,
  ScanDatasetOptions,
  SceneEntry,
  ShapedArray,
  SplitMode,
  SplitName,
  SyntheticAoi,
  SyntheticDatasetSummary,
  WorldStratDataset,
} from '@worldstrat/dataset/node';
export {
  archiveMemberTarget,
  assignSplits,
  DEFAULT_SYNTHETIC_DATASET,
  downloadRelease,
  extractTarGz,
  generateSyntheticDataset,
  md5File,
  openDataset,
  RELEASE_FILES,
  SPLIT_CSV_NAME,
  scanDataset,
  ZENODO_BASE_URL,
  ZENODO_RECORD,
} from '@worldstrat/dataset/node';
export { EXIT_CODES, exitCodeFor } from './cli/exit-codes.js';
export { createProgram, runCli } from './cli/program.js';
export type { CliIo } from './cli/runtime.js';
export type {
  Executor,
  ExecutorRunOptions,
  ExecutorRunResult,
  ExecutorStage,
  ExecutorUnit,
  UnitOutcome,
} from './executors/executor.js';
export { EXECUTOR_STAGES, unitKey } from './executors/executor.js';
export { LocalExecutor } from './executors/local-executor.node.js';
export type {
  QueueExecutorOptions,
  QueueStatus,
  QueueWorkerOptions,
  QueueWorkerResult,
} from './executors/queue-executor.node.js';
export { QueueExecutor, queueStatus, runQueueWorker } from './executors/queue-executor.node.js';
export type { RebuildSearchParams, RebuildSearchResult } from './executors/rebuild-search-unit.node.js';
export type { RebuildSpotOrderParams } from './executors/rebuild-spot-unit.node.js';
export type { RebuildDownloadParams } from './executors/rebuild-units.node.js';
export type { QueueUrl } from './executors/redis-connection.node.js';
export { parseQueueUrl } from './executors/redis-connection.node.js';
export type { HrWindow, RegionTileParams, RegionTileResult } from './executors/region-tile-unit.node.js';
export type { SharedHostLimits, SharedProcessingUnitLimit } from './executors/shared-rate-limit.node.js';
export { sharedHostLimitedFetch, sharedProcessingUnitFetch } from './executors/shared-rate-limit.node.js';
export type { StageRuntime } from './executors/stage-handlers.node.js';
export type { RedisLockOptions, UnitLock } from './executors/unit-lock.node.js';
export { inProcessLock, redisLock } from './executors/unit-lock.node.js';
export * from './index.js';
export type {
  BenchmarkOptions,
  BenchmarkResult,
  BenchmarkRow,
  ModelOrigin,
} from './pipelines/benchmark.node.js';
export {
  benchmarkModels,
  benchmarkPipeline,
  resultRows,
  resultsMarkdown,
  runBenchmark,
} from './pipelines/benchmark.node.js';
export type { DemoChecks, DemoOptions, DemoResult } from './pipelines/demo.node.js';
export { DEMO_DEFAULTS, demoChecks, demoPipeline, runDemo } from './pipelines/demo.node.js';
export { downloadReleasePipeline } from './pipelines/download-release.node.js';
export type {
  BicubicUpsampleOptions,
  EngineChoice,
  EvaluatedModel,
  EvaluateModelsOptions,
  EvaluateModelsResult,
  EvaluatePipelineOptions,
  MethodScores,
  PanelChip,
} from './pipelines/evaluate-models.node.js';
export {
  bicubicUpsample,
  evaluateModels,
  evaluatePipeline,
  loadWeightsEngine,
  METRIC_MODES,
} from './pipelines/evaluate-models.node.js';
export type { Pipeline, PipelineContext } from './pipelines/pipeline.js';
export { definePipeline } from './pipelines/pipeline.js';
export type { PlotDatasetOptions, PlotDatasetResult } from './pipelines/plot-dataset.node.js';
export { plotDatasetPipeline } from './pipelines/plot-dataset.node.js';
export { readTrainHistory } from './pipelines/read-train-history.node.js';
export type {
  RebuildAoi,
  RebuildOptions,
  RebuildPlan,
  RebuildProvider,
  RebuildResult,
} from './pipelines/rebuild.node.js';
export {
  downloadPlanRevisits,
  openClassificationRaster,
  planRebuild,
  rebuild,
  rebuildPipeline,
} from './pipelines/rebuild.node.js';
export { featherWeight } from './pipelines/region-mosaic.node.js';
export type { LrWindow, RegionPlan, RegionPlanOptions, RegionTile } from './pipelines/region-plan.js';
export {
  DEFAULT_MAX_REGION_PIXELS,
  DEFAULT_MAX_REGION_SIDE_PX,
  planRegion,
  regionFromGeoJson,
} from './pipelines/region-plan.js';
export type {
  RegionSuperresolveOptions,
  RegionSuperresolveResult,
} from './pipelines/region-superresolve.node.js';
export { regionSuperresolvePipeline } from './pipelines/region-superresolve.node.js';
export type {
  SuperresolveAoi,
  SuperresolveOptions,
  SuperresolveResult,
  SuperresolveSearchReport,
} from './pipelines/superresolve.node.js';
export {
  expandRevisitInputs,
  MAX_AOI_SIDE_PX,
  resolveSuperresolveAoi,
  superresolvePipeline,
} from './pipelines/superresolve.node.js';
export type {
  ModelSpec,
  TrainHistory,
  TrainModelOptions,
  TrainModelResult,
  TrainPipelineOptions,
  TrainPipelineResult,
} from './pipelines/train-model.node.js';
export {
  modelStem,
  sliceRevisits,
  trainModel,
  trainPipeline,
} from './pipelines/train-model.node.js';
export type {
  TrainInWorkersOptions,
  TrainJob,
  TrainWorkerMessage,
} from './pipelines/train-workers.node.js';
export { defaultTrainWorkers, trainInWorkers } from './pipelines/train-workers.node.js';
export type { SvgToPngOptions } from './plots/render-png.node.js';
export { svgToPng, writePlot } from './plots/render-png.node.js';
