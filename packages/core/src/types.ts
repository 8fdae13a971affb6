/** `[minLon, minLat, maxLon, maxLat]` in degrees, WGS-84 (upstream's `bounds` order). */
export type BBox = [number, number, number, number];

/**
 * GDAL-style affine geotransform `[originX, pixelWidth, rowRotation, originY, colRotation, pixelHeight]`
 * (pixelHeight negative for north-up rasters): `x = t0 + col·t1 + row·t2`, `y = t3 + col·t4 + row·t5`.
 */
export type GeoTransform = [number, number, number, number, number, number];
