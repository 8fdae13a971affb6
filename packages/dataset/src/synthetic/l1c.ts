// Top-of-atmosphere (L1C-like) bands from the synthetic surface reflectance: a stated, simple atmosphere.
import { S2_L1C_BANDS as L1C_BANDS } from '@worldstrat/core';
import { DatasetError } from '../errors.js';
import { checkArrayArgument, checkNumbers } from '../internal/check-arguments.js';

/** Sentinel-2 L1C band names in the upstream file order (13 bands, B10 included); @worldstrat/core owns the list. */
export const S2_L1C_BANDS = L1C_BANDS;

/** Path reflectance added at the top of the atmosphere, per L2A band (B01..B12, no B10): Rayleigh + aerosol. */
export const L1C_PATH_REFLECTANCE = [
  0.09, 0.07, 0.05, 0.035, 0.03, 0.025, 0.02, 0.02, 0.018, 0.01, 0.005, 0.003,
] as const;
/** Two-way transmittance per L2A band (B09 sits in a water-vapour absorption band). */
export const L1C_TRANSMITTANCE = [
  0.85, 0.88, 0.9, 0.92, 0.93, 0.93, 0.94, 0.94, 0.94, 0.6, 0.95, 0.95,
] as const;

/**
 * L1C-like top-of-atmosphere bands from 12 L2A surface bands: ρ_TOA = T_b·ρ_surface + ρ_path,b for the 12
 * bands, plus B10 (cirrus, 1375 nm: the surface is invisible) = 0.003 + 0.3 · CLM.
 *
 * @param l2a - 12 surface-reflectance bands (B01..B12 without B10).
 * @param clm - cloud mask (1 = cloud) of the same size.
 * @returns 13 bands in S2_L1C_BANDS order.
 * @throws {DatasetError} `SHAPE_MISMATCH` when the inputs disagree.
 * @example
 * ```ts
 * const toa = l2aToL1c(revisit.bands, revisit.clm);
 * ```
 */
export function l2aToL1c(l2a: readonly Float32Array[], clm: Uint8Array): Float32Array[] {
  checkArrayArgument('l2aToL1c', 'l2a', l2a);
  for (let b = 0; b < l2a.length; b++) checkNumbers('l2aToL1c', `l2a[${b}]`, l2a[b]);
  checkNumbers('l2aToL1c', 'clm', clm);
  if (l2a.length !== 12 || l2a.some((b) => b.length !== clm.length)) {
    throw new DatasetError(
      'SHAPE_MISMATCH',
      `l2aToL1c: need 12 bands of ${clm.length} pixels (the CLM size), got ${l2a.length}`,
    );
  }
  const toa = l2a.map((band, b) => {
    const out = new Float32Array(band.length);
    const t = L1C_TRANSMITTANCE[b];
    const p = L1C_PATH_REFLECTANCE[b];
    for (let i = 0; i < band.length; i++) out[i] = t * band[i] + p;
    return out;
  });
  const cirrus = Float32Array.from(clm, (c) => 0.003 + 0.3 * c);
  return [...toa.slice(0, 10), cirrus, ...toa.slice(10)];
}
