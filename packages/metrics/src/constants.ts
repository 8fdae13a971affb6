/** Maximum shift of the WorldStrat Lanczos search, in pixels (upstream `Shift(shift_by_px=2)`). */
export const LANCZOS_SHIFT_PX = 2;
/** Step between consecutive sub-pixel shifts (upstream `step=0.5`): 9 shifts per axis, 81 in 2-D. */
export const LANCZOS_SHIFT_STEP = 0.5;
/** Taps of each 1-D Lanczos shift kernel (upstream: 11, i.e. `a = 0..10`). */
export const LANCZOS_TAPS = 11;
/** Number of 1-D shifts (−2, −1.5, …, 2). */
export const LANCZOS_SHIFT_COUNT = 9;
/** SSIM Gaussian window size (upstream `window_size=5`). */
export const SSIM_WINDOW = 5;
/** SSIM Gaussian standard deviation (kornia 0.6.3: 1.5). */
export const SSIM_SIGMA = 1.5;
/** SSIM stabiliser C1 = (0.01 · max_val)² with max_val 1. */
export const SSIM_C1 = 1e-4;
/** SSIM stabiliser C2 = (0.03 · max_val)² with max_val 1. */
export const SSIM_C2 = 9e-4;
/** kornia's `eps` added to the SSIM denominator. */
export const SSIM_EPS = 1e-12;

/** Weights of the upstream training loss: `0.3·cMSE + 0.4·cMAE + 0.3·SSIM_loss` (TV weight 0). */
export const WORLDSTRAT_LOSS_WEIGHTS = Object.freeze({ mse: 0.3, mae: 0.4, ssim: 0.3 } as const);

/** The two registration modes: upstream-exact (`'worldstrat'`, with bug B1) and corrected (`'centered'`). */
export const REGISTRATION_MODES = ['worldstrat', 'centered'] as const;
/** A registration mode; see {@link REGISTRATION_MODES}. */
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

/**
 * Offset of the prediction crop per mode. The shifted target `y_s` (valid correlation with an 11-tap kernel)
 * satisfies `y_s[i] ≈ y[i + 5 + s]`. Comparing it with `ŷ[i + offset]` gives an effective displacement of
 * `5 + s − offset` pixels:
 * - `'worldstrat'`: offset 2 (upstream crop `ŷ[2:148]`), displacement `3 + s ∈ [+1, +5]` (bug B1);
 * - `'centered'`: offset 5 (`(taps − 1) / 2`), displacement `s ∈ [−2, +2]`, centred on zero.
 */
export const WORLDSTRAT_CROP_OFFSET = Object.freeze({ worldstrat: 2, centered: 5 } as const);
