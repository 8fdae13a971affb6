// Public API of @worldstrat/dataset (browser-safe part): the release layout, chips, transforms, augmentations and
// the synthetic scene model. File-system pieces (reader, scanner, generator, release download) are in `./node`.

export { bankersRound } from '@worldstrat/core';
export type { OpenZipOptions, ZipArchive, ZipEntry, ZipLimits } from './archive/zip/open-zip.js';
export { DEFAULT_ZIP_LIMITS, openZip } from './archive/zip/open-zip.js';
export type { RemoteZip, RemoteZipOptions } from './archive/zip/remote-zip.js';
export { DEFAULT_REMOTE_ZIP, openRemoteZip } from './archive/zip/remote-zip.js';
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
export type { DatasetErrorCode } from './errors.js';
export { DATASET_ERROR_CODES, DatasetError, throwIfAborted } from './errors.js';
export type { HrProduct, LrLevel, MetadataRow, SplitRow } from './layout.js';
export {
  HR_DIR,
  hrImageRelPath,
  jointClass,
  LR_CLOUD_MASK_SUFFIX,
  LR_DIR,
  lrDataSuffix,
  METADATA_COLUMNS,
  METADATA_CSV_NAME,
  metadataCsv,
  SPLIT_COLUMNS,
  SPLIT_CSV_NAME,
} from './layout.js';
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
