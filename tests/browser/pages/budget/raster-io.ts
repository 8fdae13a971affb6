export { encodeGeoTiff, openGeoTiff, readRaster } from '@worldstrat/raster-io';
