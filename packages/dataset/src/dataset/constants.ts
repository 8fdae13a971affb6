// Fixed constants of the WorldStrat training pipeline.

// The LR normalisation constants are @worldstrat/core's (float32 like the upstream tensors).
export { JIF_S2_MEAN_F32 as JIF_S2_MEAN, JIF_S2_STD_F32 as JIF_S2_STD } from '@worldstrat/core';
/** HR DN divisor for 12-bit radiometry (upstream SPOT_MAX_EXPECTED_VALUE_12_BIT; not 4095). */
export const SPOT_MAX_12_BIT = 10000;
/** HR DN divisor for 8-bit radiometry. */
export const SPOT_MAX_8_BIT = 255;
/** Geometry of the benchmark pipeline: LR resized to 160², HR to 500², 50² LR chips, stride 50. */
export const JIF_GEOMETRY = Object.freeze({ lrInput: 160, hrOutput: 500, chip: 50, stride: 50 });
/** HR bands read from `_ps.tiff` (0-based): R, G, B. */
export const SPOT_RGB_BANDS = Object.freeze([0, 1, 2]);
