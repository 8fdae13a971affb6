// Node-only entry of @worldstrat/dataset: the dataset reader and scanner, the synthetic generator, release
// download and archive extraction, and the layout's file paths and table writers.

export type { ExtractTarGzOptions, ExtractTarGzReport } from './archive/extract-tar-gz.node.js';
export { archiveMemberTarget, extractTarGz } from './archive/extract-tar-gz.node.js';
export type { ExtractZipOptions } from './archive/extract-zip.node.js';
export { extractZip } from './archive/extract-zip.node.js';
export type { DatasetStore, ZipStoreOptions } from './dataset/dataset-store.node.js';
export { RELEASE_ZIPS, releaseFileUrl } from './dataset/dataset-store.node.js';
export type {
  BatchOptions,
  ChipBatch,
  LoadedScene,
  OpenDatasetOptions,
  ShapedArray,
  SplitMode,
} from './dataset/open-dataset.node.js';
export { openDataset, WorldStratDataset } from './dataset/open-dataset.node.js';
export type {
  DatasetProblem,
  DatasetScan,
  HrFolder,
  ScanDatasetOptions,
  SceneEntry,
  SplitName,
} from './dataset/scan-dataset.node.js';
export { scanDataset } from './dataset/scan-dataset.node.js';
export * from './index.js';
export {
  hrAoiDir,
  hrImagePath,
  lrDatasetDir,
  lrLevelDir,
  lrRevisitFiles,
  lrRevisitPath,
  metadataCsvPath,
  splitCsvPath,
  writeMetadataCsv,
  writeSplitCsv,
} from './layout.node.js';
export type {
  DownloadReleaseContext,
  DownloadReleaseOptions,
  DownloadReleaseResult,
  ReleaseFile,
  ReleaseFileResult,
  ReleaseRecord,
} from './release/download-release.node.js';
export {
  downloadRelease,
  md5File,
  RELEASE_FILES,
  RELEASE_FILES_V1_1,
  RELEASE_RECORDS,
  ZENODO_BASE_URL,
  ZENODO_RECORD,
  ZENODO_RECORD_V1_1,
} from './release/download-release.node.js';
export type {
  GenerateSyntheticDatasetOptions,
  SyntheticAoi,
  SyntheticDatasetSummary,
} from './synthetic/generate-synthetic-dataset.node.js';
export {
  assignSplits,
  DEFAULT_SYNTHETIC_DATASET,
  generateSyntheticDataset,
} from './synthetic/generate-synthetic-dataset.node.js';
