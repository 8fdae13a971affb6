// Public API of @worldstrat/raster-io: named re-exports only (browser-safe).
export { DTYPES } from './types.js';
export type { BBox, DType, GeoBlock, GeoTransform, Raster, RasterArray, RasterWindow } from './types.js';
export { HttpSourceError, RasterIoError, UnsupportedCodecError } from './errors.js';
export type { RasterIoErrorCode } from './errors.js';
export { readSafetensors } from './safetensors/read-safetensors.js';
export type { ReadSafetensorsOptions } from './safetensors/read-safetensors.js';
export { encodeSafetensors } from './safetensors/encode-safetensors.js';
export type { SafetensorsInput } from './safetensors/encode-safetensors.js';
export { SAFETENSORS_DTYPES, SAFETENSORS_DTYPE_BYTES } from './safetensors/safetensors-types.js';
export type {
  SafetensorsData,
  SafetensorsDType,
  SafetensorsFile,
  SafetensorsTensor,
} from './safetensors/safetensors-types.js';
export { resize } from './resample/resize.js';
export type { ResizeOptions } from './resample/resize.js';
export { RESIZE_METHODS } from './resample/resize-taps.js';
export type { ResizeMethod } from './resample/resize-taps.js';
export { resizeRaster } from './resample/resize-raster.js';
export type { ResizeRasterOptions } from './resample/resize-raster.js';
