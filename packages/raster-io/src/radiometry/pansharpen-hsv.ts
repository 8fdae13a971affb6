// Upstream HSV pansharpening in closed form.

import { RasterIoError } from '../errors.js';
import { checkOptions, checkRaster, describeValue, invalid } from '../internal/check-args.js';
import { resize } from '../resample/resize.js';
import type { Raster } from '../types.js';
import { dnToReflectance } from './dn-to-reflectance.js';

/** Options of {@link pansharpenHsv}. */
export interface PansharpenOptions {
  /** Indices of R, G, B in the multispectral raster; default `[0, 1, 2]` (SPOT `_rgbn` order). */
  rgbBands?: readonly [number, number, number];
  /** DN scale for both inputs (values ÷ scale, clamped to [0,1]); default 10000. Use 1 for reflectance input. */
  scale?: number;
  /** kornia's HSV epsilon, a finite number > 0; default 1e-8. */
  epsilon?: number;
}

/**
 * HSV pansharpening as upstream `src/datasets.py`: RGB and PAN are scaled (÷10000, clamped to [0,1]),
 * RGB is resized to the PAN grid with antialiased bilinear (torchvision), converted to HSV (V = max), V is
 * replaced by PAN and the result converted back. In closed form per pixel, with M = max(R,G,B) and kornia's
 * ε = 1e-8: `out_c = PAN · (c + ε)/(M + ε)` — i.e. `PAN · c/M`, and `(PAN, PAN, PAN)` when M = 0.
 *
 * @param multispectral - the low-resolution raster holding R, G, B (e.g. SPOT `_rgbn`, 4 bands).
 * @param pan - the single-band panchromatic raster (its grid and `geo` are used for the output).
 * @param options - `rgbBands`, `scale`, `epsilon`.
 * @returns a 3-band float32 raster in [0, 1] on the PAN grid.
 * @throws RasterIoError `BAND_OUT_OF_RANGE` for a bad band index, `INVALID_ARGUMENT` when PAN has no band.
 * @example
 * const ps = pansharpenHsv(rgbn, pan); // 3 × 1054 × 1054 reflectance
 */
export function pansharpenHsv(multispectral: Raster, pan: Raster, options: PansharpenOptions = {}): Raster {
  const fn = 'pansharpenHsv';
  checkRaster(fn, multispectral, 'multispectral');
  checkRaster(fn, pan, 'pan');
  const o = checkOptions(fn, options);
  const rgbBands = o.rgbBands ?? [0, 1, 2];
  if (!Array.isArray(rgbBands) || rgbBands.length !== 3)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${fn}: rgbBands must be three band indices, got ${describeValue(rgbBands)}`,
    );
  const [ri, gi, bi] = rgbBands;
  const scale = positive(fn, 'scale', o.scale ?? 10000);
  // 0 would divide black pixels by 0 (NaN where PAN, PAN, PAN is promised); below it, by a negative
  const eps = positive(fn, 'epsilon', o.epsilon ?? 1e-8);
  for (const b of [ri, gi, bi])
    if (!Number.isInteger(b) || b < 0 || b >= multispectral.bands.length)
      throw new RasterIoError(
        'BAND_OUT_OF_RANGE',
        `RGB band index ${describeValue(b)} is out of range for a ${multispectral.bands.length}-band raster; set rgbBands`,
      );
  const panBand = pan.bands[0];
  if (!panBand) throw new RasterIoError('INVALID_ARGUMENT', 'the PAN raster has no band');
  const { width: W, height: H } = pan;
  const w = multispectral.width;
  const h = multispectral.height;
  const rgb = new Float32Array(3 * w * h);
  [ri, gi, bi].forEach((b, k) => {
    rgb.set(dnToReflectance(multispectral.bands[b] as ArrayLike<number>, { scale }), k * w * h);
  });
  const up =
    w === W && h === H ? rgb : resize(rgb, [3, h, w], [H, W], { method: 'bilinear', antialias: true });
  const p = dnToReflectance(panBand, { scale });
  const n = W * H;
  const out = [new Float32Array(n), new Float32Array(n), new Float32Array(n)] as const;
  for (let i = 0; i < n; i++) {
    const r = up[i] as number;
    const g = up[n + i] as number;
    const b = up[2 * n + i] as number;
    const m = r > g ? (r > b ? r : b) : g > b ? g : b;
    const k = (p[i] as number) / (m + eps);
    out[0][i] = (r + eps) * k;
    out[1][i] = (g + eps) * k;
    out[2][i] = (b + eps) * k;
  }
  const result: Raster = { width: W, height: H, dtype: 'float32', bands: [...out] };
  if (pan.geo) result.geo = pan.geo;
  return result;
}

/** A finite number > 0, or `INVALID_ARGUMENT` naming this function's option. */
function positive(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
    invalid(`${fn}: ${name} must be a finite number > 0, got ${describeValue(value)}`);
  return value;
}
