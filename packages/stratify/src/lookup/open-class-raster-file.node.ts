import { stat } from 'node:fs/promises';
import { isMissingPathError } from '@worldstrat/core/node';
import { httpSource } from '@worldstrat/raster-io';
import { fileSource } from '@worldstrat/raster-io/node';
import { StratifyError } from '../errors.js';
import { checkOptions, checkString } from '../internal/check-arguments.js';
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
export async function openClassRasterFile(path: string, opts?: OpenClassRasterOptions): Promise<ClassRaster> {
  checkString('openClassRasterFile', 'path', path);
  const options = checkOptions('openClassRasterFile', opts);
  const source = await fileSource(path);
  try {
    return await openClassRaster(source, { name: path, ...options });
  } catch (err) {
    await source.close?.();
    throw err;
  }
}

const isUrl = (ref: string) => /^https?:\/\//i.test(ref);

/**
 * A local raster path: `RASTER_NOT_FOUND` when nothing is there, `INVALID_ARGUMENT` for a folder or another
 * non-file (saying which). Other stat failures (permissions) are left to the open, which names them.
 */
async function checkRasterFile(ref: string): Promise<void> {
  const info = await stat(ref).catch((err: NodeJS.ErrnoException) => err);
  if (info instanceof Error) {
    if (isMissingPathError(info))
      throw new StratifyError(
        'RASTER_NOT_FOUND',
        `classification raster ${ref} does not exist; pass an existing file or an http(s) URL`,
        { cause: info },
      );
    return;
  }
  if (info.isFile()) return;
  const what = info.isDirectory() ? 'a folder' : 'not a regular file (a FIFO, socket or device)';
  throw new StratifyError(
    'INVALID_ARGUMENT',
    `classification raster ${ref} is ${what}; pass a GeoTIFF file or an http(s) URL`,
  );
}

/**
 * Opens a classification raster from a local path or an http(s) URL (a COG read with range requests) for
 * point lookups: the one entry point for a path-or-URL the user typed.
 * @param ref file path or http(s) URL.
 * @param options CRS override (`'ESRI:54009'` for GHSL SMOD), band, cache size, read limits.
 * @returns the raster handle; call `close()` when done.
 * @throws StratifyError `RASTER_NOT_FOUND` for a missing local file or a URL answering 404 (naming `ref`);
 *   `INVALID_ARGUMENT` for a local path that is a folder or another non-file (naming `ref`); otherwise as
 *   {@link openClassRaster}; raster-io errors for unreadable files.
 * @example
 * const lc = await openClassRasterPathOrUrl('https://example.org/lccs-2020.tif');
 */
export async function openClassRasterPathOrUrl(
  ref: string,
  opts?: OpenClassRasterOptions,
): Promise<ClassRaster> {
  checkString('openClassRasterPathOrUrl', 'ref', ref);
  const options = checkOptions('openClassRasterPathOrUrl', opts);
  if (!isUrl(ref)) await checkRasterFile(ref);
  try {
    return isUrl(ref)
      ? await openClassRaster(httpSource(ref), { name: ref, ...options })
      : await openClassRasterFile(ref, options);
  } catch (err) {
    // a 404, or a file gone between the check above and the open
    const code = (err as { code?: string }).code;
    if (code === 'NOT_FOUND' || code === 'FILE_NOT_FOUND' || isMissingPathError(err))
      throw new StratifyError('RASTER_NOT_FOUND', `classification raster ${ref} not found`, { cause: err });
    throw err;
  }
}
