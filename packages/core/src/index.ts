// @worldstrat/core: the browser-safe foundation every WorldStrat package stands on.
export {
  type AbortErrorFactory,
  coreAbortError,
  onAbort,
  sleep,
  throwIfAborted,
} from './abort.js';
export { type CsvCell, type ParseCsvOptions, type ParsedCsv, parseCsv, toCsv } from './csv.js';
export { describeValue } from './describe-value.js';
export { CORE_ERROR_CODES, CoreError, type CoreErrorCode } from './errors.js';
export {
  formatIsoDay,
  type ParseIsoDayOptions,
  type ParseIsoTimeOptions,
  parseIsoDay,
  parseIsoTime,
} from './iso-day.js';
export { type ListShapeProblem, listShapeProblem } from './list-shape.js';
export { natCompare, natsorted } from './natural-sort.js';
export { bankersRound, pythonRound2 } from './python-round.js';
export { createRng, type Rng, uniform } from './random/create-rng.js';
export {
  JIF_S2_MEAN,
  JIF_S2_MEAN_F32,
  JIF_S2_STD,
  JIF_S2_STD_F32,
  S2_BAND_RESOLUTION_M,
  S2_CANONICAL_BANDS,
  S2_L1C_BANDS,
  S2_L2A_BANDS,
  type S2Band,
} from './sentinel2.js';
export { setMember } from './set-member.js';
export { withoutTrailingSlashes } from './trailing-slashes.js';
export type { BBox, GeoTransform } from './types.js';
export { decodeUtf8Text, type Utf8Fault } from './utf8-text.js';
export { type UtmZone, utmEpsgForLonLat, utmProj4, utmZoneForLonLat } from './utm.js';
