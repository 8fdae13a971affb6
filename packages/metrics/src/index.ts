// Public API of @worldstrat/metrics: named re-exports only (browser-safe, no Node APIs).

export type { BatchMetricsOptions, PlainSampleMetrics } from './batch-metrics.js';
export { batchMetrics } from './batch-metrics.js';
export { biasAdjust } from './bias-adjust.js';
export type {
  BaselineSampleMetrics,
  BicubicBaselineOptions,
  ScoreBicubicBaselineOptions,
} from './bicubic-baseline.js';
export { bicubicBaseline, scoreBicubicBaseline } from './bicubic-baseline.js';
export type { RegistrationMode } from './constants.js';
export {
  LANCZOS_SHIFT_COUNT,
  LANCZOS_SHIFT_PX,
  LANCZOS_SHIFT_STEP,
  LANCZOS_TAPS,
  REGISTRATION_MODES,
  SSIM_C1,
  SSIM_C2,
  SSIM_EPS,
  SSIM_SIGMA,
  SSIM_WINDOW,
  WORLDSTRAT_CROP_OFFSET,
  WORLDSTRAT_LOSS_WEIGHTS,
} from './constants.js';
export type { MetricsErrorCode } from './errors.js';
export { METRICS_ERROR_CODES, MetricsError } from './errors.js';
export type { LanczosKernelOptions, LanczosVariant } from './lanczos-kernels.js';
export {
  lanczosKernel1d,
  lanczosKernels1d,
  lanczosKernels2d,
  lanczosShifts,
  shiftOfIndex,
} from './lanczos-kernels.js';
export type { OpensrAggregation, OpensrDistance } from './opensr-distance.js';
export { OPENSR_DISTANCES } from './opensr-distance.js';
export type {
  OpensrAlignOptions,
  OpensrAlignResult,
  OpensrHarmonizeOptions,
  OpensrHarmonizeResult,
} from './opensr-harmonize.js';
export { histogramMatch, opensrAlign, opensrHarmonize } from './opensr-harmonize.js';
export type {
  OpensrConsistencyOptions,
  OpensrConsistencyResult,
  OpensrCorrectnessOptions,
  OpensrCorrectnessResult,
} from './opensr-test.js';
export { OPENSR_DEFAULTS, opensrConsistency, opensrCorrectness } from './opensr-test.js';
export type { PhaseCorrelationOptions, PhaseCorrelationResult } from './phase-correlation.js';
export { phaseCrossCorrelation } from './phase-correlation.js';
export type { PsnrOptions } from './plain-metrics.js';
export { mae, mse, psnr, psnrFromMse } from './plain-metrics.js';
export type { ProbavCpsnrBatchOptions, ProbavCpsnrOptions, ProbavCpsnrResult } from './probav-cpsnr.js';
export { PROBAV_BORDER, PROBAV_SCALE, probavCpsnr, probavCpsnrBatch, probavScore } from './probav-cpsnr.js';
export type {
  MetricsProgress,
  RegisteredMetricsMean,
  RegisteredMetricsOptions,
  RegisteredSampleMetrics,
} from './registered-metrics.js';
export { meanRegisteredMetrics, registeredMetrics } from './registered-metrics.js';
export type { SatlasCpsnrOptions, SatlasCpsnrResult } from './satlas-cpsnr.js';
export { SATLAS_MAX_OFFSET, satlasCpsnr } from './satlas-cpsnr.js';
export type { SsimOptions } from './ssim.js';
export { ssim, ssimGaussian1d, ssimLoss } from './ssim.js';
