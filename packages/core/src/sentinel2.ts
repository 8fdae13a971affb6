// Sentinel-2 band constants, defined once: eo-fetch downloads in these orders, srnet and metrics normalise
// with the JIF constants, the dataset reader and synthetic generator write the same stacks.

/** WorldStrat L2A band order (12 bands, no B10), as in the release's `*-L2A_data.tiff`. */
export const S2_L2A_BANDS = [
  'B01',
  'B02',
  'B03',
  'B04',
  'B05',
  'B06',
  'B07',
  'B08',
  'B8A',
  'B09',
  'B11',
  'B12',
] as const;

/** WorldStrat L1C band order (13 bands), as in the release's `*-L1C_data.tiff`. */
export const S2_L1C_BANDS = [
  'B01',
  'B02',
  'B03',
  'B04',
  'B05',
  'B06',
  'B07',
  'B08',
  'B8A',
  'B09',
  'B10',
  'B11',
  'B12',
] as const;

/** Canonical Sentinel-2 band names (ESA's), plus the L2A scene classification layer. */
export const S2_CANONICAL_BANDS = [...S2_L1C_BANDS, 'SCL'] as const;

/** One canonical band name. */
export type S2Band = (typeof S2_CANONICAL_BANDS)[number];

/** Native ground sampling distance of each band in metres. */
export const S2_BAND_RESOLUTION_M: Readonly<Record<S2Band, number>> = Object.freeze({
  B01: 60,
  B02: 10,
  B03: 10,
  B04: 10,
  B05: 20,
  B06: 20,
  B07: 20,
  B08: 10,
  B8A: 20,
  B09: 60,
  B10: 60,
  B11: 20,
  B12: 20,
  SCL: 20,
});

/**
 * WorldStrat's (JIF) per-band normalisation "mean" (in fact the median of the LR reflectances) in
 * {@link S2_L2A_BANDS} order, as float64 decimals; the training tensors hold their float32 roundings.
 */
export const JIF_S2_MEAN: readonly number[] = Object.freeze([
  0.0008, 0.0117, 0.0211, 0.0198, 0.0671, 0.1274, 0.1449, 0.1841, 0.1738, 0.1803, 0.0566, -0.0559,
]);

/** WorldStrat's (JIF) per-band normalisation "std" (RMS deviation about the median), {@link S2_L2A_BANDS} order. */
export const JIF_S2_STD: readonly number[] = Object.freeze([
  0.0892, 0.0976, 0.1001, 0.1169, 0.1154, 0.1066, 0.1097, 0.1151, 0.1122, 0.1176, 0.1298, 0.1176,
]);

/** {@link JIF_S2_MEAN} rounded to float32, the values the upstream normalisation tensors hold. */
export const JIF_S2_MEAN_F32: readonly number[] = Object.freeze(JIF_S2_MEAN.map(Math.fround));

/** {@link JIF_S2_STD} rounded to float32, the values the upstream normalisation tensors hold. */
export const JIF_S2_STD_F32: readonly number[] = Object.freeze(JIF_S2_STD.map(Math.fround));
