// Public API of worldstrat (browser-safe part): named re-exports only. Node-only APIs are in `worldstrat/node`.

export type { RotateFlip } from '@worldstrat/dataset';
export { rotateFlip } from '@worldstrat/dataset';
export { bankersRound } from '@worldstrat/dataset';
export type { ChipWindow, ChipWindowsOptions } from '@worldstrat/dataset';
export { chipWindows, cropPlanes } from '@worldstrat/dataset';
export {
  JIF_GEOMETRY,
  JIF_S2_MEAN,
  JIF_S2_STD,
  SPOT_MAX_8_BIT,
  SPOT_MAX_12_BIT,
  SPOT_RGB_BANDS,
} from '@worldstrat/dataset';
export type { StackShape } from '@worldstrat/dataset';
export { normalizeLr, transformHr, transformLr, transformLrc } from '@worldstrat/dataset';
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
export { SYNTHETIC_CLASS_LABELS } from '@worldstrat/dataset';
export type {
  DegradedRevisit,
  DegradeOptions,
  DrawRevisitOptions,
  RevisitParams,
} from '@worldstrat/dataset';
export { DEFAULT_REVISIT_DRAW, degradeScene, drawRevisitParams } from '@worldstrat/dataset';
export { L1C_PATH_REFLECTANCE, L1C_TRANSMITTANCE, l2aToL1c, S2_L1C_BANDS } from '@worldstrat/dataset';
export type { FbmOptions } from '@worldstrat/dataset';
export { fbm } from '@worldstrat/dataset';
export type { SynthRng } from '@worldstrat/dataset';
export type { SceneKind, SynthesizeSceneOptions, SyntheticScene } from '@worldstrat/dataset';
export {
  DEFAULT_SYNTHESIZE_SCENE,
  SCENE_KINDS,
  sceneBand,
  sceneRgbn,
  synthesizeScene,
} from '@worldstrat/dataset';
export type { CoverClass } from '@worldstrat/dataset';
export {
  CLOUD_SPECTRUM,
  COVER,
  COVER_CLASSES,
  COVER_SPECTRA,
  HR_FROM_S2_BANDS,
  S2_L2A_BANDS,
  S2_L2A_NATIVE_RESOLUTION_M,
} from '@worldstrat/dataset';
