// Deterministic test rasters: smooth structure (so predictors/compression matter) plus seeded noise.
import type { DType, Raster, RasterArray } from '../../src/index.js';

const CTORS = {
  uint8: Uint8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/** mulberry32: a tiny seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A raster whose values span most of the dtype's range (negative values for signed types). */
export function syntheticRaster(
  dtype: DType,
  width: number,
  height: number,
  bandCount: number,
  seed = 1,
): Raster {
  const next = rng(seed);
  const bands: RasterArray[] = [];
  for (let b = 0; b < bandCount; b++) {
    const a = new CTORS[dtype](width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const smooth = Math.sin((x + 13 * b) / 17) * Math.cos((y - 7 * b) / 23); // [-1, 1]
        const noise = next() - 0.5;
        let v: number;
        switch (dtype) {
          case 'uint8':
            v = Math.round(127 + 100 * smooth + 40 * noise);
            break;
          case 'uint16':
            v = Math.round(30000 + 25000 * smooth + 5000 * noise);
            break;
          case 'int16':
            v = Math.round(12000 * smooth + 4000 * noise);
            break;
          case 'uint32':
            v = Math.round(2e9 + 1.5e9 * smooth + 1e6 * noise);
            break;
          case 'int32':
            v = Math.round(1e9 * smooth + 1e6 * noise);
            break;
          default:
            v = 0.25 * smooth + 0.01 * noise + b;
        }
        a[y * width + x] = v;
      }
    }
    bands.push(a);
  }
  return { width, height, dtype, bands };
}

/** Stream `raster` into a COG writer `rows` rows per call, top to bottom, then close it. */
export async function writeRowsOf(
  w: { writeRows(y: number, rows: RasterArray[]): Promise<unknown>; close(): Promise<unknown> },
  raster: Raster,
  rows: number,
): Promise<void> {
  for (let y = 0; y < raster.height; y += rows) {
    const n = Math.min(rows, raster.height - y);
    await w.writeRows(
      y,
      raster.bands.map((b) => b.subarray(y * raster.width, (y + n) * raster.width) as RasterArray),
    );
  }
  await w.close();
}
