// The WorldStrat (JIF) Sentinel-2 L2A normalisation: x' = (x − mean[b]) / std[b] per band, as torchvision
// Normalize applies it in training. Constants are float32-rounded like the upstream tensors.
// The decimals are defined once in @worldstrat/core.
import { JIF_S2_MEAN_F32, JIF_S2_STD_F32, S2_L2A_BANDS } from '@worldstrat/core';

/** Sentinel-2 L2A band names in the order of the 12-band WorldStrat LR stack (B10 is absent from L2A). */
export const JIF_S2_BANDS = S2_L2A_BANDS;

/** Per-band "mean" (in fact the median) of the WorldStrat LR reflectances, float32-rounded, band order B01…B12. */
export const JIF_S2_MEAN: readonly number[] = JIF_S2_MEAN_F32;

/** Per-band "std" (RMS deviation about the median), float32-rounded, band order B01…B12. */
export const JIF_S2_STD: readonly number[] = JIF_S2_STD_F32;

/** Per-band affine normalisation `(x − mean) / std`. */
export interface BandNormalisation {
  mean: ArrayLike<number>;
  std: ArrayLike<number>;
}

/** The WorldStrat training normalisation for the 12 L2A bands. */
export const JIF_S2_NORMALISATION: BandNormalisation = Object.freeze({ mean: JIF_S2_MEAN, std: JIF_S2_STD });
