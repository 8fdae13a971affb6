import { NODE_CODECS } from '../codecs/node-codecs.node.js';
import { checkOptions } from '../internal/check-args.js';
import { type FileSourceOptions, fileSource } from '../source/file-source.node.js';
import { nodeBlockDecoder } from './decode-pool.node.js';
import { type GeoTiff, type OpenGeoTiffOptions, openGeoTiffWith } from './open-geotiff.js';
import type { PamInfo } from './pam.js';
import { afterLastFetch, type ReadRasterOptions, type ReadRasterResult, readRaster } from './read-raster.js';
import {
  findOverviewSidecar,
  hasMaskSidecar,
  openMaskSidecar,
  openOverviewSidecar,
  readPamSidecar,
} from './sidecars.node.js';
import { readWorldFile } from './world-file.node.js';

/**
 * Open a local GeoTIFF (Node): a file source, Node's deflate codec (libdeflate or `node:zlib`) and the worker
 * pool used by reads with `threads` > 1. Close it with `tiff.close()`. The files GDAL reads beside it are read too:
 * GDAL's PAM sidecar (`scene.tif.aux.xml`: its geotransform, SRS and per-band nodata win over the file's own),
 * the world file (`.tfw`, `.tifw`, `.wld`) when neither gives a geotransform, the `.msk` mask sidecar when the
 * file has no internal mask, and the `.ovr` overviews (`gdaladdo -ro`) when it has no internal overviews.
 *
 * @param path - file path
 * @param options - as {@link openGeoTiff}; `syncIo: true` opens and reads the file and looks for its sidecars with
 *   synchronous system calls (see {@link FileSourceOptions}: for local files read in loops)
 * @returns the opened file
 * @throws RasterIoError as {@link openGeoTiff}; `FILE_NOT_FOUND` when nothing is at `path`, `UNREADABLE_FILE`
 *   when it cannot be opened or read (a folder, FIFO or device; `EIO`); `TOO_LARGE` or
 *   `CORRUPT_TIFF` naming a PAM sidecar that is too large or malformed, or a `.msk` that does not fit the image
 * @example
 * ```ts
 * const tiff = await openGeoTiffFile('scene.tif');
 * try { console.log(tiff.levels[0]); } finally { await tiff.close(); }
 * ```
 */
export async function openGeoTiffFile(
  path: string,
  options: OpenGeoTiffOptions & FileSourceOptions = {},
): Promise<GeoTiff> {
  checkOptions('openGeoTiffFile', options);
  const { syncIo, ...openOptions } = options;
  const source = fileSource(path, { syncIo });
  // The sidecars are looked for while the file opens (each look is a round trip to the I/O threads), and used
  // in the order GDAL reads them: their errors still come after the file's own. The open goes out first: the
  // header read waits for it, the sidecars are needed only once the header is parsed.
  let pam: Promise<PamInfo | undefined> | undefined;
  let mask: Promise<boolean> | undefined;
  let overviews: Promise<string | undefined> | undefined;
  const sidecarOptions = { signal: options.signal, limits: options.limits, syncIo };
  const opening = openGeoTiffWith(
    source,
    {
      blockDecoder: nodeBlockDecoder,
      fallbackTransform: () => readWorldFile(path, { syncIo }),
      ...openOptions,
      codecs: { ...NODE_CODECS, ...options.codecs },
    },
    {
      pam: () => pam as Promise<PamInfo | undefined>,
      mask: async () => ((await mask) ? openMaskSidecar(path, sidecarOptions) : undefined),
      overviews: async () => {
        const found = await overviews;
        return found ? openOverviewSidecar(found, sidecarOptions) : undefined;
      },
    },
  );
  pam = settledLater(readPamSidecar(path, { syncIo }));
  mask = settledLater(hasMaskSidecar(path, { syncIo }));
  overviews = settledLater(findOverviewSidecar(path, { syncIo }));
  try {
    return await opening;
  } catch (err) {
    await source.close();
    throw err;
  }
}

/** `p`, marked handled now: it is awaited later, or not at all when the open fails first. */
function settledLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/**
 * Read a local GeoTIFF in one call (open, read, close).
 *
 * @param path - file path
 * @param options - as {@link readRaster}; `syncIo` as {@link openGeoTiffFile}
 * @returns the raster
 * @throws RasterIoError as {@link openGeoTiffFile} and {@link readRaster}
 * @example
 * ```ts
 * const { bands, geo } = await readGeoTiffFile('scene.tif', { bands: [0, 1, 2] });
 * // many small local files in a loop: synchronous system calls, as GDAL makes them
 * for (const chip of chips) consume(await readGeoTiffFile(chip, { syncIo: true }));
 * ```
 */
export async function readGeoTiffFile(
  path: string,
  options: ReadRasterOptions & FileSourceOptions = {},
): Promise<ReadRasterResult> {
  checkOptions('readGeoTiffFile', options);
  const { syncIo, ...readOptions } = options;
  const tiff = await openGeoTiffFile(path, { signal: options.signal, limits: options.limits, syncIo });
  // closed as soon as every block is fetched, while the last ones decode
  let closing: Promise<void> | undefined;
  afterLastFetch.set(tiff, () => {
    closing = tiff.close();
    closing.catch(() => {}); // awaited below
  });
  try {
    return await readRaster(tiff, readOptions);
  } finally {
    afterLastFetch.delete(tiff);
    await (closing ?? tiff.close());
  }
}
