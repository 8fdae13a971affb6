// Public API of @worldstrat/raster-io: named re-exports only (browser-safe).

export type { BlockInfo, Codec, LoadCodec } from './codecs/codec.js';
export { hasCodec, registerCodec } from './codecs/codec-registry.js';
export type { JpegBlockParams } from './codecs/jpeg-params.js';
export type { CrsRef } from './crs/projection-registry.js';
export { projectionDefinition, registerProjection, utmProj4 } from './crs/projection-registry.js';
export { transformCoords } from './crs/transform-coords.js';
export type { UtmZone } from './crs/utm-zone.js';
export { utmEpsgForLonLat, utmZoneForLonLat } from './crs/utm-zone.js';
export type { RasterIoErrorCode } from './errors.js';
export { HttpSourceError, RASTER_IO_ERROR_CODES, RasterIoError, UnsupportedCodecError } from './errors.js';
export { redactUrl } from './internal/redact-url.js';
export type { UrlCredentials } from './internal/url-credentials.js';
export { splitUrlCredentials, urlSecrets } from './internal/url-credentials.js';
export type { Colormap } from './png/colormaps.js';
export { CLASS_PALETTE, COLORMAPS } from './png/colormaps.js';
export type { PngImage } from './png/encode-png.js';
export { encodePng } from './png/encode-png.js';
export type { QuicklookOptions, QuicklookStretch } from './png/render-quicklook.js';
export { renderQuicklook } from './png/render-quicklook.js';
export type { DnToReflectanceOptions } from './radiometry/dn-to-reflectance.js';
export { dnToReflectance } from './radiometry/dn-to-reflectance.js';
export type { PansharpenOptions } from './radiometry/pansharpen-hsv.js';
export { pansharpenHsv } from './radiometry/pansharpen-hsv.js';
export type {
  PercentileOptions,
  PercentileStretchOptions,
  StretchResult,
} from './radiometry/percentile-stretch.js';
export { percentileStretch, percentiles } from './radiometry/percentile-stretch.js';
export type { HarmonizeOptions } from './radiometry/processing-baseline.js';
export { harmonizeProcessingBaseline, S2_PB04_OFFSET } from './radiometry/processing-baseline.js';
export type {
  MagnitudeMismatch,
  SampledRaster,
  SampleKindMismatch,
  TypicalMagnitudeOptions,
} from './radiometry/sample-scale.js';
export {
  findMagnitudeMismatch,
  findSampleKindMismatch,
  rasterSampleType,
  SCALE_RATIO_LIMIT,
  typicalMagnitude,
} from './radiometry/sample-scale.js';
export type { ToUint8Options } from './radiometry/to-uint8.js';
export { to8BitRadiometry } from './radiometry/to-uint8.js';
export type { RasterIoLimits } from './read/limits.js';
export { DEFAULT_RASTER_IO_LIMITS } from './read/limits.js';
export type { GeoTiff, GeoTiffLevel, OpenGeoTiffOptions } from './read/open-geotiff.js';
export { openGeoTiff } from './read/open-geotiff.js';
export type {
  BlockFailure,
  DecodeCallOptions,
  DecodeTask,
  ParallelBlockDecoder,
} from './read/parallel-decoder.js';
export type { BlockGeometry, BlockJob } from './read/place-block.js';
export type { ReadMaskOptions, ReadMaskResult } from './read/read-mask.js';
export { readMask } from './read/read-mask.js';
export type { FilledBlock, ReadRasterOptions, ReadRasterResult } from './read/read-raster.js';
export { DEFAULT_READ_RASTER, readRaster } from './read/read-raster.js';
export type { ResizeOptions } from './resample/resize.js';
export { resize } from './resample/resize.js';
export type { ResizeRasterOptions } from './resample/resize-raster.js';
export { resizeRaster } from './resample/resize-raster.js';
export type { ResizeMethod } from './resample/resize-taps.js';
export { RESIZE_METHODS } from './resample/resize-taps.js';
export type { SafetensorsInput } from './safetensors/encode-safetensors.js';
export { encodeSafetensors } from './safetensors/encode-safetensors.js';
export type { ReadSafetensorsOptions } from './safetensors/read-safetensors.js';
export { readSafetensors } from './safetensors/read-safetensors.js';
export type {
  SafetensorsData,
  SafetensorsDType,
  SafetensorsFile,
  SafetensorsTensor,
} from './safetensors/safetensors-types.js';
export { SAFETENSORS_DTYPE_BYTES, SAFETENSORS_DTYPES } from './safetensors/safetensors-types.js';
export type { BlockCacheOptions } from './source/block-cache.js';
export { blockCache, DEFAULT_BLOCK_CACHE } from './source/block-cache.js';
export type { ByteSource, LentFile } from './source/byte-source.js';
export {
  fetchWithGuardedRedirects,
  type GuardedRedirectFailure,
  MAX_REDIRECTS,
  type RedirectGuard,
} from './source/guarded-redirects.js';
export type { HttpByteSource, HttpSourceOptions } from './source/http-source.js';
export { DEFAULT_HTTP_SOURCE, httpSource } from './source/http-source.js';
export { memorySource } from './source/memory-source.js';
export type {
  BBox,
  DType,
  GeoBlock,
  GeoKeys,
  GeoKeyValue,
  GeoTransform,
  Raster,
  RasterArray,
  RasterWindow,
} from './types.js';
export { DTYPES } from './types.js';
export type { ProjectedGrid } from './warp/project-grid.js';
export { projectGrid } from './warp/project-grid.js';
export type { UtmGridOptions } from './warp/utm-grid-for-bbox.js';
export { utmGridForBBox } from './warp/utm-grid-for-bbox.js';
export type { WarpGeoTiffOptions } from './warp/warp-geotiff.js';
export { warpGeoTiff } from './warp/warp-geotiff.js';
export type { TargetGrid, WarpMethod, WarpOptions } from './warp/warp-raster.js';
export { WARP_METHODS, warpRaster } from './warp/warp-raster.js';
export type { EncodeGeoTiffOptions } from './write/encode-geotiff.js';
export { DEFAULT_ENCODE_GEOTIFF, encodeGeoTiff } from './write/encode-geotiff.js';
export type { OverviewResampling } from './write/overviews.js';
