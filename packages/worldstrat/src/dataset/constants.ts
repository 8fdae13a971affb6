// Fixed constants of the WorldStrat training pipeline (spec-superres §1.4–§1.5).

/** JIF_S2_MEAN (median of the LR reflectance per band, B01..B12), float32-rounded like the torch tensor. */
export const JIF_S2_MEAN: readonly number[] = Object.freeze(
  [0.0008, 0.0117, 0.0211, 0.0198, 0.0671, 0.1274, 0.1449, 0.1841, 0.1738, 0.1803, 0.0566, -0.0559].map(
    Math.fround,
  ),
);
/** JIF_S2_STD (RMS deviation about the median per band, B01..B12), float32-rounded. */
export const JIF_S2_STD: readonly number[] = Object.freeze(
  [0.0892, 0.0976, 0.1001, 0.1169, 0.1154, 0.1066, 0.1097, 0.1151, 0.1122, 0.1176, 0.1298, 0.1176].map(
    Math.fround,
  ),
);
/** HR DN divisor for 12-bit radiometry (upstream SPOT_MAX_EXPECTED_VALUE_12_BIT; not 4095). */
export const SPOT_MAX_12_BIT = 10000;
/** HR DN divisor for 8-bit radiometry. */
export const SPOT_MAX_8_BIT = 255;
/** Geometry of the benchmark pipeline: LR resized to 160², HR to 500², 50² LR chips, stride 50. */
export const JIF_GEOMETRY = Object.freeze({ lrInput: 160, hrOutput: 500, chip: 50, stride: 50 });
/** HR bands read from `_ps.tiff` (0-based): R, G, B. */
export const SPOT_RGB_BANDS = Object.freeze([0, 1, 2]);
