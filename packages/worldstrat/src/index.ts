// Public API of worldstrat (browser-safe part): named re-exports only. Node-only APIs are in `worldstrat/node`.

export type {
  ChipWindow,
  ChipWindowsOptions,
  CoverClass,
  DegradedRevisit,
  DegradeOptions,
  DrawRevisitOptions,
  FbmOptions,
  RevisitParams,
  RotateFlip,
  SceneKind,
  StackShape,
  SynthesizeSceneOptions,
  SyntheticScene,
  SynthRng,
} from '@worldstrat/dataset';
export {
  bankersRound,
  CLOUD_SPECTRUM,
  COVER,
  COVER_CLASSES,
  COVER_SPECTRA,
  chipWindows,
  cropPlanes,
  DEFAULT_REVISIT_DRAW,
  DEFAULT_SYNTHESIZE_SCENE,
  degradeScene,
  drawRevisitParams,
  fbm,
  HR_FROM_S2_BANDS,
  JIF_GEOMETRY,
  JIF_S2_MEAN,
  JIF_S2_STD,
  L1C_PATH_REFLECTANCE,
  L1C_TRANSMITTANCE,
  l2aToL1c,
  normalizeLr,
  rotateFlip,
  S2_L1C_BANDS,
  S2_L2A_BANDS,
  S2_L2A_NATIVE_RESOLUTION_M,
  SCENE_KINDS,
  SPOT_MAX_8_BIT,
  SPOT_MAX_12_BIT,
  SPOT_RGB_BANDS,
  SYNTHETIC_CLASS_LABELS,
  sceneBand,
  sceneRgbn,
  synthesizeScene,
  transformHr,
  transformLr,
  transformLrc,
} from '@worldstrat/dataset';
export type { WorldStratErrorCode } from './errors.js';
export { throwIfAborted, WORLDSTRAT_ERROR_CODES, WorldStratError } from './errors.js';
export type { BarChartOptions, CountSeries } from './plots/bar-chart.js';
export { classDistributionSvg } from './plots/bar-chart.js';
export type { ComparisonPanelOptions, PanelImage } from './plots/comparison-panel.js';
export { comparisonPanelSvg, toBase64 } from './plots/comparison-panel.js';
export type { ReportSection } from './plots/html-report.js';
export { htmlReport } from './plots/html-report.js';
export type { Rgb8Image, ToRgb8Options } from './plots/image.js';
export { displayRange, resizeNearestRgb8 } from './plots/image.js';
export type { CurveSeries, LineChartOptions } from './plots/line-chart.js';
export { trainingCurvesSvg } from './plots/line-chart.js';
export type { RevisitsGifOptions } from './plots/revisits-gif.js';
export { revisitsGif } from './plots/revisits-gif.js';
export { CLASS_COLORS, colorForClass, escapeXml, PLOT_FONT, svgDocument } from './plots/svg.js';
export type { MapPoint, WorldMapOptions } from './plots/world-map.js';
export { worldMapSvg } from './plots/world-map.js';
