// The WorldStrat (JIF) Sentinel-2 L2A normalisation: x' = (x − mean[b]) / std[b] per band, as torchvision
// Normalize applies it in training. Constants are float32-rounded like the upstream tensors.

/** Sentinel-2 L2A band names in the order of the 12-band WorldStrat LR stack (B10 is absent from L2A). */
export const JIF_S2_BANDS = [
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

/** Per-band "mean" (in fact the median) of the WorldStrat LR reflectances, float32-rounded, band order B01…B12. */
export const JIF_S2_MEAN: readonly number[] = Object.freeze(
  [0.0008, 0.0117, 0.0211, 0.0198, 0.0671, 0.1274, 0.1449, 0.1841, 0.1738, 0.1803, 0.0566, -0.0559].map(
    Math.fround,
  ),
);

/** Per-band "std" (RMS deviation about the median), float32-rounded, band order B01…B12. */
export const JIF_S2_STD: readonly number[] = Object.freeze(
  [0.0892, 0.0976, 0.1001, 0.1169, 0.1154, 0.1066, 0.1097, 0.1151, 0.1122, 0.1176, 0.1298, 0.1176].map(
    Math.fround,
  ),
);

/** Per-band affine normalisation `(x − mean) / std`. */
export interface BandNormalisation {
  mean: ArrayLike<number>;
  std: ArrayLike<number>;
}

/** The WorldStrat training normalisation for the 12 L2A bands. */
export const JIF_S2_NORMALISATION: BandNormalisation = Object.freeze({ mean: JIF_S2_MEAN, std: JIF_S2_STD });
