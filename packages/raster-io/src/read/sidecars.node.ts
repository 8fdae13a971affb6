// The files GDAL reads beside a local GeoTIFF besides its world file: the PAM `.aux.xml` (georeferencing and nodata
// that win over the file's own) and the `.msk` mask (GDAL's default per-dataset mask outside the file).
import { stat, statSync } from 'node:fs';
import { readFileBounded } from '@worldstrat/core/node';
import { NODE_CODECS } from '../codecs/node-codecs.node.js';
import { RasterIoError } from '../errors.js';
import { type FileSourceOptions, fileSource } from '../source/file-source.node.js';
import { nodeBlockDecoder } from './decode-pool.node.js';
import type { RasterIoLimits } from './limits.js';
import { type GeoTiff, openGeoTiff } from './open-geotiff.js';
import { type PamInfo, parsePam } from './pam.js';

/** Largest PAM sidecar read: GDAL's are a few KB, 64 MiB holds large raster attribute tables and histograms. */
export const MAX_PAM_BYTES = 64 * 2 ** 20;

/** A regular file at `path`, or false when there is none (or no regular file), as GDAL looks for sidecars. */
function sidecarSize(path: string, { syncIo }: FileSourceOptions = {}): Promise<number | false> {
  if (syncIo) {
    try {
      const s = statSync(path, { throwIfNoEntry: false });
      return Promise.resolve(s?.isFile() ? s.size : false);
    } catch {
      return Promise.resolve(false); // no permission, a NUL byte: no sidecar, as below
    }
  }
  // the callback form: a missing file (the usual answer) costs half of what fs/promises' rejection does, which
  // captures a stack trace for it, and every open looks for two sidecars
  return new Promise((resolve) => {
    try {
      stat(path, (err, s) => resolve(!err && s.isFile() ? s.size : false));
    } catch {
      resolve(false); // a path fs refuses outright (a NUL byte): no sidecar; the file's own open names the fault
    }
  });
}

/**
 * The PAM sidecar of `tiffPath` (`tiffPath + '.aux.xml'`, the name GDAL gives it), read as GDAL reads it
 * ({@link parsePam}); undefined when there is none or it is no `<PAMDataset>`.
 * @throws RasterIoError `TOO_LARGE` for a sidecar over {@link MAX_PAM_BYTES}, `CORRUPT_TIFF` for one that is no
 *   well-formed XML or holds a bad GeoTransform, each naming the sidecar
 */
export async function readPamSidecar(
  tiffPath: string,
  options: FileSourceOptions = {},
): Promise<PamInfo | undefined> {
  const path = `${tiffPath}.aux.xml`;
  const size = await sidecarSize(path, options);
  if (size === false) return undefined;
  if (size > MAX_PAM_BYTES) {
    throw new RasterIoError(
      'TOO_LARGE',
      `${path}: GDAL PAM sidecar is ${size} bytes, more than the ${MAX_PAM_BYTES} read; move it away to read ${tiffPath} without it`,
    );
  }
  let text: string;
  try {
    text = (await readFileBounded(path, { maxBytes: MAX_PAM_BYTES, what: 'GDAL PAM sidecar' })).toString(
      'utf8',
    );
  } catch (err) {
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${path}: GDAL PAM sidecar cannot be read (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  return parsePam(text, path);
}

/** Whether `tiffPath + '.msk'` is a regular file (where GDAL looks for a mask sidecar). */
export async function hasMaskSidecar(tiffPath: string, options: FileSourceOptions = {}): Promise<boolean> {
  return (await sidecarSize(`${tiffPath}.msk`, options)) !== false;
}

/**
 * GDAL's mask sidecar of `tiffPath` (`tiffPath + '.msk'`), opened like the file (Node codecs, worker pool, the
 * same limits), once {@link hasMaskSidecar} has found it. Its errors name it.
 */
export async function openMaskSidecar(
  tiffPath: string,
  options: { signal?: AbortSignal; limits?: Partial<RasterIoLimits> } & FileSourceOptions,
): Promise<{ tiff: GeoTiff; path: string }> {
  const path = `${tiffPath}.msk`;
  const source = fileSource(path, { syncIo: options.syncIo });
  try {
    const tiff = await openGeoTiff(source, {
      name: path,
      blockDecoder: nodeBlockDecoder,
      codecs: NODE_CODECS,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
    });
    return { tiff, path };
  } catch (err) {
    await source.close();
    throw err;
  }
}
