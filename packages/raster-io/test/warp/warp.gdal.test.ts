// Compares warpRaster with GDAL's gdalwarp (exact transformer, -et 0) on a synthetic UTM 33 → UTM 34 warp.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DType,
  encodeGeoTiff,
  openGeoTiff,
  projectGrid,
  type Raster,
  type RasterArray,
  readRaster,
  registerProjection,
  type TargetGrid,
  transformCoords,
  warpGeoTiff,
  warpRaster,
} from '../../src/index.js';
import { DTYPE_ARRAY, DTYPE_BYTES } from '../../src/internal/typed-array.js';
import { GDAL_TYPE, gdalinfoJson } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';

const hasGdal = spawnSync('gdalwarp', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'warp-gdal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

/** ENVI data type codes and GDAL type names of the raster dtypes. */
const ENVI_TYPE: Record<DType, number> = {
  uint8: 1,
  int16: 2,
  int32: 3,
  float32: 4,
  float64: 5,
  uint16: 12,
  uint32: 13,
};
/** Writes a BSQ raster (in its dtype) as ENVI and converts it to a georeferenced GeoTIFF with gdal_translate. */
function writeSource(r: Raster, name: string): string {
  const bin = join(dir, `${name}.bin`);
  const size = DTYPE_BYTES[r.dtype];
  const bytes = new Uint8Array(r.width * r.height * size * r.bands.length);
  r.bands.forEach((b, i) => {
    const typed = new DTYPE_ARRAY[r.dtype](new ArrayBuffer(b.length * size));
    typed.set(b);
    bytes.set(new Uint8Array(typed.buffer), i * r.width * r.height * size);
  });
  writeFileSync(bin, bytes);
  writeFileSync(
    join(dir, `${name}.hdr`),
    `ENVI\nsamples = ${r.width}\nlines = ${r.height}\nbands = ${r.bands.length}\nheader offset = 0\nfile type = ENVI Standard\ndata type = ${ENVI_TYPE[r.dtype]}\ninterleave = bsq\nbyte order = 0\n`,
  );
  const [ox, px, , oy, , py] = r.geo?.transform as number[];
  const tif = join(dir, `${name}.tif`);
  const args = [
    '-q',
    '-a_srs',
    `EPSG:${r.geo?.epsg}`,
    '-a_ullr',
    `${ox}`,
    `${oy}`,
    `${ox + px * r.width}`,
    `${oy + py * r.height}`,
  ];
  if (r.noData !== undefined && r.noData !== null) args.push('-a_nodata', noDataArg(r.noData));
  run('gdal_translate', [...args, bin, tif]);
  return tif;
}

const noDataArg = (v: number): string => (Number.isNaN(v) ? 'nan' : `${v}`);

/**
 * gdalwarp -et 0 onto the grid: Float32 with -dstnodata -9999 unless `ot` / `dstNoData` say otherwise (null: none);
 * `et: null` leaves gdalwarp's default approximate transformer, `srs` names the grid's CRS (default EPSG:code).
 */
function gdalwarp(
  src: string,
  grid: TargetGrid,
  method: string,
  name: string,
  {
    ot = 'float32',
    dstNoData = -9999,
    et = 0,
    srs = `EPSG:${grid.epsg}`,
  }: { ot?: DType; dstNoData?: number | null; et?: number | null; srs?: string } = {},
): RasterArray[] {
  const out = join(dir, `${name}.bin`);
  const [ox, px, , oy, , py] = grid.transform;
  run('gdalwarp', [
    '-q',
    '-overwrite',
    ...(et === null ? [] : ['-et', `${et}`]),
    '-r',
    method,
    '-t_srs',
    srs,
    '-te',
    `${ox}`,
    `${oy + py * grid.height}`,
    `${ox + px * grid.width}`,
    `${oy}`,
    '-ts',
    `${grid.width}`,
    `${grid.height}`,
    '-ot',
    GDAL_TYPE[ot],
    ...(dstNoData === null ? [] : ['-dstnodata', noDataArg(dstNoData)]),
    '-of',
    'ENVI',
    src,
    out,
  ]);
  const buf = readFileSync(out);
  const all = new DTYPE_ARRAY[ot](buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const n = grid.width * grid.height;
  return Array.from({ length: all.length / n }, (_, i) => all.subarray(i * n, (i + 1) * n));
}

/** A 2-band 90×70 float32 raster at 10 m in UTM 33N near 52°N 15.5°E: smooth pattern plus seeded noise. */
function makeSource(noDataBlock: boolean): Raster {
  const width = 90;
  const height = 70;
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const b0 = new Float32Array(width * height);
  const b1 = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      b0[y * width + x] = 500 + 300 * Math.sin(x / 7) * Math.cos(y / 5) + 50 * rand();
      b1[y * width + x] = 2 * x + 3 * y + 20 * rand();
    }
  if (noDataBlock) for (let y = 20; y < 30; y++) for (let x = 40; x < 55; x++) b0[y * width + x] = -9999;
  return {
    width,
    height,
    dtype: 'float32',
    bands: [b0, b1],
    noData: noDataBlock ? -9999 : null,
    geo: { epsg: 32633, transform: [534000, 10, 0, 5762000, 0, -10] },
  };
}

/** An 8 m grid in UTM 34N (rotated by ~4.7° relative to zone 33) covering the source plus a margin. */
function targetGrid(src: Raster): TargetGrid {
  const [ox, px, , oy, , py] = src.geo?.transform as number[];
  const corners = transformCoords(32633, 32634, [
    [ox, oy],
    [ox + px * src.width, oy],
    [ox, oy + py * src.height],
    [ox + px * src.width, oy + py * src.height],
  ]);
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const minX = Math.floor(Math.min(...xs) / 8) * 8 - 24;
  const maxY = Math.ceil(Math.max(...ys) / 8) * 8 + 24;
  const width = Math.ceil((Math.max(...xs) + 24 - minX) / 8);
  const height = Math.ceil((maxY - (Math.min(...ys) - 24)) / 8);
  return { epsg: 32634, transform: [minX, 8, 0, maxY, 0, -8], width, height };
}

/** Source pixel coordinates of each target pixel centre (to pick pixels whose 4×4 neighbourhood is inside). */
function interiorMask(src: Raster, grid: TargetGrid, margin: number): Uint8Array {
  const pts: [number, number][] = [];
  for (let r = 0; r < grid.height; r++)
    for (let c = 0; c < grid.width; c++)
      pts.push([
        grid.transform[0] + (c + 0.5) * grid.transform[1],
        grid.transform[3] + (r + 0.5) * grid.transform[5],
      ]);
  const [ox, px, , oy, , py] = src.geo?.transform as number[];
  return Uint8Array.from(transformCoords(32634, 32633, pts), ([x, y]) => {
    const u = (x - ox) / px;
    const v = (y - oy) / py;
    return u > margin && u < src.width - margin && v > margin && v < src.height - margin ? 1 : 0;
  });
}

// Skipped only where GDAL is not installed (CI installs gdal-bin, so it runs there).
describe.runIf(requireTool('gdalwarp', hasGdal))(
  'warpRaster vs gdalwarp -et 0 (UTM 33N → 34N, 10 m → 8 m)',
  () => {
    const src = makeSource(false);
    const grid = targetGrid(src);
    const tif = writeSource(src, 'src');
    const interior = interiorMask(src, grid, 2.5);

    for (const [method, gdalMethod] of [
      ['nearest', 'near'],
      ['bilinear', 'bilinear'],
      ['cubic', 'cubic'],
    ] as const) {
      it(`${method}: same footprint and matching pixels`, () => {
        const ours = warpRaster(src, grid, { method, noData: -9999 });
        const ref = gdalwarp(tif, grid, gdalMethod, `out-${method}`);
        expect(ref).toHaveLength(2);
        const n = grid.width * grid.height;
        let maskDiff = 0;
        let valid = 0;
        let maxErr = 0;
        let mismatched = 0;
        let interiorValid = 0;
        for (let b = 0; b < 2; b++) {
          const o = ours.bands[b] as Float32Array;
          const g = ref[b] as Float32Array;
          for (let i = 0; i < n; i++) {
            const vo = o[i] !== -9999;
            const vg = g[i] !== -9999;
            if (vo !== vg) maskDiff++;
            if (!vo || !vg) continue;
            valid++;
            if (interior[i]) interiorValid++;
            const d = Math.abs((o[i] as number) - (g[i] as number));
            if (d !== 0) mismatched++;
            maxErr = Math.max(maxErr, d);
          }
        }
        expect(valid).toBeGreaterThan(n); // both bands: most of the grid is covered
        expect(valid - interiorValid).toBeGreaterThan(500); // and many pixels use the border (renormalised) taps
        // Footprint: proj4js and PROJ agree to well under a millimetre (1e-4 px), so only a pixel centre within
        // that distance of the source edge could flip (measured: 0).
        expect(maskDiff).toBeLessThanOrEqual(2);
        // Same kernels, including GDAL's border handling (bilinear renormalised over in-bounds taps, cubic →
        // bilinear near edges): only float32 output rounding remains (ulp 6e-5 for values < 1024; measured
        // 3.1e-5 for bilinear/cubic, 0 for nearest).
        if (method === 'nearest') expect(mismatched).toBeLessThanOrEqual(2);
        else expect(maxErr).toBeLessThan(1e-4);
      });
    }

    it('bilinear with source no-data: same mask and renormalised values as GDAL', () => {
      const srcNd = makeSource(true);
      const tifNd = writeSource(srcNd, 'src-nd');
      const ours = warpRaster(srcNd, grid, { method: 'bilinear', noData: -9999 });
      const ref = gdalwarp(tifNd, grid, 'bilinear', 'out-nd');
      const o = ours.bands[0] as Float32Array;
      const g = ref[0] as Float32Array;
      let maskDiff = 0;
      let maxErr = 0;
      let ndPixels = 0;
      for (let i = 0; i < o.length; i++) {
        if ((o[i] === -9999) !== (g[i] === -9999)) maskDiff++;
        if (interior[i] && o[i] === -9999) ndPixels++;
        if (o[i] !== -9999 && g[i] !== -9999)
          maxErr = Math.max(maxErr, Math.abs((o[i] as number) - (g[i] as number)));
      }
      expect(ndPixels).toBeGreaterThan(100); // the 15×10 block (150 source px → ~230 target px, minus renormalised rim)
      expect(maskDiff).toBeLessThanOrEqual(4);
      expect(maxErr).toBeLessThan(1e-4); // measured 3.1e-5 (float32 rounding)
    });
  },
);

// Onto a coarser grid gdalwarp stretches the bilinear and cubic kernels by the resolution ratio (every source
// pixel under a target pixel counts); the fixed 2×2 / 4×4 kernels sampled around the centre instead (85 apart
// in value at 30 m from 10 m).
describe.runIf(requireTool('gdalwarp', hasGdal))('warpRaster vs gdalwarp -et 0 onto coarser grids', () => {
  const src = makeSource(false);
  const srcNd = makeSource(true);
  const tif = writeSource(src, 'down-src');
  const tifNd = writeSource(srcNd, 'down-src-nd');
  /** A grid at `res` m in `epsg` over the source's middle (`margin` m in), or past its edges (negative). */
  const coarse = (epsg: number, res: number, margin: number): TargetGrid => {
    const fine = targetGrid(src);
    const c =
      epsg === 32633 ? [534000, 5762000 - 700] : [fine.transform[0], fine.transform[3] - fine.height * 8];
    const [x0, y0] = c as [number, number];
    const width = epsg === 32633 ? 900 : fine.width * 8;
    const height = epsg === 32633 ? 700 : fine.height * 8;
    return {
      epsg,
      transform: [x0 + margin, res, 0, y0 + height - margin, 0, -res],
      width: Math.floor((width - 2 * margin) / res),
      height: Math.floor((height - 2 * margin) / res),
    };
  };
  it.each([
    ['bilinear', 32633, 30, 40, false], // a 3× ratio, snapped to 1/3 as GDAL snaps it
    ['cubic', 32633, 30, 40, false],
    ['bilinear', 32633, 25, 40, true], // 2.5×, with no-data
    ['cubic', 32633, 25, 40, true],
    ['bilinear', 32634, 26, 30, false], // reprojected, rotated by ~4.7°
    ['cubic', 32634, 26, 30, true],
    ['bilinear', 32633, 20, -100, false], // past the source: GDAL's ratio from the clipped extent
  ] as const)(
    '%s onto EPSG:%i at %i m (margin %i m, no-data %s): gdalwarp pixels',
    (method, epsg, res, margin, nd) => {
      const grid = coarse(epsg, res, margin);
      const ours = warpRaster(nd ? srcNd : src, grid, { method, noData: -9999 });
      const ref = gdalwarp(nd ? tifNd : tif, grid, method, `down-${method}-${epsg}-${res}-${nd}`);
      let maskDiff = 0;
      let maxRel = 0;
      let valid = 0;
      for (let b = 0; b < 2; b++) {
        const o = ours.bands[b] as Float32Array;
        const g = ref[b] as Float32Array;
        for (let i = 0; i < o.length; i++) {
          if ((o[i] === -9999) !== (g[i] === -9999)) maskDiff++;
          else if (o[i] !== -9999) {
            valid++;
            maxRel = Math.max(
              maxRel,
              Math.abs((o[i] as number) - (g[i] as number)) / Math.max(1, Math.abs(g[i] as number)),
            );
          }
        }
      }
      expect(valid).toBeGreaterThan(grid.width * grid.height);
      expect(maskDiff).toBe(0);
      expect(maxRel).toBeLessThan(5e-7); // float32 rounding of the same sums
    },
  );
});

/** A UTM 33N raster of 8 m pixels (a power of two: gdalwarp's pixel coordinates are exact too, like ours). */
function raster8m(dtype: DType, width: number, bands: number[][], noData: number | null): Raster {
  const typed = bands.map((b) => {
    const a = new DTYPE_ARRAY[dtype](new ArrayBuffer(b.length * DTYPE_BYTES[dtype]));
    a.set(b);
    return a;
  });
  const height = (bands[0] as number[]).length / width;
  return {
    width,
    height,
    dtype,
    bands: typed,
    noData,
    geo: { epsg: 32633, transform: [500000, 8, 0, 5000000, 0, -8] },
  };
}

/** A grid over raster8m's CRS: origin `dx` m east and `dy` m south of the source's, `res` m pixels. */
const gridAt = (dx: number, dy: number, res: number, width: number, height: number): TargetGrid => ({
  epsg: 32633,
  transform: [500000 + dx, res, 0, 5000000 - dy, 0, -res],
  width,
  height,
});

/** Pixels (all bands) that differ by more than `tol`; NaN equals NaN. */
function mismatches(ours: RasterArray[], ref: RasterArray[], tol: number): number {
  let n = 0;
  ours.forEach((o, b) => {
    const g = ref[b] as RasterArray;
    for (let i = 0; i < o.length; i++) {
      const [x, y] = [o[i] as number, g[i] as number];
      if (!(Math.abs(x - y) <= tol || (Number.isNaN(x) && Number.isNaN(y)))) n++;
    }
  });
  return n;
}

describe.runIf(requireTool('gdalwarp', hasGdal))(
  'warpRaster vs gdalwarp -et 0: no-data centres, integer output, 1-pixel sources',
  () => {
    // gdalwarp gives no value to a target pixel whose centre falls on a source pixel that is no-data in every
    // band, whatever its neighbours hold (before: bilinear/cubic interpolated ~30 there from the neighbours), also
    // with a NaN no-data value on the stretched (coarser-grid) kernel; a pixel no-data in one band only is
    // resampled per band, and cubic falls back to bilinear only in the band with the no-data tap.
    it.each([
      ['bilinear', -9999, 8],
      ['cubic', -9999, 8],
      ['bilinear', Number.NaN, 8],
      ['cubic', Number.NaN, 8],
      ['bilinear', Number.NaN, 24],
      ['cubic', Number.NaN, 24],
    ] as const)('%s, no-data %s, %i m from 8 m: gdalwarp pixels', (method, nd, res) => {
      const w = 30;
      const wave = (k: number, f: number) =>
        40 * Math.sin((k % w) * f + Math.floor(k / w) * 0.4) + 2 * (k % 7);
      const b0 = Array.from({ length: w * w }, (_, k) => wave(k, 0.9));
      const b1 = Array.from({ length: w * w }, (_, k) => wave(k, 0.5));
      const dx = res === 8 ? 3 : 0;
      const centreOf = (t: number) => Math.floor((dx + (t + 0.5) * res) / 8); // source pixel of target row/col t
      const both = centreOf(3) * w + centreOf(3); // target (3, 3): no-data in both bands
      const one = centreOf(1) * w + centreOf(5); // target (1, 5): no-data in band 0 only
      b0[both] = nd;
      b1[both] = nd;
      b0[one] = nd;
      const src = raster8m('float32', w, [b0, b1], nd);
      const grid = gridAt(dx, dx, res, 9, 9);
      const name = `centre-${method}-${nd}-${res}`;
      const ours = warpRaster(src, grid, { method, noData: nd });
      const ref = gdalwarp(writeSource(src, name), grid, method, name, { dstNoData: nd });
      expect(mismatches(ours.bands, ref, 1e-4)).toBe(0); // float32 rounding of the same sums
      const isNd = (v: number | undefined) => (Number.isNaN(nd) ? Number.isNaN(v) : v === nd);
      const [o0, o1] = ours.bands as [RasterArray, RasterArray];
      expect([isNd(o0[3 * 9 + 3]), isNd(o1[3 * 9 + 3])]).toEqual([true, true]);
      expect([isNd(o0[1 * 9 + 5]), isNd(o1[1 * 9 + 5])]).toEqual([false, false]);
    });

    // Integer outputs: gdalwarp rounds half up (floor(x + 0.5); before: half away from zero, −2.5 → −3) and moves
    // a valid value that lands on the no-data value one step off it: up from the working type's minimum, down
    // otherwise (before: such pixels were written as no-data). Its fast nearest path for 8/16-bit data leaves
    // them; 32-bit data (and int16 with a no-data above 255, worked as int32) goes through the general kernel.
    // Top rows alternate along x (weights 0.5: ties), bottom rows along y (weights 0.75/0.25), plus −2/−3 ties.
    it.each([
      ['uint8', 0],
      ['uint8', 255],
      ['uint16', 0],
      ['uint16', 65535],
      ['int16', -32768],
      ['int16', 0],
      ['int16', 32767],
      ['uint32', 0],
      ['uint32', 4294967295],
      ['int32', -2147483648],
      ['int32', 0],
      ['int32', 2147483647],
    ] as const)('%s output, no-data %s: gdalwarp rounding and no-data avoidance', (dtype, nd) => {
      const hi = { uint8: 255, uint16: 65535, int16: 32767, uint32: 4294967295, int32: 2147483647 }[dtype];
      const x = nd === hi ? nd - 1 : nd + 1;
      const signed = dtype === 'int16' || dtype === 'int32';
      const values = Array.from({ length: 100 }, (_, k) => {
        const [col, row] = [k % 10, Math.floor(k / 10)];
        if (row < 2 && signed) return col % 2 ? -3 : -2;
        if (row < 5) return col % 2 ? x : nd;
        return row % 2 ? x : nd;
      });
      const src = raster8m(dtype, 10, [values], null);
      const tif = writeSource(src, `int-${dtype}-${nd}`);
      const grid = gridAt(4, 2, 8, 10, 10);
      const moved = nd === (signed ? -(hi + 1) : 0) ? nd + 1 : nd - 1; // off the minimum upwards, else down
      for (const method of ['nearest', 'bilinear', 'cubic'] as const) {
        const ours = warpRaster(src, grid, { method, noData: nd });
        const ref = gdalwarp(
          tif,
          grid,
          method === 'nearest' ? 'near' : method,
          `int-${dtype}-${nd}-${method}`,
          {
            ot: dtype,
            dstNoData: nd,
          },
        );
        expect(mismatches(ours.bands, ref, 0)).toBe(0);
        if (method !== 'nearest') expect(Array.from(ours.bands[0] as RasterArray)).toContain(moved);
      }
    });

    // gdalwarp's general kernel samples a source 1 pixel wide or high nearest (both axes) for bilinear and cubic
    // (before: interpolated along the long axis, 2.5 where gdalwarp has 0); its fast path (8/16-bit or float32
    // data without a no-data value) interpolates it. Upsampled 4× and, along the long axis, 3× coarser.
    it.each([
      ['float32', -9999, 'bilinear'],
      ['float32', -9999, 'cubic'],
      ['uint32', null, 'bilinear'],
      ['uint16', null, 'cubic'],
    ] as const)('%s source 1 pixel wide or high (no-data %s), %s: gdalwarp pixels', (dtype, nd, method) => {
      for (const [w, h] of [
        [1, 12],
        [12, 1],
      ] as const) {
        const src = raster8m(dtype, w, [Array.from({ length: w * h }, (_, k) => 10 * k + (k % 3))], nd);
        const tif = writeSource(src, `one-${dtype}-${method}-${w}`);
        const grids = [
          gridAt(-3, -3, 2, Math.ceil((8 * w + 6) / 2), Math.ceil((8 * h + 6) / 2)),
          gridAt(0, 0, 24, Math.ceil(w / 3), Math.ceil(h / 3)),
        ];
        grids.forEach((grid, k) => {
          const opts = nd === null ? {} : { noData: nd };
          const ours = warpRaster(src, grid, { method, ...opts });
          const name = `one-${dtype}-${method}-${w}-${k}`;
          const ref = gdalwarp(tif, grid, method, name, { ot: dtype, dstNoData: nd });
          expect(mismatches(ours.bands, ref, dtype === 'float32' ? 1e-4 : 0)).toBe(0);
        });
      }
    });

    // A no-data value the output type cannot hold: gdalwarp adjusts -dstnodata to the type (clamped, else rounded
    // half up; NaN as its cast makes it) and writes and reports that value. It used to be wrapped into the pixels
    // (300 → 44 in uint8, 40000 → −25536 in int16) while the result said 300.
    it.each([
      ['uint8', [300, -1, 40000, Number.NaN, 0.5, 254.5, 1e39, Number.POSITIVE_INFINITY]],
      ['int16', [40000, -40000, Number.NaN, -1.5, -2.5, 2.5]],
      ['uint16', [70000, -1, Number.NaN, 0.5]],
      ['uint32', [5e9, -1, Number.NaN, 1.5]],
      ['int32', [5e9, -5e9, Number.NaN, -0.5]],
      ['float32', [1e39, -1e39, 0.1]],
    ] as const)('%s output, no-data out of its range: gdalwarp pixels and no-data value', (dtype, values) => {
      const src = raster8m(dtype, 4, [Array.from({ length: 16 }, (_, k) => 7 + (k % 3))], null);
      const tif = writeSource(src, `ndrange-${dtype}`);
      const grid = gridAt(-16, -16, 8, 8, 8); // a 2-pixel margin outside the source
      for (const nd of values) {
        for (const method of ['nearest', 'bilinear'] as const) {
          const ours = warpRaster(src, grid, { method, noData: nd });
          const name = `ndrange-${dtype}-${nd}-${method}`;
          const ref = gdalwarp(tif, grid, method === 'nearest' ? 'near' : method, name, {
            ot: dtype,
            dstNoData: nd,
          });
          expect(mismatches(ours.bands, ref, 0), `${dtype} ${nd} ${method}`).toBe(0);
          // (ENVI's header keeps 8 digits: a float32 value is compared as float32)
          const reported = Number(gdalinfoJson(join(dir, `${name}.bin`)).bands[0]?.noDataValue);
          expect(ours.noData, `${dtype} ${nd}`).toBe(dtype === 'float32' ? Math.fround(reported) : reported);
          expect(ours.bands[0]?.[0], `${dtype} ${nd}: the corner is outside the source`).toBe(ours.noData);
        }
      }
    });

    it('geo.epsg 54009 (World Mollweide, as the reader reports it) warps and bbox-reads as ESRI:54009, as gdalwarp does', async () => {
      // the number 54009 was taken for the non-existent EPSG:54009: UNKNOWN_CRS, advising to register that code
      const [[cx, cy]] = transformCoords(4326, 'ESRI:54009', [[15, 52]]) as [[number, number]];
      const w = 40;
      const values = Array.from(
        { length: w * w },
        (_, k) => 100 + 50 * Math.sin((k % w) * 0.3) + Math.floor(k / w),
      );
      const src: Raster = {
        width: w,
        height: w,
        dtype: 'float32',
        bands: [Float32Array.from(values)],
        geo: {
          epsg: 54009,
          transform: [Math.round(cx) - 20_000, 1000, 0, Math.round(cy) + 20_000, 0, -1000],
        },
      };
      const tif = join(dir, 'moll.tif');
      writeFileSync(tif, encodeGeoTiff(src));
      const tiff = await openGeoTiff(new Uint8Array(readFileSync(tif)));
      expect(tiff.levels[0]?.geo?.epsg).toBe(54009);
      const grid: TargetGrid = {
        epsg: 4326,
        transform: [14.9, 0.01, 0, 52.1, 0, -0.01],
        width: 20,
        height: 20,
      };
      for (const method of ['nearest', 'bilinear'] as const) {
        const ours = warpRaster(src, grid, { method, noData: -9999 });
        const ref = gdalwarp(tif, grid, method === 'nearest' ? 'near' : method, `moll-${method}`);
        expect(mismatches(ours.bands, ref, 1e-3), method).toBe(0);
        expect(Array.from(ours.bands[0] as Float32Array).filter((v) => v !== -9999).length).toBe(400);
        const viaFile = await warpGeoTiff(tiff, grid, { method, noData: -9999 });
        expect(mismatches(viaFile.bands, ours.bands, 0)).toBe(0);
      }
      // a lon/lat bbox read: the window of the pixels whose footprint the box's projection covers
      const r = await readRaster(tiff, { bbox: [14.99, 51.99, 15.01, 52.01], bboxCrs: 'lonlat' });
      expect(r.geo?.epsg).toBe(54009);
      // the window covers the box's corners, projected into Mollweide
      const [ox, px, , oy, , py] = r.geo?.transform as number[];
      const corners = transformCoords(4326, 'ESRI:54009', [
        [14.99, 51.99],
        [15.01, 51.99],
        [14.99, 52.01],
        [15.01, 52.01],
      ]);
      for (const [x, y] of corners as [number, number][]) {
        expect(x).toBeGreaterThanOrEqual(ox as number);
        expect(x).toBeLessThanOrEqual((ox as number) + r.width * (px as number));
        expect(y).toBeLessThanOrEqual(oy as number);
        expect(y).toBeGreaterThanOrEqual((oy as number) + r.height * (py as number));
      }
      expect(transformCoords(54009, 4326, [[cx, cy]])).toEqual(
        transformCoords('ESRI:54009', 4326, [[cx, cy]]),
      );
    });

    it("a source's own out-of-range no-data is kept as gdalwarp keeps it; its pixels are clamped, never wrapped", async () => {
      // gdalwarp without -dstnodata copies the source's 300 as the output's no-data and stores the fill as 255
      const src = raster8m('uint8', 4, [Array.from({ length: 16 }, (_, k) => 7 + (k % 3))], 300);
      // (gdal_translate -a_nodata would clamp it to 255: our writer keeps 300, as GDAL's SetNoDataValue does)
      const tif = join(dir, 'ndrange-inherited.tif');
      writeFileSync(tif, encodeGeoTiff(src));
      expect(gdalinfoJson(tif).bands[0]?.noDataValue).toBe(300);
      const grid = gridAt(-16, -16, 8, 8, 8);
      const ours = warpRaster(src, grid, { method: 'nearest' });
      const ref = gdalwarp(tif, grid, 'near', 'ndrange-inherited-out', { ot: 'uint8', dstNoData: null });
      expect(mismatches(ours.bands, ref, 0)).toBe(0);
      expect(ours.bands[0]?.[0]).toBe(255);
      expect(ours.noData).toBe(
        Number(gdalinfoJson(join(dir, 'ndrange-inherited-out.bin')).bands[0]?.noDataValue),
      );
      // warpGeoTiff onto a grid that misses the file gives the same values without reading pixels
      const tiff = await openGeoTiff(new Uint8Array(readFileSync(tif)));
      const away = gridAt(-800, -800, 8, 4, 4);
      for (const [options, want] of [
        [{}, { fill: 255, noData: 300 }],
        [{ noData: 300 }, { fill: 255, noData: 255 }],
        [{ noData: -1 }, { fill: 0, noData: 0 }],
        [
          { noData: 40000, dtype: 'int16' },
          { fill: 32767, noData: 32767 },
        ],
      ] as const) {
        const r = await warpGeoTiff(tiff, away, options);
        expect({ fill: r.bands[0]?.[0], noData: r.noData }, JSON.stringify(options)).toEqual(want);
        expect(warpRaster(src, away, options).noData).toBe(want.noData);
      }
    });
  },
);

/** A float32 lon/lat raster of `width`×`height` pixels of `res`° from (`lon0`, `lat0`): smooth pattern plus noise. */
function lonLatSource(width: number, height: number, lon0: number, lat0: number, res: number): Raster {
  let seed = 99;
  const rand = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const band = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      band[y * width + x] = 100 + 80 * Math.sin(x / 5) * Math.cos(y / 7) + 20 * rand();
  return {
    width,
    height,
    dtype: 'float32',
    bands: [band],
    noData: -9999,
    geo: { epsg: 4326, transform: [lon0, res, 0, lat0, 0, -res] },
  };
}

/** Pixels differing by more than `rel` relative to GDAL's value, or no-data on one side only. */
function gdalMismatches(ours: RasterArray, ref: RasterArray, rel: number): number {
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    const [o, g] = [ours[i] as number, ref[i] as number];
    if (o === -9999 || g === -9999) n += o === g ? 0 : 1;
    else if (Math.abs(o - g) > rel * Math.max(1, Math.abs(g))) n++;
  }
  return n;
}

const EPSG_3413 = '+proj=stere +lat_0=90 +lat_ts=70 +lon_0=-45 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs';

// gdalwarp finds the source window from points on the target grid's edges, and from a grid of interior points
// (plus the source transformed forward) where a pole lies on the target or an edge point fails; onto a window as
// wide as a global source it takes the x-scale from the local pixel footprint. From the edges alone, a grid around
// the pole missed the pole's rows and half the longitudes (holes; warpGeoTiff read nothing there), a grid across
// the antimeridian stretched the kernel over the whole width (~70° averaged), and a Mollweide grid's corners off
// the ellipse got data proj4 invents there.
describe.runIf(requireTool('gdalwarp', hasGdal))(
  "warpRaster and warpGeoTiff vs gdalwarp -et 0 where the grid's edges do not bound its source",
  () => {
    /** Both warps against gdalwarp: mismatching pixels (float32 rounding allowed). */
    async function bothVsGdal(
      src: Raster,
      tif: string,
      grid: TargetGrid,
      method: 'nearest' | 'bilinear' | 'cubic',
      name: string,
      srs?: string,
    ): Promise<{ raster: number; geotiff: number; valid: number }> {
      const ref = gdalwarp(tif, grid, method === 'nearest' ? 'near' : method, name, srs ? { srs } : {});
      const g = ref[0] as Float32Array;
      const ours = warpRaster(src, grid, { method, noData: -9999 });
      const tiff = await openGeoTiff(new Uint8Array(readFileSync(tif)));
      const viaFile = await warpGeoTiff(tiff, grid, { method, noData: -9999 });
      return {
        raster: gdalMismatches(ours.bands[0] as Float32Array, g, 1e-6),
        geotiff: gdalMismatches(viaFile.bands[0] as Float32Array, g, 1e-6),
        valid: g.filter((v) => v !== -9999).length,
      };
    }

    it.each([
      ['nearest', 200],
      ['bilinear', 200],
      ['cubic', 200],
      ['bilinear', 20], // 20 km pixels: the stretched kernel
      ['cubic', 7],
    ] as const)(
      'a polar stereographic grid around the North Pole, %s, %i px: gdalwarp pixels',
      async (method, n) => {
        registerProjection(3413, EPSG_3413);
        const src = lonLatSource(1440, 120, -180, 90, 0.25);
        const tif = writeSource(src, 'pole-src');
        const grid: TargetGrid = {
          epsg: 3413,
          transform: [-200_000, 400_000 / n, 0, 200_000, 0, -400_000 / n],
          width: n,
          height: n,
        };
        const r = await bothVsGdal(src, tif, grid, method, `pole-${method}-${n}`);
        expect(r.valid).toBe(n * n); // the source covers the whole grid
        expect(r).toEqual({ raster: 0, geotiff: 0, valid: n * n });
      },
    );

    // a 0.5° global source under a 300 km grid: the edge points span the whole width (a window 130 times wider,
    // in source pixels per target pixel, than it is high), so gdalwarp takes the x-scale from the local footprint
    it.each([
      ['bilinear', 100], // 3 km pixels from 0.5° (~28 km): interpolated, not averaged over the window's width
      ['cubic', 100],
      ['bilinear', 5], // 60 km pixels: stretched by the local ratio (~0.46)
      ['cubic', 5],
    ] as const)(
      'a UTM 60N grid across the antimeridian from a global source, %s, %i px: gdalwarp pixels',
      async (method, n) => {
        const src = lonLatSource(720, 360, -180, 90, 0.5);
        const tif = writeSource(src, 'global-half-src');
        const grid: TargetGrid = {
          epsg: 32660,
          transform: [520_000, 300_000 / n, 0, 6_800_000, 0, -300_000 / n],
          width: n,
          height: n,
        };
        const r = await bothVsGdal(src, tif, grid, method, `am-${method}-${n}`);
        expect(r).toEqual({ raster: 0, geotiff: 0, valid: n * n });
      },
    );

    it.each(['nearest', 'bilinear', 'cubic'] as const)(
      'a World Mollweide grid whose corners are off the ellipse, %s: no-data there as gdalwarp, same pixels elsewhere',
      async (method) => {
        const src = lonLatSource(360, 180, -180, 90, 1);
        const tif = writeSource(src, 'global-src');
        const grid: TargetGrid = {
          epsg: 54009,
          transform: [-18_100_000, 100_000, 0, 9_100_000, 0, -100_000],
          width: 362,
          height: 182,
        };
        const r = await bothVsGdal(src, tif, grid, method, `moll-${method}`, 'ESRI:54009');
        expect(r.valid).toBeGreaterThan(50_000); // the ellipse: ~π/4 of the 65 884 pixels
        expect(r.valid).toBeLessThan(52_000);
        expect(r).toMatchObject({ raster: 0, geotiff: 0 });
      },
    );
  },
);

// gdalwarp's default is the approximate transformer with -et 0.125: per target row it interpolates between exactly
// transformed points while the middle one is within 0.125 source pixels (|dx| + |dy|) of the line through the
// ends, splitting the row into [0, middle) and [middle, n) otherwise, runs of 5 or fewer points exact; a point that
// lands just off the source is transformed again exactly. errorThresholdPx 0.125 gives its pixels.
describe.runIf(requireTool('gdalwarp', hasGdal))("errorThresholdPx vs gdalwarp's default -et 0.125", () => {
  const src = lonLatSource(500, 250, 5, 60, 0.04);
  const tif = writeSource(src, 'approx-src');
  // UTM 33N over the source's 20° × 10° and past it: rows long enough to be split several times
  const grid: TargetGrid = {
    epsg: 32633,
    transform: [-216_000, 2_500, 0, 6_693_600, 0, -2_500],
    width: 573,
    height: 462,
  };
  it.each(['nearest', 'bilinear', 'cubic'] as const)('%s: gdalwarp pixels, footprint included', (method) => {
    const ref = gdalwarp(tif, grid, method === 'nearest' ? 'near' : method, `approx-${method}`, { et: null });
    const g = ref[0] as Float32Array;
    const ours = warpRaster(src, grid, { method, noData: -9999, errorThresholdPx: 0.125 });
    const exact = warpRaster(src, grid, { method, noData: -9999 });
    expect(g.filter((v) => v !== -9999).length).toBeGreaterThan(100_000);
    expect(gdalMismatches(ours.bands[0] as Float32Array, g, 1e-6)).toBe(0);
    // (the exact warp is not what gdalwarp gives by default)
    expect(gdalMismatches(exact.bands[0] as Float32Array, g, 1e-6)).toBeGreaterThan(100);
  });
});

// A geographic source stored over 0..360° (global climate and land-cover products): gdalwarp brings the longitudes
// it looks up within 180° of the source's centre (CENTER_LONG), so target pixels west of 0° read the source's
// 180..360° columns instead of falling outside it.
describe.runIf(requireTool('gdalwarp', hasGdal))('warpRaster vs gdalwarp -et 0 from a 0..360° source', () => {
  const width = 240;
  const height = 120;
  const b0 = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) b0[y * width + x] = 1000 + 3 * x + 0.5 * y + 40 * Math.sin(x / 3 + y / 5);
  const src: Raster = {
    width,
    height,
    dtype: 'float32',
    bands: [b0],
    noData: null,
    geo: { epsg: 4326, transform: [0, 1.5, 0, 90, 0, -1.5] },
  };
  const tif = writeSource(src, 'src360');
  const grids: [string, TargetGrid][] = [
    ['lon/lat across 0°', { epsg: 4326, transform: [-20.3, 0.7, 0, 60.2, 0, -0.7], width: 58, height: 43 }],
    [
      'lon/lat west of 0° only',
      { epsg: 4326, transform: [-100.1, 0.9, 0, 20, 0, -0.9], width: 30, height: 25 },
    ],
    [
      'UTM 30N (centre 3°W)',
      { epsg: 32630, transform: [100000, 20000, 0, 5000000, 0, -20000], width: 40, height: 30 },
    ],
    // 2× coarser: the kernel stretched by gdalwarp's ratio of a window that spans the source's whole width
    [
      'lon/lat across 0°, 2× coarser',
      { epsg: 4326, transform: [-21, 3, 0, 60, 0, -3], width: 14, height: 10 },
    ],
  ];
  for (const [label, grid] of grids)
    for (const [method, gdalMethod] of [
      ['nearest', 'near'],
      ['bilinear', 'bilinear'],
      ['cubic', 'cubic'],
    ] as const)
      it(`${label}, ${method}: gdalwarp's pixels, west of 0° included`, async () => {
        const ours = warpRaster(src, grid, { method, noData: -9999 });
        const ref = gdalwarp(tif, grid, gdalMethod, `out360-${method}`);
        const o = ours.bands[0] as Float32Array;
        const g = ref[0] as Float32Array;
        let valid = 0;
        let west = 0;
        let maskDiff = 0;
        let maxErr = 0;
        for (let i = 0; i < o.length; i++) {
          if ((o[i] === -9999) !== (g[i] === -9999)) maskDiff++;
          if (o[i] === -9999 || g[i] === -9999) continue;
          valid++;
          // source columns past 120 are the 180..360° half: what the wrap brings in
          if ((o[i] as number) > 1000 + 3 * 120 + 45) west++;
          maxErr = Math.max(maxErr, Math.abs((o[i] as number) - (g[i] as number)));
        }
        expect(valid).toBeGreaterThan(o.length * 0.9);
        expect(west).toBeGreaterThan(50);
        expect(maskDiff).toBe(0);
        expect(maxErr).toBeLessThan(1e-3); // float32 rounding of values near 1700
        // coordinates projected once for many rasters go through the same wrap
        const viaGrid = warpRaster(src, grid, { method, noData: -9999, projected: projectGrid(grid, 4326) });
        expect(viaGrid.bands[0]).toEqual(ours.bands[0]);
        // warpGeoTiff reads only the source window it needs, found through the same wrap
        const fromFile = await warpGeoTiff(await openGeoTiff(new Uint8Array(readFileSync(tif))), grid, {
          method,
          noData: -9999,
        });
        expect(fromFile.bands[0]).toEqual(ours.bands[0]);
      });

  it("gdalwarp's default approximate transformer (-et 0.125) across the wrap: the same pixels", () => {
    const grid = (grids[2] as [string, TargetGrid])[1];
    const ours = warpRaster(src, grid, { method: 'bilinear', noData: -9999, errorThresholdPx: 0.125 });
    const ref = gdalwarp(tif, grid, 'bilinear', 'out360-approx', { et: null });
    const o = ours.bands[0] as Float32Array;
    const g = ref[0] as Float32Array;
    let maxErr = 0;
    for (let i = 0; i < o.length; i++) {
      expect(o[i] === -9999, `pixel ${i}`).toBe(g[i] === -9999);
      if (o[i] !== -9999) maxErr = Math.max(maxErr, Math.abs((o[i] as number) - (g[i] as number)));
    }
    expect(maxErr).toBeLessThan(1e-3);
  });
});
