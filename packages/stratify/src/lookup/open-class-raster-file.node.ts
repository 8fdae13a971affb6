import { fileSource } from '@worldstrat/raster-io/node';
import { type ClassRaster, type OpenClassRasterOptions, openClassRaster } from './class-raster.js';

/**
 * Opens a local classification GeoTIFF (e.g. the converted ESA CCI LCCS 2020 file or the GHSL SMOD 2015 file)
 * for point lookups; only the tiles/strips the points fall in are read from disk.
 * @param path file path.
 * @param options CRS override (`'ESRI:54009'` for GHSL SMOD), band, cache size.
 * @returns the raster handle; call `close()` when done.
 * @throws StratifyError as {@link openClassRaster}; raster-io errors for unreadable files.
 * @example
 * const smod = await openClassRasterFile('GHS_SMOD_POP2015_GLOBE_R2019A_54009_1K_V2_0.tif', { crs: 'ESRI:54009' });
 */
export async function openClassRasterFile(
  path: string,
  options: OpenClassRasterOptions = {},
): Promise<ClassRaster> {
  const source = await fileSource(path);
  try {
    return await openClassRaster(source, { name: path, ...options });
  } catch (err) {
    await source.close?.();
    throw err;
  }
}
