// Public API of worldstrat (browser-safe part): named re-exports only. Node-only APIs are in `worldstrat/node`.

export { bankersRound } from '@worldstrat/core';
export type { RotateFlip } from './dataset/augment.js';
export { rotateFlip } from './dataset/augment.js';
export type { ChipWindow, ChipWindowsOptions } from './dataset/chips.js';
export { chipWindows, cropPlanes } from './dataset/chips.js';
export {
  JIF_GEOMETRY,
  JIF_S2_MEAN,
  JIF_S2_STD,
  SPOT_MAX_8_BIT,
  SPOT_MAX_12_BIT,
  SPOT_RGB_BANDS,
} from './dataset/constants.js';
export type { StackShape } from './dataset/transforms.js';
export { normalizeLr, transformHr, transformLr, transformLrc } from './dataset/transforms.js';
export type { WorldStratErrorCode } from './errors.js';
export { throwIfAborted, WORLDSTRAT_ERROR_CODES, WorldStratError } from './errors.js';
export type { BarChartOptions, CountSeries } from './plots/bar-chart.js';
export { classDistributionSvg } from './plots/bar-chart.js';
export type { ComparisonPanelOptions, PanelImage } from './plots/comparison-panel.js';
export { comparisonPanelSvg, toBase64 } from './plots/comparison-panel.js';
export type { ReportSection } from './plots/html-report.js';
export { htmlReport } from './plots/html-report.js';
export type { Rgb8Image, ToRgb8Options } from './plots/image.js';
export { displayRange, resizeNearestRgb8, toRgb8 } from './plots/image.js';
export type { CurveSeries, LineChartOptions } from './plots/line-chart.js';
export { trainingCurvesSvg } from './plots/line-chart.js';
export type { RevisitsGifOptions } from './plots/revisits-gif.js';
export { revisitsGif } from './plots/revisits-gif.js';
export { CLASS_COLORS, colorForClass, escapeXml, PLOT_FONT, svgDocument } from './plots/svg.js';
export type { MapPoint, WorldMapOptions } from './plots/world-map.js';
export { worldMapSvg } from './plots/world-map.js';
export { SYNTHETIC_CLASS_LABELS } from './synthetic/classes.js';
export type {
  DegradedRevisit,
  DegradeOptions,
  DrawRevisitOptions,
  RevisitParams,
} from './synthetic/degrade.js';
export { DEFAULT_REVISIT_DRAW, degradeScene, drawRevisitParams } from './synthetic/degrade.js';
export { L1C_PATH_REFLECTANCE, L1C_TRANSMITTANCE, l2aToL1c, S2_L1C_BANDS } from './synthetic/l1c.js';
export type { FbmOptions } from './synthetic/noise.js';
export { fbm } from './synthetic/noise.js';
export type { SynthRng } from './synthetic/rng.js';
export type { SceneKind, SynthesizeSceneOptions, SyntheticScene } from './synthetic/scene.js';
export {
  DEFAULT_SYNTHESIZE_SCENE,
  SCENE_KINDS,
  sceneBand,
  sceneRgbn,
  synthesizeScene,
} from './synthetic/scene.js';
export type { CoverClass } from './synthetic/spectra.js';
export {
  CLOUD_SPECTRUM,
  COVER,
  COVER_CLASSES,
  COVER_SPECTRA,
  HR_FROM_S2_BANDS,
  S2_L2A_BANDS,
  S2_L2A_NATIVE_RESOLUTION_M,
} from './synthetic/spectra.js';
