// Surface-reflectance library for the synthetic scenes: one 12-band Sentinel-2 L2A spectrum per cover class.
// Values are typical field-spectrometer reflectances (0..1) resampled to the S2 bands; the HR "SPOT" bands are
// taken from the same spectra (R = B04, G = B03, B = B02, NIR = B08), so LR and HR agree physically.

import { S2_L2A_BANDS as L2A_BANDS, S2_BAND_RESOLUTION_M } from '@worldstrat/core';

/** Sentinel-2 L2A band names in the upstream file order (B10 is absent from L2A); srnet owns the list. */
export const S2_L2A_BANDS = L2A_BANDS;

/** Native ground resolution (m) of each L2A band, in {@link S2_L2A_BANDS} order. */
export const S2_L2A_NATIVE_RESOLUTION_M: readonly number[] = S2_L2A_BANDS.map((b) => S2_BAND_RESOLUTION_M[b]);

/** Indices into {@link S2_L2A_BANDS} of the HR bands R, G, B, NIR (B04, B03, B02, B08). */
export const HR_FROM_S2_BANDS = [3, 2, 1, 7] as const;

/** Cover classes painted into synthetic scenes (the index is the class id). */
export const COVER_CLASSES = [
  'bare-soil',
  'green-crop',
  'dry-crop',
  'grass',
  'forest',
  'water',
  'sand',
  'road',
  'roof-tile',
  'roof-metal',
  'roof-white',
  'shrub',
] as const;
/** A cover class name. */
export type CoverClass = (typeof COVER_CLASSES)[number];

/** Class id by name. */
export const COVER: { readonly [K in CoverClass]: number } = Object.fromEntries(
  COVER_CLASSES.map((c, i) => [c, i]),
) as { [K in CoverClass]: number };

/** 12-band L2A reflectance per cover class, rows in {@link COVER_CLASSES} order, columns in band order. */
export const COVER_SPECTRA: readonly (readonly number[])[] = [
  /* bare-soil  */ [0.09, 0.1, 0.14, 0.19, 0.22, 0.24, 0.26, 0.27, 0.28, 0.28, 0.34, 0.28],
  /* green-crop */ [0.04, 0.04, 0.07, 0.04, 0.1, 0.28, 0.36, 0.4, 0.41, 0.38, 0.22, 0.11],
  /* dry-crop   */ [0.07, 0.08, 0.11, 0.14, 0.17, 0.21, 0.24, 0.26, 0.27, 0.26, 0.3, 0.22],
  /* grass      */ [0.05, 0.05, 0.08, 0.07, 0.12, 0.22, 0.27, 0.3, 0.31, 0.29, 0.24, 0.14],
  /* forest     */ [0.03, 0.03, 0.05, 0.03, 0.07, 0.2, 0.25, 0.28, 0.29, 0.27, 0.14, 0.06],
  /* water      */ [0.06, 0.05, 0.045, 0.03, 0.025, 0.02, 0.018, 0.015, 0.014, 0.01, 0.008, 0.005],
  /* sand       */ [0.15, 0.17, 0.22, 0.27, 0.3, 0.32, 0.33, 0.34, 0.35, 0.35, 0.4, 0.35],
  /* road       */ [0.09, 0.09, 0.1, 0.11, 0.12, 0.13, 0.13, 0.14, 0.14, 0.14, 0.15, 0.14],
  /* roof-tile  */ [0.08, 0.08, 0.1, 0.22, 0.26, 0.28, 0.3, 0.31, 0.32, 0.32, 0.38, 0.33],
  /* roof-metal */ [0.2, 0.22, 0.24, 0.25, 0.26, 0.27, 0.27, 0.28, 0.28, 0.28, 0.27, 0.24],
  /* roof-white */ [0.33, 0.36, 0.38, 0.39, 0.39, 0.4, 0.4, 0.4, 0.4, 0.39, 0.36, 0.32],
  /* shrub      */ [0.05, 0.05, 0.07, 0.08, 0.12, 0.18, 0.21, 0.23, 0.24, 0.23, 0.26, 0.17],
];

/** Top-of-cloud reflectance used for synthetic clouds (bright and flat, lower in the SWIR). */
export const CLOUD_SPECTRUM = [
  0.46, 0.44, 0.43, 0.42, 0.43, 0.44, 0.44, 0.45, 0.45, 0.38, 0.32, 0.24,
] as const;
