// Public API of @worldstrat/eo-fetch: named re-exports only (browser-safe).

export type { EoFetchErrorCode } from './errors.js';
export { EO_FETCH_ERROR_CODES, EoFetchError, HttpError } from './errors.js';
export { headerSecrets } from './http/header-secrets.js';
export type { FetchLike, RequestJsonOptions } from './http/request-json.js';
export {
  DEFAULT_MAX_JSON_BYTES,
  httpErrorFromResponse,
  readBytesBounded,
  readTextBounded,
  requestJson,
  scrub,
} from './http/request-json.js';
export type { RetryEvent, RetryPolicy, WithRetryOptions } from './http/retry.js';
export {
  backoffDelay,
  classifyFetchError,
  DEFAULT_RETRY_POLICY,
  isRetryable,
  parseRetryAfter,
  redactUrl,
  retryDelay,
  sleep,
  withRetry,
} from './http/retry.js';
export type { UrlCredentials } from './http/url-credentials.js';
export { splitUrlCredentials, urlSecrets } from './http/url-credentials.js';
export type { AoiSizeOptions } from './layout/aoi-grid.js';
export { aoiGrid, aoiPixelSize, DEFAULT_MAX_AOI_SIDE_PX } from './layout/aoi-grid.js';
export type { RevisitLayer, RevisitMetadata } from './layout/release-layout.js';
export { hrPaths, lrRevisitPaths } from './layout/release-layout.js';
export type { CatalogueEntry, Footprint } from './matching/catalogue-entry.js';
export { catalogueEntriesFromStacItems, catalogueEntryFromStacItem } from './matching/catalogue-entry.js';
export type {
  DuplicateAcquisition,
  MatchAoi,
  MatchedRevisit,
  MatchResult,
  MatchRevisitsOptions,
} from './matching/match-revisits.js';
export {
  cloudFractionFromClm,
  cloudFractionFromScl,
  DEFAULT_MATCH_REVISITS,
  matchRevisits,
  rerankByCloudFraction,
} from './matching/match-revisits.js';
export { revisitsToCsv, revisitsToTable } from './matching/revisit-table.js';
export type { ProcessRequest, S2ExtraLayer, S2ProcessRequestOptions } from './sentinelhub/evalscripts.js';
export {
  CRS_WGS84,
  estimateProcessingUnits,
  s2BandsEvalscript,
  s2LayerEvalscript,
  s2ProcessRequest,
  spotEvalscript,
  spotProcessRequest,
} from './sentinelhub/evalscripts.js';
export type {
  ByocCollection,
  OrderResult,
  SentinelHubClientOptions,
  SentinelHubCredentials,
  SentinelHubOrder,
  SentinelHubQuota,
  SpotFeature,
  SpotOrderInput,
  SpotSearchParams,
} from './sentinelhub/sentinel-hub-client.js';
export { DEFAULT_MAX_PROCESS_BYTES, SentinelHubClient } from './sentinelhub/sentinel-hub-client.js';
export { catalogueEntryFromSpotFeature } from './sentinelhub/spot-entry.js';
export type { PlanetaryComputerSigner, PlanetaryComputerSignerOptions } from './stac/planetary-computer.js';
export { createPlanetaryComputerSigner } from './stac/planetary-computer.js';
export type { CanonicalBand, S2Level, ScalingSource, StacProvider } from './stac/providers.js';
export {
  BAND_RESOLUTION_M,
  bandAsset,
  CANONICAL_BANDS,
  earthSearch,
  earthSearchC1,
  getStacProvider,
  itemAssets,
  L1C_BANDS,
  L2A_BANDS,
  planetaryComputer,
  reflectanceScaling,
  registerStacProvider,
} from './stac/providers.js';
export type {
  StacCapability,
  StacClientOptions,
  StacItemCollectionResult,
  StacPage,
  StacRequest,
  StacSearchOptions,
  StacWarning,
} from './stac/stac-client.js';
export {
  DEFAULT_STAC_ITEM_LIMIT,
  DEFAULT_STAC_PAGE_LIMIT,
  nextRequest,
  StacClient,
  searchBody,
} from './stac/stac-client.js';
export type {
  StacAsset,
  StacCollection,
  StacDatetime,
  StacGeometry,
  StacItem,
  StacItemCollection,
  StacItemProperties,
  StacLink,
  StacRasterBand,
  StacSearchParams,
  StacSortBy,
} from './stac/stac-types.js';
export type { InvalidItem } from './stac/validate-item.js';
