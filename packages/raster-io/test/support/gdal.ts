// Helpers that run the real GDAL command-line tools (tests named *.gdal.test.ts use them).
import { execFileSync, spawnSync } from 'node:child_process';
import type { DType } from '../../src/index.js';

/** Whether gdalinfo is on PATH (CI installs gdal-bin). */
export const HAS_GDAL = spawnSync('gdalinfo', ['--version'], { encoding: 'utf8' }).status === 0;

/** `gdalinfo -json` parsed. */
export function gdalinfoJson(path: string, extra: string[] = []): GdalInfo {
  return JSON.parse(
    execFileSync('gdalinfo', ['-json', ...extra, path], { encoding: 'utf8', maxBuffer: 64 << 20 }),
  ) as GdalInfo;
}

/** Per-band checksums as GDAL computes them (`gdalinfo -checksum`). */
export function gdalChecksums(path: string): number[] {
  const info = gdalinfoJson(path, ['-checksum']);
  return info.bands.map((b) => b.checksum as number);
}

/** Per-band checksums of every overview level (level 1.. = overview 0..). */
export function gdalOverviewChecksums(path: string): number[][] {
  const info = gdalinfoJson(path, ['-checksum']);
  const n = info.bands[0]?.overviews?.length ?? 0;
  return Array.from({ length: n }, (_, o) => info.bands.map((b) => b.overviews?.[o]?.checksum as number));
}

/** Run gdal_translate (throws with GDAL's stderr on failure). */
export function gdalTranslate(args: string[]): void {
  const r = spawnSync('gdal_translate', ['-q', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gdal_translate ${args.join(' ')} failed: ${r.stderr}`);
}

/** Run gdaladdo (internal overviews). */
export function gdaladdo(args: string[]): void {
  const r = spawnSync('gdaladdo', ['-q', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gdaladdo ${args.join(' ')} failed: ${r.stderr}`);
}

/** Path to a python3 that has GDAL's bindings (CI installs python3-gdal), or undefined. */
export const PYTHON_GDAL: string | undefined = ['/usr/bin/python3', 'python3'].find(
  (py) =>
    spawnSync(py, ['-c', 'import osgeo_utils.samples.validate_cloud_optimized_geotiff'], { encoding: 'utf8' })
      .status === 0,
);

/** Runs a python3-gdal `script` with `args` as argv; returns what it prints as JSON (fails the test otherwise). */
export function gdalPythonJson<T>(script: string, args: string[]): T {
  const r = spawnSync(PYTHON_GDAL as string, ['-c', script, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`GDAL failed (${r.error?.message ?? r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * Python for {@link gdalPythonJson}: GDAL's reading of the files given as argv, every band's levels (the band, then
 * its overviews) with size, type, nodata, pixels and mask (base64) and mask flags.
 */
export const GDAL_LEVELS_SCRIPT = `
import sys, json, base64
from osgeo import gdal
gdal.UseExceptions()
out = {}
for path in sys.argv[1:]:
    ds = gdal.Open(path)
    bands = []
    for i in range(ds.RasterCount):
        b = ds.GetRasterBand(i + 1)
        levels = [b] + [b.GetOverview(k) for k in range(b.GetOverviewCount())]
        bands.append([{'size': [l.XSize, l.YSize], 'type': gdal.GetDataTypeName(l.DataType),
                       'nodata': l.GetNoDataValue(), 'data': base64.b64encode(l.ReadRaster()).decode(),
                       'maskFlags': l.GetMaskFlags(),
                       'mask': base64.b64encode(l.GetMaskBand().ReadRaster()).decode()} for l in levels])
    out[path] = bands
    ds = None
print(json.dumps(out))
`;

/** One level of one band as {@link GDAL_LEVELS_SCRIPT} prints it. */
export interface GdalLevel {
  size: [number, number];
  type: string;
  nodata: number | null;
  data: string;
  maskFlags: number;
  mask: string;
}

/** {@link GDAL_LEVELS_SCRIPT}'s output: per file, per band, per level. */
export type GdalLevels = Record<string, GdalLevel[][]>;

/** Run GDAL's validate_cloud_optimized_geotiff.py; returns its output and whether it passed. */
export function validateCog(path: string): { ok: boolean; output: string } {
  const r = spawnSync(
    PYTHON_GDAL as string,
    ['-m', 'osgeo_utils.samples.validate_cloud_optimized_geotiff', '--full-check=yes', path],
    { encoding: 'utf8' },
  );
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

export interface GdalBand {
  band: number;
  type: string;
  noDataValue?: number | string;
  checksum?: number;
  block: [number, number];
  overviews?: { size: [number, number]; checksum?: number }[];
}

export interface GdalInfo {
  size: [number, number];
  geoTransform?: number[];
  coordinateSystem?: { wkt: string };
  stac?: { 'proj:epsg'?: number };
  metadata?: Record<string, Record<string, string>>;
  bands: GdalBand[];
}

/** GDAL's name of each dtype (gdalinfo's band type, gdal_translate's -ot). */
export const GDAL_TYPE: Record<DType, string> = {
  uint8: 'Byte',
  uint16: 'UInt16',
  int16: 'Int16',
  uint32: 'UInt32',
  int32: 'Int32',
  float32: 'Float32',
  float64: 'Float64',
};
