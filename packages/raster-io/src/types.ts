// Shared raster types. Keep them boring: band-sequential typed arrays plus an optional geo block.

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

/** Affine transform in GDAL GeoTransform order: [originX, pixelW, rotX, originY, rotY, -pixelH]. */
export type GeoTransform = [number, number, number, number, number, number];

/** Georeferencing of a raster: an EPSG code and a GDAL-ordered affine transform. */
export interface GeoBlock {
  epsg: number;
  transform: GeoTransform;
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

/** [minX, minY, maxX, maxY]; in degrees for lon/lat (WorldStrat's `bounds` order). */
export type BBox = [number, number, number, number];
