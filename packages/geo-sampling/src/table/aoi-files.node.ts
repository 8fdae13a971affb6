import { constants as bufferConstants } from 'node:buffer';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { decodeUtf8Text } from '@worldstrat/core';
import { isMissingPathError, writeFileAtomic } from '@worldstrat/core/node';
import type { Aoi } from '../aoi/create-aoi.js';
import { GeoSamplingError } from '../errors.js';
import { argumentError, checkOptions, checkPath } from '../internal/check-arguments.js';
import { checkDelimiterOption } from '../internal/csv-delimiter.js';
import { type ReadPoisOptions, type ReadPoisResult, readPois } from '../poi/read-pois.js';
import { aoisToCsv, readAoisCsv } from './aoi-csv.js';
import { aoisToGeoJson, readAoisGeoJson } from './aoi-geojson.js';

/**
 * The Arrow table code, loaded on first use: apache-arrow is an optional peer, so CSV and GeoJSON work without it.
 */
async function arrowTables(path: string): Promise<typeof import('./aoi-table.js')> {
  try {
    return await import('./aoi-table.js');
  } catch (e) {
    throw new GeoSamplingError(
      'MISSING_PEER',
      `'${path}' is an Arrow IPC file, which needs the optional peer dependency apache-arrow: install it with \`npm install apache-arrow@21\` (or use .csv / .geojson)`,
      { cause: e },
    );
  }
}

/** Runs a reader on a file's contents; its typed errors get the file path in front (code and row kept). */
async function inFile<T>(path: string, read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (!(err instanceof GeoSamplingError) || err.code === 'MISSING_PEER') throw err;
    throw new GeoSamplingError(err.code, `'${path}': ${err.message}`, { row: err.row, cause: err });
  }
}

/** On-disk AOI table formats. */
export type AoiFileFormat = 'csv' | 'geojson' | 'arrow';

/** Options of {@link writeAoisFile}. */
export interface WriteAoisFileOptions {
  /** Format; default from the extension (`.csv`, `.geojson`/`.json`, `.arrow`/`.ipc`/`.feather`). */
  format?: AoiFileFormat;
}

/** Options of {@link readAoisFile}. */
export interface ReadAoisFileOptions extends WriteAoisFileOptions {
  /** CSV delimiter, as readAoisCsv's `delimiter` (CSV files only; default: told from the header). */
  delimiter?: string;
}

function formatOf(fn: string, path: string, options: WriteAoisFileOptions | undefined): AoiFileFormat {
  checkPath(fn, 'path', path);
  const { format } = checkOptions(fn, options);
  if (format !== undefined) {
    if (format === 'csv' || format === 'geojson' || format === 'arrow') return format;
    throw argumentError(fn, 'options.format', "'csv', 'geojson' or 'arrow'", format);
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.geojson' || ext === '.json') return 'geojson';
  if (ext === '.arrow' || ext === '.ipc' || ext === '.feather') return 'arrow';
  throw new GeoSamplingError(
    'INVALID_ARGUMENT',
    `cannot tell the AOI table format of '${path}' from its extension; use .csv, .geojson or .arrow, or pass { format }`,
  );
}

/**
 * Largest table read as text: V8's longest string (2^29 − 24 characters on 64-bit Node), past which decoding
 * fails untyped. UTF-8 never decodes to more characters than bytes, so a file within it always decodes.
 */
const MAX_TEXT_TABLE_BYTES = bufferConstants.MAX_STRING_LENGTH;
/** Largest Arrow table read. */
const MAX_ARROW_TABLE_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/**
 * A table file's bytes: a regular file of at most `maxBytes` (a FIFO or device would block or never end). Opened
 * non-blocking so a FIFO is refused instead of waiting for a writer. `FILE_NOT_FOUND` for a missing file,
 * `UNREADABLE_FILE` for one that cannot be opened or read (permissions, I/O errors).
 */
async function readTableBytes(path: string, maxBytes: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw unreadable(path, e);
  }
  try {
    return await readOpenTable(handle, path, maxBytes);
  } catch (e) {
    throw e instanceof GeoSamplingError ? e : unreadable(path, e);
  } finally {
    await handle.close().catch(() => {});
  }
}

function unreadable(path: string, e: unknown): GeoSamplingError {
  return isMissingPathError(e)
    ? new GeoSamplingError('FILE_NOT_FOUND', `'${path}': no such file`, { cause: e })
    : new GeoSamplingError('UNREADABLE_FILE', `'${path}': cannot read it (${(e as Error).message})`, {
        cause: e,
      });
}

async function readOpenTable(
  handle: Awaited<ReturnType<typeof open>>,
  path: string,
  maxBytes: number,
): Promise<Buffer> {
  const info = await handle.stat();
  if (!info.isFile())
    throw new GeoSamplingError('INVALID_ARGUMENT', `'${path}': not a regular file; give a table file`);
  if (info.size > maxBytes)
    throw new GeoSamplingError(
      'INVALID_ARGUMENT',
      `'${path}': ${info.size} bytes is larger than the ${maxBytes} bytes a table may have`,
    );
  // One byte more than the size found: a file that grows while it is read (or a /proc file reporting size 0) is
  // refused, never read past the cap or cut off silently.
  const buf = Buffer.allocUnsafe(info.size + 1);
  let filled = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buf, filled, buf.length - filled, filled);
    if (bytesRead === 0) return buf.subarray(0, filled);
    filled += bytesRead;
    if (filled === buf.length)
      throw new GeoSamplingError(
        'UNREADABLE_FILE',
        `'${path}': it holds more than the ${info.size} bytes it had when opened (it changed while read, or is no plain file on disk); copy it to a regular file`,
      );
  }
}

/** A text table's characters, decoded strictly: a Latin-1 export read as UTF-8 would change names silently. */
async function readTableText(path: string): Promise<string> {
  const decoded = decodeUtf8Text(await readTableBytes(path, MAX_TEXT_TABLE_BYTES));
  if ('text' in decoded) return decoded.text;
  const { byte, line } = decoded.fault;
  throw new GeoSamplingError(
    'PARSE_ERROR',
    `'${path}': not UTF-8 text at byte ${byte} (line ${line}); save the table as UTF-8`,
  );
}

/**
 * Reads a POI file (CSV or GeoJSON) with {@link readPois}.
 * @param path file path.
 * @param options see {@link ReadPoisOptions}.
 * @returns the POIs plus skipped / duplicate rows.
 * @throws GeoSamplingError as {@link readPois}, the message starting with the path; `INVALID_ARGUMENT` for
 *   a path that is not a regular file or is longer than a string may be (2^29 − 24 bytes, just under 512 MiB);
 *   `FILE_NOT_FOUND` for a missing file, `UNREADABLE_FILE` for one that cannot be read.
 * @example
 * const { pois } = await readPoisFile('unhcr_formatted.csv', PARTNER_POI_PRESETS.unhcr);
 */
export async function readPoisFile(path: string, options?: ReadPoisOptions): Promise<ReadPoisResult> {
  checkPath('readPoisFile', 'path', path);
  options = checkOptions('readPoisFile', options);
  checkDelimiterOption('readPoisFile', options.delimiter);
  const text = await readTableText(path);
  const ext = extname(path).toLowerCase();
  const format =
    options.format ?? (ext === '.geojson' || ext === '.json' ? 'geojson' : ext === '.csv' ? 'csv' : 'auto');
  return inFile(path, () => readPois(text, { ...options, format }));
}

/**
 * Writes AOIs atomically (temp file + rename) as CSV (upstream columns), GeoJSON or Arrow IPC.
 * @param path destination; the extension picks the format unless `format` is given.
 * @param aois the AOIs.
 * @param options format.
 * @throws GeoSamplingError `INVALID_ARGUMENT` for an unknown extension or `format`, a `path` that is not a
 *   non-empty string, `options` that is not an object or `aois` that are not AOIs; what the readers would
 *   refuse, with their codes (`MISSING_NAME`, `DUPLICATE_NAME`, `INVALID_LONGITUDE`, `INVALID_LATITUDE`,
 *   `INVALID_AREA`); CoreError `WRITE_FAILED` (core's atomic write).
 * @example
 * await writeAoisFile('aois.arrow', aois);
 */
export async function writeAoisFile(
  path: string,
  aois: readonly Aoi[],
  options?: WriteAoisFileOptions,
): Promise<void> {
  const format = formatOf('writeAoisFile', path, options);
  const data =
    format === 'csv'
      ? aoisToCsv(aois)
      : format === 'geojson'
        ? `${JSON.stringify(aoisToGeoJson(aois))}\n`
        : (await arrowTables(path)).aoisToIpc(aois);
  await writeFileAtomic(path, data);
}

/**
 * Reads AOIs written by {@link writeAoisFile} (or the released CSV tables).
 * @param path file path; the extension picks the format unless `format` is given.
 * @param options format; CSV delimiter (default: told from the header, see {@link readAoisCsv}).
 * @returns the AOIs.
 * @throws GeoSamplingError as the format's reader, the message starting with the path; `INVALID_ARGUMENT` for
 *   a path that is not a regular file or is too large (2^29 − 24 bytes of text, just under 512 MiB; 2 GiB of
 *   Arrow), or an unusable
 *   `delimiter`; `FILE_NOT_FOUND` for a missing file, `UNREADABLE_FILE` for one that cannot be read.
 * @example
 * const aois = await readAoisFile('aois.csv');
 */
export async function readAoisFile(path: string, options?: ReadAoisFileOptions): Promise<Aoi[]> {
  const format = formatOf('readAoisFile', path, options);
  const delimiter = checkDelimiterOption('readAoisFile', options?.delimiter);
  if (format === 'arrow') {
    const { aoisFromIpc } = await arrowTables(path);
    const bytes = new Uint8Array(await readTableBytes(path, MAX_ARROW_TABLE_BYTES));
    return inFile(path, () => aoisFromIpc(bytes));
  }
  const text = await readTableText(path);
  return inFile(path, () =>
    format === 'csv'
      ? readAoisCsv(text, delimiter === undefined ? {} : { delimiter })
      : readAoisGeoJson(text),
  );
}
