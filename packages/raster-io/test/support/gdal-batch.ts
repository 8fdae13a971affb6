// Drives GDAL from ONE python process per call (process start-up dominates otherwise): create variants with
// gdal.Translate, build overviews like gdaladdo, then describe files (georeferencing, nodata, checksums,
// every level's pixels as base64) and optionally run GDAL's COG validator.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { bytesOf } from '../../src/internal/typed-array.js';
import { openGeoTiffFile, readRaster } from '../../src/node.js';
import { PYTHON_GDAL } from './gdal.js';

/** What one batch does, in this order. */
export interface GdalJob {
  create?: { path: string; base: string; format: 'GTiff' | 'COG'; co: string[]; addo?: string }[];
  /** In-place overviews, as `gdaladdo -r method file factors...`. */
  addo?: { path: string; method: string; factors: number[] }[];
  describe: string[];
  validate?: string[];
}

const PY = `
import sys, json, base64
from osgeo import gdal
gdal.UseExceptions()
job = json.load(open(sys.argv[1]))
for v in job.get('create', []):
    gdal.Translate(v['path'], v['base'], format=v['format'], creationOptions=v['co'])
    if v.get('addo'):
        ds = gdal.Open(v['path'], gdal.GA_Update)
        ds.BuildOverviews(v['addo'], [2, 4])
        ds = None
def nd(x):
    return None if x is None else repr(float(x))
out = {}
for v in job.get('addo', []):
    ds = gdal.Open(v['path'], gdal.GA_Update)
    ds.BuildOverviews(v['method'], v['factors'])
    ds = None
for path in job['describe']:
    ds = gdal.Open(path)
    srs = ds.GetSpatialRef()
    gt = ds.GetGeoTransform(can_return_null=True)
    r = {'size': [ds.RasterXSize, ds.RasterYSize], 'gt': list(gt) if gt else None,
         'epsg': srs.GetAuthorityCode(None) if srs else None, 'proj4': srs.ExportToProj4() if srs else None,
         'bands': []}
    for i in range(ds.RasterCount):
        b = ds.GetRasterBand(i + 1)
        levels = [b] + [b.GetOverview(k) for k in range(b.GetOverviewCount())]
        r['bands'].append({'nodata': nd(b.GetNoDataValue()), 'checksum': b.Checksum(),
            'levels': [{'size': [l.XSize, l.YSize], 'data': base64.b64encode(l.ReadRaster()).decode()} for l in levels]})
    if path in job.get('validate', []):
        from osgeo_utils.samples import validate_cloud_optimized_geotiff as cog
        warnings, errors, details = cog.validate(path, full_check=True)
        r['cog_errors'] = errors
    ds = None
    out[path] = r
json.dump(out, open(sys.argv[2], 'w'))
`;

export interface GdalLevel {
  size: [number, number];
  data: string;
}
export interface GdalFile {
  size: [number, number];
  gt: number[] | null;
  epsg: string | null;
  proj4: string | null;
  bands: { nodata: string | null; checksum: number; levels: GdalLevel[] }[];
  cog_errors?: string[];
}

export function runGdalBatch(dir: string, job: GdalJob, name: string): Record<string, GdalFile> {
  const jobPath = join(dir, `${name}.json`);
  const outPath = join(dir, `${name}-out.json`);
  writeFileSync(jobPath, JSON.stringify(job));
  const r = spawnSync(PYTHON_GDAL as string, ['-c', PY, jobPath, outPath], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`GDAL batch failed: ${r.stderr}`);
  return JSON.parse(readFileSync(outPath, 'utf8')) as Record<string, GdalFile>;
}

/**
 * Read every level of `path` with our reader and compare it with GDAL's description `ref`: the level count, each
 * level's compression, size and band count are asserted; levels whose pixels differ from GDAL's bit for bit are
 * returned as `name level i band b` (empty when all match), with the number of levels read.
 */
export async function levelsUnlikeGdal(
  path: string,
  ref: GdalFile,
  expected: { name: string; compression: number; levels: number },
): Promise<{ differing: string[]; levels: number }> {
  const { name, compression } = expected;
  const differing: string[] = [];
  const tiff = await openGeoTiffFile(path);
  try {
    expect(tiff.levels.length, name).toBe(expected.levels);
    for (const [li, level] of tiff.levels.entries()) {
      expect(level.compression, `${name} level ${li}`).toBe(compression);
      const r = await readRaster(tiff, { level: li });
      expect(r.bands.length, name).toBe(ref.bands.length);
      expect([r.width, r.height], `${name} level ${li}`).toEqual(ref.bands[0]?.levels[li]?.size);
      for (const [b, band] of r.bands.entries()) {
        const want = Buffer.from(ref.bands[b]?.levels[li]?.data ?? '', 'base64');
        if (!Buffer.from(bytesOf(band)).equals(want)) differing.push(`${name} level ${li} band ${b}`);
      }
    }
    return { differing, levels: tiff.levels.length };
  } finally {
    await tiff.close();
  }
}
