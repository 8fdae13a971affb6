// The WorldStrat release layout, in one place: folder names, file suffixes, the `metadata.csv` columns and the
// split-CSV schema with its joint-class formula. Per-file paths come from eo-fetch (its downloads write them and
// it cannot depend on this package); everything else that reads or writes the layout goes through here.

import { toCsv } from '@worldstrat/core';
import { hrPaths, lrRevisitPaths, type RevisitLayer } from '@worldstrat/eo-fetch';
import { DatasetError } from './errors.js';
import { argumentError, checkArrayArgument, checkObject } from './internal/check-arguments.js';

/** Top-level HR folder of the release (`hr_dataset/<AOI>/<AOI>_{ps,rgbn,pan}.tiff`). */
export const HR_DIR = 'hr_dataset';
/** Top-level LR folder of the release (`lr_dataset/<AOI>/<level>/…`). */
export const LR_DIR = 'lr_dataset';
/** The per-revisit table at the dataset root. */
export const METADATA_CSV_NAME = 'metadata.csv';
/** Name of the split CSV in the release layout. */
export const SPLIT_CSV_NAME = 'stratified_train_val_test_split.csv';

/** Sentinel-2 processing levels of the LR revisits. */
export type LrLevel = 'L2A' | 'L1C';
/** HR products of an AOI: pansharpened (the training target), multispectral RGBN, panchromatic. */
export type HrProduct = 'ps' | 'rgbn' | 'pan';

/** File-name suffix of a revisit's data TIFF (`<AOI>-<n>-L2A_data.tiff`), used to list revisits. */
export const lrDataSuffix = (level: LrLevel): string => `-${level}_data.tiff`;
/** File-name suffix of a revisit's cloud mask (`<AOI>-<n>-CLM.tiff`). */
export const LR_CLOUD_MASK_SUFFIX = '-CLM.tiff';

/**
 * Path of an HR product relative to the dataset root.
 *
 * @param aoi - AOI name.
 * @param product - `ps` (default), `rgbn` or `pan`.
 * @returns e.g. `hr_dataset/A/A_ps.tiff`.
 * @throws {DatasetError} `INVALID_ARGUMENT` for a name that is not a single folder name or an unknown product.
 * @example
 * ```ts
 * hrImageRelPath('Landcover-1'); // 'hr_dataset/Landcover-1/Landcover-1_ps.tiff'
 * ```
 */
export function hrImageRelPath(aoi: string, product: HrProduct = 'ps'): string {
  // an unknown product used to give `undefined` as the path
  if (product !== 'ps' && product !== 'rgbn' && product !== 'pan')
    throw argumentError('hrImageRelPath', 'product', "'ps', 'rgbn' or 'pan'", product);
  return checked(() => hrPaths(aoi)[product]);
}

/** eo-fetch's path helpers reject unusable names and numbers; rethrow as this package's error. */
function checked<T>(paths: () => T): T {
  try {
    return paths();
  } catch (e) {
    throw new DatasetError('INVALID_ARGUMENT', (e as Error).message, { cause: e });
  }
}

/**
 * Paths of one LR revisit relative to the dataset root: `{ dir, data, metadata, layer(name) }`.
 *
 * @param aoi - AOI name.
 * @param level - `L2A` or `L1C`.
 * @param n - revisit number 1..N.
 * @returns the revisit's folder, data TIFF, `.metadata` JSON and layer paths.
 * @throws {DatasetError} `INVALID_ARGUMENT` for a bad AOI name or a revisit number < 1.
 * @example
 * ```ts
 * lrRevisitRelPaths('A', 'L2A', 3).data; // 'lr_dataset/A/L2A/A-3-L2A_data.tiff'
 * ```
 */
export function lrRevisitRelPaths(
  aoi: string,
  level: LrLevel,
  n: number,
): { dir: string; data: string; metadata: string; layer: (name: RevisitLayer) => string } {
  return checked(() => lrRevisitPaths(aoi, n, level));
}

/** Columns of the release's `metadata.csv` (one row per AOI and revisit), written by `rebuild` and `synth`. */
export const METADATA_COLUMNS = Object.freeze([
  'tile',
  'n',
  'lowres_date',
  'highres_date',
  'bounds',
  'area',
  'cloud_cover',
  'delta',
  'lon',
  'lat',
  'LCCS',
  'SMOD',
  'IPCC Class',
  'LCCS class',
  'SMOD Class',
  'source',
] as const);

/** One `metadata.csv` row, keyed by {@link METADATA_COLUMNS}. */
export type MetadataRow = {
  readonly [K in (typeof METADATA_COLUMNS)[number]]: string | number | null | undefined;
};

/** Columns of the split CSV (the first, unnamed one is upstream's pandas index: row × revisits). */
export const SPLIT_COLUMNS = Object.freeze([
  '',
  'tile',
  'IPCC Class',
  'SMOD',
  'source',
  'joint_class',
  'split',
] as const);

/** One AOI of the split CSV. */
export interface SplitRow {
  tile: string;
  /** IPCC class (name or id); written as-is, so a missing one reads `null` in the joint class like before. */
  ipcc: string | number | null;
  /** SMOD class id; missing ids are written as `None` in the joint class (upstream's pandas output). */
  smod: string | number | null | undefined;
  source: string;
  split: 'train' | 'val' | 'test' | '';
}

/**
 * The joint class that stratifies the split: `<source>/<IPCC>/<SMOD>` (a missing SMOD is `None`). A missing IPCC
 * class (null, empty, or upstream's `None` label for LCCS 0 and 220) is `nan`, as the released split CSV writes it:
 * upstream built the key after pandas had re-read that label as NaN.
 *
 * @param source - AOI source (e.g. `Landcover`, `UNHCR`).
 * @param ipcc - IPCC class.
 * @param smod - SMOD class id.
 * @returns the joint class key.
 * @example
 * ```ts
 * jointClass('Landcover', 'Forest', 11); // 'Landcover/Forest/11'
 * jointClass('Landcover', 'None', 11); // 'Landcover/nan/11'
 * ```
 */
export function jointClass(
  source: string,
  ipcc: string | number | null,
  smod: string | number | null | undefined,
): string {
  const ipccText = ipcc === null || ipcc === '' || ipcc === 'None' ? 'nan' : ipcc;
  return `${source}/${ipccText}/${smod ?? 'None'}`;
}

/**
 * `metadata.csv` text (header + rows).
 *
 * @param rows - one per AOI and revisit.
 * @returns CSV text with a trailing newline.
 * @example
 * ```ts
 * metadataCsv([]); // 'tile,n,lowres_date,…\n'
 * ```
 */
export function metadataCsv(rows: readonly MetadataRow[]): string {
  checkArrayArgument('metadataCsv', 'rows', rows);
  for (let i = 0; i < rows.length; i++) checkObject('metadataCsv', `rows[${i}]`, rows[i]);
  return toCsv(
    METADATA_COLUMNS,
    rows.map((r) => METADATA_COLUMNS.map((c) => r[c])),
  );
}

/**
 * Split-CSV text: the index column is `i × revisits` (upstream's pandas index over metadata rows).
 *
 * @param rows - one per AOI, in order.
 * @param revisits - revisits per AOI in `metadata.csv`.
 * @returns CSV text with a trailing newline.
 * @example
 * ```ts
 * splitCsv([{ tile: 'A', ipcc: 'Forest', smod: 11, source: 'Landcover', split: 'train' }], 16);
 * ```
 */
export function splitCsv(rows: readonly SplitRow[], revisits: number): string {
  return toCsv(
    SPLIT_COLUMNS,
    rows.map((r, i) => [
      i * revisits,
      r.tile,
      r.ipcc,
      r.smod,
      r.source,
      jointClass(r.source, r.ipcc, r.smod),
      r.split,
    ]),
  );
}
