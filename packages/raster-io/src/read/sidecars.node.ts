// The files GDAL reads beside a local GeoTIFF besides its world file: the PAM `.aux.xml` (georeferencing and nodata
// that win over the file's own), the `.msk` mask (GDAL's default per-dataset mask outside the file) and the `.ovr`
// overviews (what `gdaladdo -ro` and a read-only BuildOverviews write).
import { stat, statSync } from 'node:fs';
import { readFileBounded } from '@worldstrat/core/node';
import { NODE_CODECS } from '../codecs/node-codecs.node.js';
import { RasterIoError } from '../errors.js';
import { type FileSourceOptions, fileSource } from '../source/file-source.node.js';
import { nodeBlockDecoder } from './decode-pool.node.js';
import type { RasterIoLimits } from './limits.js';
import { type GeoTiff, openGeoTiffWith, type Sidecars } from './open-geotiff.js';
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

/** A sidecar TIFF, opened, with the path its errors name. */
export interface SidecarTiff {
  tiff: GeoTiff;
  path: string;
}

/** Options of the sidecar TIFFs: the main file's signal, limits and I/O mode. */
type SidecarTiffOptions = { signal?: AbortSignal; limits?: Partial<RasterIoLimits> } & FileSourceOptions;

/**
 * GDAL's mask sidecar of `tiffPath` (`tiffPath + '.msk'`), opened like the file (Node codecs, worker pool, the
 * same limits) with its own `.ovr` overviews (where GDAL puts a mask's overviews built read-only), once
 * {@link hasMaskSidecar} has found it. Its errors name it.
 */
export async function openMaskSidecar(tiffPath: string, options: SidecarTiffOptions): Promise<SidecarTiff> {
  const path = `${tiffPath}.msk`;
  return openSidecarTiff(path, options, {
    overviews: async () => {
      const ovr = await findOverviewSidecar(path, options);
      return ovr ? openSidecarTiff(ovr, options, {}) : undefined;
    },
  });
}

/**
 * Where GDAL finds the external overviews of `tiffPath`: `tiffPath + '.ovr'`, else `tiffPath + '.OVR'` (the names
 * it tries on a case-sensitive file system); undefined when neither is a regular file. Both are looked for at once.
 */
export async function findOverviewSidecar(
  tiffPath: string,
  options: FileSourceOptions = {},
): Promise<string | undefined> {
  const names = [`${tiffPath}.ovr`, `${tiffPath}.OVR`];
  const sizes = await Promise.all(names.map((name) => sidecarSize(name, options)));
  return names.find((_, i) => sizes[i] !== false);
}

/**
 * The external overviews found by {@link findOverviewSidecar}, opened like the file. Its levels are the overviews,
 * its first one included. Its errors name it.
 */
export function openOverviewSidecar(path: string, options: SidecarTiffOptions): Promise<SidecarTiff> {
  return openSidecarTiff(path, options, {});
}

async function openSidecarTiff(
  path: string,
  options: SidecarTiffOptions,
  sidecars: Sidecars,
): Promise<SidecarTiff> {
  const source = fileSource(path, { syncIo: options.syncIo });
  try {
    const tiff = await openGeoTiffWith(
      source,
      {
        name: path,
        blockDecoder: nodeBlockDecoder,
        codecs: NODE_CODECS,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.limits ? { limits: options.limits } : {}),
      },
      sidecars,
    );
    return { tiff, path };
  } catch (err) {
    await source.close();
    throw err;
  }
}
