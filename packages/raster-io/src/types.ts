// Shared raster types. Keep them boring: band-sequential typed arrays plus an optional geo block.
import type { BBox, GeoTransform } from '@worldstrat/core';

// BBox and GeoTransform are defined once in @worldstrat/core; re-exported for raster-io's callers.
export type { BBox, GeoTransform };

/** Pixel data types WorldStrat files use (plus the wider ones GDAL may hand us). */
export const DTYPES = ['uint8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'] as const;
export type DType = (typeof DTYPES)[number];

export type RasterArray =
  | Uint8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

/** One GeoKey value: a number is a SHORT, an array DOUBLE params, a string ASCII params. */
export type GeoKeyValue = number | readonly number[] | string;

/** GeoTIFF GeoKeys by key id (1024 GTModelTypeGeoKey, 3072 ProjectedCSTypeGeoKey, ...). */
export type GeoKeys = Readonly<Record<number, GeoKeyValue>>;

/** Georeferencing of a raster: an EPSG code and a GDAL-ordered affine transform. */
export interface GeoBlock {
  /** EPSG code; 54009 for World Mollweide (ESRI); 0 when the CRS has no code (see `geoKeys`). */
  epsg: number;
  transform: GeoTransform;
  /**
   * The file's GeoKeys when its CRS has no EPSG code (user-defined projections, GHSL's Mollweide): the
   * writer writes them back so the CRS is kept. Used only while they still describe `epsg`.
   */
  geoKeys?: GeoKeys;
}

/** A raster in memory: one typed array per band (row-major, band-sequential). */
export interface Raster {
  width: number;
  height: number;
  dtype: DType;
  bands: RasterArray[];
  noData?: number | null;
  geo?: GeoBlock;
}

/** A pixel window: top-left corner plus size, in pixels of the image read. */
export interface RasterWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}
