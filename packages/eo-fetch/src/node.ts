// Node-only entry of @worldstrat/eo-fetch (the only place node:* modules are imported).

export type {
  DownloadFailure,
  DownloadJob,
  DownloadOptions,
  DownloadProgress,
  DownloadReport,
} from './download/download-engine.node.js';
export {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_FILE_BYTES,
  DownloadEngine,
  downloadAll,
  PARTIAL_SUFFIX,
  sha256File,
  stillVerified,
} from './download/download-engine.node.js';
export type { FileFingerprint } from './download/file-fingerprint.node.js';
export type { ManifestRecord, ManifestRootOptions, ManifestStatus } from './download/manifest.node.js';
export { appendManifest, compactManifest, ManifestWriter, readManifest } from './download/manifest.node.js';
export type {
  RevisitDownloadReport,
  RevisitDownloadResult,
  StacRevisitOptions,
} from './download/stac-revisits.node.js';
export { downloadStacRevisit, downloadStacRevisits } from './download/stac-revisits.node.js';
export type { RemoveStaleTempsOptions } from './download/stale-temps.node.js';
export { DEFAULT_STALE_TEMP_MS, removeStaleTemps } from './download/stale-temps.node.js';
export * from './index.js';
export type { WriteRevisitLayoutOptions } from './layout/write-revisit-layout.node.js';
export { writeRevisitLayout } from './layout/write-revisit-layout.node.js';
export type { LoadCredentialsOptions } from './sentinelhub/credentials.node.js';
export { loadSentinelHubCredentials } from './sentinelhub/credentials.node.js';
export type { SentinelHubRevisitJobsOptions } from './sentinelhub/sentinel-hub-downloads.node.js';
export {
  downloadSentinelHubRevisits,
  fetchNotingToken,
  sentinelHubRevisitJobs,
  spotDownloadJobs,
  tiffCheck,
  writeRevisitMetadata,
} from './sentinelhub/sentinel-hub-downloads.node.js';
export type {
  DownloadRevisitsOptions,
  DownloadRevisitsResult,
  RevisitProvider,
  SearchRevisitsOptions,
  SearchRevisitsResult,
  SkippedItem,
  UnpairedLevelRevisit,
} from './stages/revisit-stages.node.js';
export {
  downloadRevisits,
  MAX_ITEMS_PER_SEARCH,
  revisitSelectionLevel,
  searchItemCap,
  searchRevisits,
  searchSkipLines,
  sentinelHubClientFor,
} from './stages/revisit-stages.node.js';
export type {
  SpotOrderAoi,
  SpotOrderLock,
  SpotOrderOptions,
  SpotOrderRecord,
  SpotOrderRunOptions,
  SpotOrdersResult,
} from './stages/spot-orders.node.js';
export {
  emptySpotResult,
  orderSpotImagery,
  pansharpenSpotAoi,
  SpotOrderError,
} from './stages/spot-orders.node.js';
export type { StageContext } from './stages/stage-context.js';
