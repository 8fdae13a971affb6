// YCbCr (PhotometricInterpretation 6) blocks → RGB, with libtiff's fixed-point tables (what GDAL returns for
// non-JPEG YCbCr files: it reads them through libtiff's RGBA interface).
import { RasterIoError } from '../errors.js';

/** How a level stores YCbCr samples. */
export interface YCbCrLayout {
  /** YCbCrSubSampling: horizontal, vertical (1, 2 or 4). */
  subsampling: [number, number];
  /** YCbCrCoefficients (luma of red, green, blue). */
  coefficients: [number, number, number];
  /** ReferenceBlackWhite: Y, Cb, Cr black/white codes. */
  referenceBlackWhite: [number, number, number, number, number, number];
}

const SHIFT = 16;
const ONE_HALF = 1 << (SHIFT - 1);
const f32 = Math.fround;
const fix = (x: number): number => Math.trunc(f32(x * (1 << SHIFT)) + 0.5);
const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/** libtiff's Code2V in float arithmetic. */
function code2v(c: number, rb: number, rw: number, cr: number): number {
  const range = f32(rw - rb);
  return f32(f32((c - Math.trunc(rb)) * cr) / (range !== 0 ? range : 1));
}

interface Tables {
  y: Int32Array;
  crR: Int32Array;
  crG: Int32Array;
  cbG: Int32Array;
  cbB: Int32Array;
}

/** libtiff's TIFFYCbCrToRGBInit. */
function tables(layout: YCbCrLayout): Tables {
  const [lr, lg, lb] = layout.coefficients.map(f32) as [number, number, number];
  const rbw = layout.referenceBlackWhite.map(f32);
  const f1 = f32(2 - f32(2 * lr));
  const d1 = fix(clamp(f1, 0, 2));
  const f2 = f32(f32(lr * f1) / lg);
  const d2 = -fix(clamp(f2, 0, 2));
  const f3 = f32(2 - f32(2 * lb));
  const d3 = fix(clamp(f3, 0, 2));
  const f4 = f32(f32(lb * f3) / lg);
  const d4 = -fix(clamp(f4, 0, 2));
  const t: Tables = {
    y: new Int32Array(256),
    crR: new Int32Array(256),
    crG: new Int32Array(256),
    cbG: new Int32Array(256),
    cbB: new Int32Array(256),
  };
  for (let i = 0, x = -128; i < 256; i++, x++) {
    const cr = Math.trunc(
      clamp(code2v(x, f32((rbw[4] as number) - 128), f32((rbw[5] as number) - 128), 127), -4096, 4096),
    );
    const cb = Math.trunc(
      clamp(code2v(x, f32((rbw[2] as number) - 128), f32((rbw[3] as number) - 128), 127), -4096, 4096),
    );
    t.crR[i] = (d1 * cr + ONE_HALF) >> SHIFT;
    t.cbB[i] = (d3 * cb + ONE_HALF) >> SHIFT;
    t.crG[i] = d2 * cr;
    t.cbG[i] = d4 * cb + ONE_HALF;
    t.y[i] = Math.trunc(clamp(code2v(x + 128, rbw[0] as number, rbw[1] as number, 255), -4096, 4096));
  }
  return t;
}

const cache = new WeakMap<YCbCrLayout, Tables>();

function tablesFor(layout: YCbCrLayout): Tables {
  let t = cache.get(layout);
  if (!t) {
    t = tables(layout);
    cache.set(layout, t);
  }
  return t;
}

/** Bytes of one decoded block of `width × rows` pixels: data units of hs·vs Y samples, then Cb and Cr. */
export function ycbcrBlockBytes(layout: YCbCrLayout, width: number, rows: number): number {
  const [hs, vs] = layout.subsampling;
  return Math.ceil(width / hs) * Math.ceil(rows / vs) * (hs * vs + 2);
}

/**
 * Converts one decoded YCbCr block to pixel-interleaved RGB (`width × rows × 3` bytes), like libtiff.
 * @throws RasterIoError `TRUNCATED` when the block holds fewer data units than its size needs
 */
export function ycbcrToRgb(
  layout: YCbCrLayout,
  data: Uint8Array,
  width: number,
  rows: number,
  file: string,
): Uint8Array {
  const need = ycbcrBlockBytes(layout, width, rows);
  if (data.length < need) {
    throw new RasterIoError(
      'TRUNCATED',
      `${file}: corrupt YCbCr block; it decodes to ${data.length} bytes, ${width}x${rows} pixels need ${need}`,
    );
  }
  const t = tablesFor(layout);
  const [hs, vs] = layout.subsampling;
  const out = new Uint8Array(width * rows * 3);
  const unitBytes = hs * vs + 2;
  const across = Math.ceil(width / hs);
  for (let uy = 0; uy < Math.ceil(rows / vs); uy++) {
    for (let ux = 0; ux < across; ux++) {
      const u = (uy * across + ux) * unitBytes;
      const cb = data[u + hs * vs] as number;
      const cr = data[u + hs * vs + 1] as number;
      const rAdd = t.crR[cr] as number;
      const gAdd = ((t.cbG[cb] as number) + (t.crG[cr] as number)) >> SHIFT;
      const bAdd = t.cbB[cb] as number;
      for (let j = 0; j < vs; j++) {
        const y = uy * vs + j;
        if (y >= rows) break;
        for (let i = 0; i < hs; i++) {
          const x = ux * hs + i;
          if (x >= width) continue;
          const luma = t.y[data[u + j * hs + i] as number] as number;
          const o = (y * width + x) * 3;
          out[o] = clamp(luma + rAdd, 0, 255);
          out[o + 1] = clamp(luma + gAdd, 0, 255);
          out[o + 2] = clamp(luma + bAdd, 0, 255);
        }
      }
    }
  }
  return out;
}

/**
 * Converts planar YCbCr samples subsampled 1×1 (three planes of one window, as stored) to R, G and B planes in
 * place, with the same tables as {@link ycbcrToRgb} (libtiff's RGBA interface: GDAL's reader for these files).
 */
export function ycbcrPlanesToRgb(layout: YCbCrLayout, y: Uint8Array, cb: Uint8Array, cr: Uint8Array): void {
  const t = tablesFor(layout);
  for (let i = 0; i < y.length; i++) {
    const luma = t.y[y[i] as number] as number;
    const b = cb[i] as number;
    const r = cr[i] as number;
    y[i] = clamp(luma + (t.crR[r] as number), 0, 255);
    cb[i] = clamp(luma + (((t.cbG[b] as number) + (t.crG[r] as number)) >> SHIFT), 0, 255);
    cr[i] = clamp(luma + (t.cbB[b] as number), 0, 255);
  }
}
