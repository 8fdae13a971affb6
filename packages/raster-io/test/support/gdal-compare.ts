// Our reading of a TIFF against GDAL's (python3-gdal in one process, gdal_read_batch.py): level 0's pixels, the
// geotransform, nodata, EPSG code, internal mask and every overview. Used by the mutation fuzzer and the
// third-party writer corpus.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  memorySource,
  openGeoTiff,
  RASTER_IO_ERROR_CODES,
  RasterIoError,
  readMask,
  readRaster,
} from '../../src/index.js';
import { NODE_CODECS } from '../../src/node.js';
import { PYTHON_GDAL } from './gdal.js';

/** Largest image (samples) either side reads; bigger ones are skipped by GDAL's batch. */
export const MAX_SAMPLES = 1e7;
const BATCH = fileURLToPath(new URL('./gdal_read_batch.py', import.meta.url));

export const GDAL_DTYPE: Record<string, string> = {
  Byte: 'uint8',
  UInt16: 'uint16',
  Int16: 'int16',
  UInt32: 'uint32',
  Int32: 'int32',
  Float32: 'float32',
  Float64: 'float64',
};

/** GDAL's reading of one file; doubles are Python repr() strings ('nan', 'inf'...). */
export interface GdalResult {
  path: string;
  ok: boolean;
  width?: number;
  height?: number;
  bands?: number;
  dtypes?: string[];
  md5?: string;
  gt?: string[] | null;
  nodata?: (string | null)[];
  epsg?: string | null;
  /** Errors GDAL logged while reading the georeferencing (it carries on without the broken part). */
  georef_errors?: string[];
  /** Present when GDAL's mask is a per-dataset (internal) mask. */
  mask?: { md5?: string; error?: string };
  overviews?: { width?: number; height?: number; md5?: string; error?: string }[];
  error?: string;
}

/** GDAL's reading of many files, in one Python process. */
export function gdalBatch(paths: string[]): Map<string, GdalResult> {
  const r = spawnSync(PYTHON_GDAL as string, [BATCH, String(MAX_SAMPLES)], {
    input: paths.join('\n'),
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`GDAL batch failed: ${r.stderr}`);
  const out = new Map<string, GdalResult>();
  for (const line of r.stdout.trim().split('\n')) {
    const x = JSON.parse(line) as GdalResult;
    out.set(x.path, x);
  }
  return out;
}

/** Pixels of one read (a level or a mask): their size and MD5, or the error it ended in. */
export type Pixels = { width: number; height: number; md5: string } | { error: unknown };

export type Outcome =
  | {
      ok: true;
      width: number;
      height: number;
      bands: number;
      dtype: string;
      md5: string;
      transform: readonly number[] | null;
      epsg: number;
      noData: number | null;
      /** The internal mask's pixels, or null when level 0 has none. */
      mask: Pixels | null;
      overviews: Pixels[];
    }
  | {
      ok: false;
      error: unknown;
    };

function md5Of(bands: readonly ArrayBufferView[]): string {
  const h = createHash('md5');
  for (const b of bands) h.update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  return h.digest('hex');
}

async function pixelsOf(read: () => Promise<Pixels>): Promise<Pixels> {
  try {
    return await read();
  } catch (error) {
    return { error };
  }
}

export async function ours(bytes: Uint8Array, name: string): Promise<Outcome> {
  try {
    const limits = { maxPixels: MAX_SAMPLES };
    const tiff = await openGeoTiff(memorySource(bytes, name), { codecs: NODE_CODECS, limits });
    const r = await readRaster(tiff);
    const level = tiff.levels[0] as (typeof tiff.levels)[number];
    const mask = level.mask
      ? await pixelsOf(async () => {
          const m = (await readMask(tiff)) as NonNullable<Awaited<ReturnType<typeof readMask>>>;
          return { width: m.width, height: m.height, md5: md5Of([m.mask]) };
        })
      : null;
    const overviews: Pixels[] = [];
    for (let k = 1; k < tiff.levels.length; k++) {
      overviews.push(
        await pixelsOf(async () => {
          const o = await readRaster(tiff, { level: k });
          return { width: o.width, height: o.height, md5: md5Of(o.bands) };
        }),
      );
    }
    return {
      ok: true,
      width: r.width,
      height: r.height,
      bands: r.bands.length,
      dtype: r.dtype,
      md5: md5Of(r.bands),
      transform: level.geo?.transform ?? null,
      epsg: level.geo?.epsg ?? 0,
      noData: level.noData,
      mask,
      overviews,
    };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A double as Python's repr() writes it. */
export function fromRepr(s: string): number {
  return s === 'nan' ? Number.NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
}

function sameNumber(a: number | null, b: number | null): boolean {
  return a === b || (a !== null && b !== null && Number.isNaN(a) && Number.isNaN(b));
}

/** Why an error of ours is not acceptable (untyped, or a message without the file), or undefined. */
export function badError(e: unknown, path: string): string | undefined {
  if (!(e instanceof RasterIoError) || !RASTER_IO_ERROR_CODES.includes(e.code)) {
    return `untyped ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`;
  }
  if (!e.message.includes(path)) return `message does not name the file: ${e.message}`;
  return undefined;
}

/**
 * Compare one pixel read of ours (a mask or an overview) with GDAL's: a typed error where GDAL fails or reads
 * (stricter), else the same size and pixels.
 */
function comparePixels(
  what: string,
  path: string,
  r: Pixels,
  g: { width?: number; height?: number; md5?: string; error?: string },
  found: { problems: string[]; stricter: string[] },
): void {
  if ('error' in r) {
    const bad = badError(r.error, path);
    if (bad) found.problems.push(`${what}: ${bad}`);
    else if (g.md5) found.stricter.push(`${what}: ${(r.error as Error).message}`);
    return;
  }
  if (g.error !== undefined) {
    found.problems.push(`${what}: we read ${r.width}x${r.height}; GDAL fails: ${g.error}`);
  } else if (r.md5 !== g.md5 || (g.width !== undefined && (r.width !== g.width || r.height !== g.height))) {
    found.problems.push(`${what}: we read ${r.width}x${r.height} ${r.md5}; GDAL ${JSON.stringify(g)}`);
  }
}

/** What GDAL reports besides level 0's pixels: georeferencing, nodata, the internal mask and the overviews. */
export function compareExtras(
  tag: string,
  path: string,
  r: Extract<Outcome, { ok: true }>,
  g: GdalResult,
  found: { problems: string[]; stricter: string[] },
): void {
  const gt = g.gt ? g.gt.map(fromRepr) : null;
  const sameGt =
    gt === null || r.transform === null
      ? gt === r.transform
      : gt.every((x, i) => sameNumber(x, r.transform?.[i] ?? null));
  if (!sameGt) found.problems.push(`${tag}: geotransform ${JSON.stringify(r.transform)}; GDAL ${g.gt}`);
  for (const [b, nd] of (g.nodata ?? []).entries()) {
    if (!sameNumber(nd === null ? null : fromRepr(nd), r.noData)) {
      found.problems.push(`${tag}: nodata ${r.noData}; GDAL band ${b + 1}: ${nd}`);
    }
  }
  if (g.epsg && r.epsg !== 0 && Number(g.epsg) !== r.epsg) {
    found.problems.push(`${tag}: EPSG ${r.epsg}; GDAL EPSG ${g.epsg}`);
  }
  if (g.mask && !r.mask) found.problems.push(`${tag}: no mask; GDAL has an internal mask`);
  else if (!g.mask && r.mask) found.problems.push(`${tag}: we pair a mask GDAL does not`);
  else if (g.mask && r.mask) comparePixels(`${tag} mask`, path, r.mask, g.mask, found);
  const gOverviews = g.overviews ?? [];
  if (gOverviews.length !== r.overviews.length) {
    found.problems.push(`${tag}: ${r.overviews.length} overviews; GDAL ${gOverviews.length}`);
  } else {
    r.overviews.forEach((o, k) => {
      comparePixels(
        `${tag} overview ${k}`,
        path,
        o,
        gOverviews[k] as NonNullable<GdalResult['overviews']>[0],
        found,
      );
    });
  }
}

/** Problems and stricter-than-GDAL refusals found while comparing. */
export interface Findings {
  problems: string[];
  stricter: string[];
}

/**
 * Compare our outcome for one file with GDAL's: a typed error naming the file (stricter where GDAL reads), or
 * GDAL's size, band count, dtype, pixels and extras. Returns whether everything matched.
 */
export function compareWithGdal(
  tag: string,
  path: string,
  r: Outcome,
  g: GdalResult | undefined,
  found: Findings,
): 'matched' | 'typed' | 'differs' {
  if (!r.ok) {
    const bad = badError(r.error, path);
    if (bad) {
      found.problems.push(`${tag}: ${bad}`);
      return 'differs';
    }
    if (g?.ok)
      found.stricter.push(`${tag}: ${(r.error as RasterIoError).code} ${(r.error as Error).message}`);
    return 'typed';
  }
  const same =
    g?.ok &&
    g.width === r.width &&
    g.height === r.height &&
    g.bands === r.bands &&
    g.dtypes?.length === 1 &&
    GDAL_DTYPE[g.dtypes[0] as string] === r.dtype &&
    g.md5 === r.md5;
  if (!same) {
    found.problems.push(
      `${tag}: we read ${r.width}x${r.height}x${r.bands} ${r.dtype}; GDAL: ${JSON.stringify(g)}`,
    );
    return 'differs';
  }
  const before = found.problems.length;
  compareExtras(tag, path, r, g, found);
  return found.problems.length === before ? 'matched' : 'differs';
}
