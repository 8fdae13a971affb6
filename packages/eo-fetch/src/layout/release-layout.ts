// The WorldStrat release layout: where each file of an AOI lives, relative to the dataset root.
import { describeValue } from '@worldstrat/core';
import { EoFetchError } from '../errors.js';
import type { S2Level } from '../stac/providers.js';

/** Layers written next to a revisit's data TIFF (SentinelHub path: CLM, CLP, dataMask; STAC path: SCL, CLM, dataMask). */
export type RevisitLayer =
  | 'CLM'
  | 'CLP'
  | 'dataMask'
  | 'SCL'
  | 'sunAzimuthAngles'
  | 'sunZenithAngles'
  | 'viewAzimuthMean'
  | 'viewZenithMean';

/** Longest AOI name in UTF-8 bytes: file names add about 30 bytes to it and file systems stop at 255. */
const MAX_AOI_NAME_BYTES = 200;

function checkName(aoi: string): string {
  if (
    typeof aoi !== 'string' ||
    !aoi ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    /[/\\\u0000-\u001f\u007f]|^\.\.?$/.test(aoi) ||
    new TextEncoder().encode(aoi).length > MAX_AOI_NAME_BYTES
  )
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `AOI name ${describeValue(aoi, 80)} cannot be used as a folder name (1 to ${MAX_AOI_NAME_BYTES} bytes, no path separators or control characters, not "." or "..")`,
    );
  return aoi;
}
function checkN(n: number): number {
  if (!Number.isInteger(n) || n < 1)
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `revisit number must be an integer ≥ 1, got ${describeValue(n)}`,
    );
  return n;
}
/** `L1C` or `L2A`: the level becomes a folder and file name. */
function checkLevel(level: S2Level): S2Level {
  if (level !== 'L1C' && level !== 'L2A')
    throw new EoFetchError('INVALID_ARGUMENT', `level must be "L1C" or "L2A", got ${describeValue(level)}`);
  return level;
}

/**
 * Paths of one low-resolution revisit, relative to the dataset root (`/`-separated).
 *
 * @param aoi - AOI name
 * @param n - revisit number 1..N (rank order)
 * @param level - `L2A` or `L1C`
 * @returns `{ dir, data, metadata, layer(name) }`
 * @example
 * ```ts
 * lrRevisitPaths('Landcover-1', 3, 'L2A').data; // 'lr_dataset/Landcover-1/L2A/Landcover-1-3-L2A_data.tiff'
 * ```
 */
export function lrRevisitPaths(aoi: string, n: number, level: S2Level) {
  checkName(aoi);
  checkN(n);
  checkLevel(level);
  const dir = `lr_dataset/${aoi}/${level}`;
  return {
    dir,
    data: `${dir}/${aoi}-${n}-${level}_data.tiff`,
    metadata: `${dir}/${aoi}-${n}.metadata`,
    layer: (name: RevisitLayer) => `${dir}/${aoi}-${n}-${name}.tiff`,
  };
}

/**
 * Paths of an AOI's high-resolution SPOT files, relative to the dataset root.
 *
 * @param aoi - AOI name
 * @returns `{ dir, rgbn, pan, ps }`
 * @example
 * ```ts
 * hrPaths('UNHCR-SYRs008580').pan; // 'hr_dataset/UNHCR-SYRs008580/UNHCR-SYRs008580_pan.tiff'
 * ```
 */
export function hrPaths(aoi: string) {
  checkName(aoi);
  const dir = `hr_dataset/${aoi}`;
  return { dir, rgbn: `${dir}/${aoi}_rgbn.tiff`, pan: `${dir}/${aoi}_pan.tiff`, ps: `${dir}/${aoi}_ps.tiff` };
}

/** Sidecar JSON of a revisit (`<AOI>-<n>.metadata`), upstream fields first. */
export interface RevisitMetadata {
  /** Scene cloud cover in percent; null when the catalogue did not give one. */
  cloud_cover: number | null;
  target_date: string;
  /** Signed days as a string (upstream writes `str(int)`). */
  delta: string;
  /** AOI area in km². */
  area: number;
  datetime: string;
  [extra: string]: unknown;
}
