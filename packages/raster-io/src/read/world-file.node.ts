// ESRI world files (.tfw, .tifw, .wld) next to a TIFF without a geotransform of its own: GDAL's GTiff driver
// falls back to them (after the file's own tags), so a TIFF + TFW from ArcGIS, QGIS or a scanner is georeferenced
// the same way here.
import { readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { readFileBounded } from '@worldstrat/core/node';
import type { FileSourceOptions } from '../source/file-source.node.js';
import type { GeoTransform } from '../types.js';
import { gdalAtof } from './open-geotiff.js';

/** GDAL reads at most 100 lines of at most 100 characters; a larger file is not a world file. */
const MAX_LINES = 100;
const MAX_LINE_CHARS = 100;
const MAX_BYTES = 64 * 1024;

/**
 * The world file of `tiffPath` as GDAL finds it: extension first + last letter + `w` (`.tfw`), then the extension
 * + `w` (`.tifw`), then `.wld`, each matched case-insensitively among the folder's files; the first that parses
 * wins. Undefined when there is none or none parses (GDAL then has no transform either). With `syncIo`, the folder
 * is listed with a synchronous system call (see `fileSource`).
 */
export async function readWorldFile(
  tiffPath: string,
  { syncIo = false }: FileSourceOptions = {},
): Promise<GeoTransform | undefined> {
  const ext = extname(tiffPath).slice(1);
  const stem = ext ? tiffPath.slice(0, -ext.length - 1) : tiffPath;
  const extensions = ext.length >= 2 ? [`${ext[0]}${ext[ext.length - 1]}w`, `${ext}w`, 'wld'] : ['wld'];
  const siblings = syncIo
    ? listSync(dirname(tiffPath))
    : await readdir(dirname(tiffPath)).catch(() => undefined);
  for (const worldExt of extensions) {
    const wanted = basename(`${stem}.${worldExt}`).toLowerCase();
    const found = siblings?.find((f) => f.toLowerCase() === wanted);
    if (!found) continue;
    const transform = parseWorldFile(await readText(join(dirname(tiffPath), found)));
    if (transform) return transform;
  }
  return undefined;
}

/** The folder's entries, or undefined when it cannot be listed. */
function listSync(folder: string): string[] | undefined {
  try {
    return readdirSync(folder);
  } catch {
    return undefined;
  }
}

/** The file's text, or '' when it cannot be read as a small regular file (a folder, a FIFO, a huge file). */
async function readText(path: string): Promise<string> {
  try {
    return (await readFileBounded(path, { maxBytes: MAX_BYTES, what: 'world' })).toString('latin1');
  } catch {
    return '';
  }
}

/**
 * GDAL's `GDALLoadWorldFile`: the first six non-blank lines (of the first 100, reading stops at a line over 100
 * characters) as `CPLAtofM` numbers A, D, B, E, C, F; valid when A or B and E or D are non-zero. C and F are the
 * centre of the top-left pixel; the geotransform's origin is its corner.
 */
export function parseWorldFile(text: string): GeoTransform | undefined {
  const values: number[] = [];
  for (const line of text.split(/\r\n|\r|\n/).slice(0, MAX_LINES)) {
    if (line.length > MAX_LINE_CHARS) break;
    const trimmed = line.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (trimmed === '') continue;
    values.push(gdalAtof(trimmed));
    if (values.length === 6) break;
  }
  if (values.length < 6) return undefined;
  const [a, d, b, e, c, f] = values as [number, number, number, number, number, number];
  if ((a === 0 && b === 0) || (e === 0 && d === 0)) return undefined;
  const gt: GeoTransform = [c, a, b, f, d, e];
  gt[0] -= 0.5 * gt[1];
  gt[0] -= 0.5 * gt[2];
  gt[3] -= 0.5 * gt[4];
  gt[3] -= 0.5 * gt[5];
  return gt;
}
