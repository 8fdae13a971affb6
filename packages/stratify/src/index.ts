// Public API of @worldstrat/stratify: named re-exports only.

export { natCompare, natsorted, pythonRound2 } from '@worldstrat/core';
export type { LandPointTopUpOptions } from './draw/land-point-top-up.js';
export { landPointTopUp } from './draw/land-point-top-up.js';
export type { Shortfall, StratifiedDrawOptions, StratifiedDrawResult } from './draw/stratified-draw.js';
export { stratifiedDraw } from './draw/stratified-draw.js';
export type { StratifyErrorCode } from './errors.js';
export { STRATIFY_ERROR_CODES, StratifyError } from './errors.js';
export type { LoadLandMaskFromGeoTiffOptions } from './land/load-land-mask-from-geotiff.js';
export { loadLandMaskFromGeoTiff } from './land/load-land-mask-from-geotiff.js';
export type { ClassDataset } from './legends/datasets.js';
export { CLASS_DATASETS } from './legends/datasets.js';
export type { IpccClass } from './legends/lccs.js';
export { IPCC_CLASSES, LCCS_LABELS, LCCS_TO_IPCC, lccsLabel } from './legends/lccs.js';
export { SMOD_LABELS, smodLabel } from './legends/smod.js';
export { WORLDCOVER_LABELS, WORLDCOVER_TO_IPCC } from './legends/worldcover.js';
export type {
  ClassRaster,
  ClassRasterStats,
  LookupOptions,
  OpenClassRasterOptions,
} from './lookup/class-raster.js';
export { openClassRaster } from './lookup/class-raster.js';
export type { ClassColumns, ClassifyPointsOptions } from './lookup/classify-points.js';
export { classifyPoints } from './lookup/classify-points.js';
export type { Mt19937 } from './random/mt19937.js';
export { mt19937, randperm } from './random/mt19937.js';
export type {
  Allocation,
  ClassCount,
  ClassKey,
  RebalanceOptions,
  RebalanceWeightName,
  RebalanceWithinClassOptions,
  SubStratumAllocation,
} from './rebalance/rebalance.js';
export {
  classCounts,
  isRebalanceWeightName,
  REBALANCE_WEIGHTS,
  rebalance,
  rebalanceWithinClass,
} from './rebalance/rebalance.js';
export type { PaperSplit, PaperSplitOptions } from './splits/paper-split.js';
export { PAPER_SPLIT, paperSplit } from './splits/paper-split.js';
export type {
  PaperSplitLabel,
  PaperSplitLabels,
  StratifiedSplitLabels,
} from './splits/split-labels.js';
export { paperSplitLabels, stratifiedSplitLabels } from './splits/split-labels.js';
export type { SplitName, StratifiedSplitOptions, StratifiedSplitResult } from './splits/stratified-split.js';
export { stratifiedSplit } from './splits/stratified-split.js';
export type { ClassifiedPoint } from './table/classified-table.js';
export { classifiedPointsToCsv, classifiedPointsToTable } from './table/classified-table.js';
