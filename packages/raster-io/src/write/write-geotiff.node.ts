import { NODE_CODECS } from '../codecs/zlib-codec.node.js';
import type { Raster } from '../types.js';
import { type EncodeGeoTiffOptions, encodeGeoTiff } from './encode-geotiff.js';
import { writeFileAtomic } from './write-file-atomic.node.js';

/**
 * Encode a raster as GeoTIFF/COG (see {@link encodeGeoTiff}; deflate uses `node:zlib`) and write it
 * atomically (temporary file + rename).
 *
 * @param path - destination path
 * @param raster - the raster to write
 * @param options - as {@link encodeGeoTiff}
 * @returns the number of bytes written
 * @throws RasterIoError `WRITE_FAILED`, plus the errors of {@link encodeGeoTiff}
 * @example
 * ```ts
 * await writeGeoTiff('scene.tif', raster, { cog: true, compression: 'deflate', predictor: true, overviews: [2, 4] });
 * ```
 */
export async function writeGeoTiff(
  path: string,
  raster: Raster,
  options: EncodeGeoTiffOptions = {},
): Promise<number> {
  const bytes = encodeGeoTiff(raster, { ...options, codecs: { ...NODE_CODECS, ...options.codecs } });
  await writeFileAtomic(path, bytes);
  return bytes.byteLength;
}
