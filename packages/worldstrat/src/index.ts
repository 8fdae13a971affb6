// Public API of worldstrat (browser-safe part): named re-exports only. Node-only APIs are in `worldstrat/node`.
export { WorldStratError, throwIfAborted } from './errors.js';
export type { WorldStratErrorCode } from './errors.js';
export { SCENE_KINDS, DEFAULT_SYNTHESIZE_SCENE, synthesizeScene, sceneBand, sceneRgbn } from './synthetic/scene.js';
export type { SceneKind, SyntheticScene, SynthesizeSceneOptions } from './synthetic/scene.js';
export { DEFAULT_REVISIT_DRAW, drawRevisitParams, degradeScene } from './synthetic/degrade.js';
export type { DegradeOptions, DegradedRevisit, DrawRevisitOptions, RevisitParams } from './synthetic/degrade.js';
export {
  CLOUD_SPECTRUM,
  COVER,
  COVER_CLASSES,
  COVER_SPECTRA,
  HR_FROM_S2_BANDS,
  S2_L2A_BANDS,
  S2_L2A_NATIVE_RESOLUTION_M,
} from './synthetic/spectra.js';
export type { CoverClass } from './synthetic/spectra.js';
export { SYNTHETIC_CLASS_LABELS } from './synthetic/classes.js';
export type { SynthRng } from './synthetic/rng.js';
export { fbm } from './synthetic/noise.js';
export type { FbmOptions } from './synthetic/noise.js';
export { bankersRound } from './dataset/bankers-round.js';
export {
  JIF_GEOMETRY,
  JIF_S2_MEAN,
  JIF_S2_STD,
  SPOT_MAX_12_BIT,
  SPOT_MAX_8_BIT,
  SPOT_RGB_BANDS,
} from './dataset/constants.js';
export { normalizeLr, transformHr, transformLr, transformLrc } from './dataset/transforms.js';
export type { StackShape } from './dataset/transforms.js';
export { chipWindows, cropPlanes } from './dataset/chips.js';
export type { ChipWindow, ChipWindowsOptions } from './dataset/chips.js';
export { rotateFlip } from './dataset/augment.js';
export type { RotateFlip } from './dataset/augment.js';
export { CLASS_COLORS, PLOT_FONT, colorForClass, escapeXml, svgDocument } from './plots/svg.js';
export { worldMapSvg } from './plots/world-map.js';
export type { MapPoint, WorldMapOptions } from './plots/world-map.js';
export { classDistributionSvg } from './plots/bar-chart.js';
export type { BarChartOptions, CountSeries } from './plots/bar-chart.js';
export { trainingCurvesSvg } from './plots/line-chart.js';
export type { CurveSeries, LineChartOptions } from './plots/line-chart.js';
export { displayRange, resizeNearestRgb8, toRgb8 } from './plots/image.js';
export type { Rgb8Image, ToRgb8Options } from './plots/image.js';
export { comparisonPanelSvg, toBase64 } from './plots/comparison-panel.js';
export type { ComparisonPanelOptions, PanelImage } from './plots/comparison-panel.js';
export { revisitsGif } from './plots/revisits-gif.js';
export type { RevisitsGifOptions } from './plots/revisits-gif.js';
export { htmlReport } from './plots/html-report.js';
export type { ReportSection } from './plots/html-report.js';
