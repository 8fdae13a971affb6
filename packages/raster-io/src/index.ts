// Public API of @worldstrat/raster-io: named re-exports only (browser-safe).
export { DTYPES } from './types.js';
export type { BBox, DType, GeoBlock, GeoTransform, Raster, RasterArray, RasterWindow } from './types.js';
export { HttpSourceError, RasterIoError, UnsupportedCodecError } from './errors.js';
export type { RasterIoErrorCode } from './errors.js';
