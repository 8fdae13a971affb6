// Read the raw band-sequential output of `gdal_translate -of ENVI` (GDAL's own decoding of a file).
import { readFileSync } from 'node:fs';
import type { DType, RasterArray } from '../../src/index.js';
import { gdalTranslate } from './gdal.js';

const CTORS = {
  uint8: Uint8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/** Decode `src` with GDAL (optionally an overview level `ovr`, 0-based) and return its bands. */
export function gdalPixels(
  src: string,
  out: string,
  dtype: DType,
  width: number,
  height: number,
  extra: string[] = [],
): RasterArray[] {
  gdalTranslate(['-of', 'ENVI', '-co', 'INTERLEAVE=BSQ', ...extra, src, out]);
  const buf = readFileSync(out);
  const all = new CTORS[dtype](buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const n = width * height;
  return Array.from({ length: all.length / n }, (_, b) => all.subarray(b * n, (b + 1) * n));
}
