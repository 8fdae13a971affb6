// The release layout on disk: absolute paths under a dataset root and atomic writers of its two tables.
import { join } from 'node:path';
import { checkArrayArgument, checkInteger, checkObject, checkString } from './internal/check-arguments.js';
import { writeTextAtomic } from './internal/write-file.node.js';
import {
  HR_DIR,
  type HrProduct,
  hrImageRelPath,
  LR_DIR,
  type LrLevel,
  lrRevisitRelPaths,
  METADATA_CSV_NAME,
  type MetadataRow,
  metadataCsv,
  SPLIT_CSV_NAME,
  type SplitRow,
  splitCsv,
} from './layout.js';

/**
 * Folder of an AOI's HR products.
 *
 * @param root - dataset root.
 * @param aoi - AOI name.
 * @returns `<root>/hr_dataset/<AOI>`.
 * @example
 * ```ts
 * hrAoiDir('dataset', 'A'); // 'dataset/hr_dataset/A'
 * ```
 */
export function hrAoiDir(root: string, aoi: string): string {
  checkString('hrAoiDir', 'root', root);
  checkString('hrAoiDir', 'aoi', aoi, true);
  return join(root, HR_DIR, aoi);
}

/**
 * Path of an HR product.
 *
 * @param root - dataset root.
 * @param aoi - AOI name.
 * @param product - `ps` (default), `rgbn` or `pan`.
 * @returns `<root>/hr_dataset/<AOI>/<AOI>_<product>.tiff`.
 * @example
 * ```ts
 * hrImagePath('dataset', 'A', 'pan'); // 'dataset/hr_dataset/A/A_pan.tiff'
 * ```
 */
export function hrImagePath(root: string, aoi: string, product: HrProduct = 'ps'): string {
  checkString('hrImagePath', 'root', root);
  return join(root, hrImageRelPath(aoi, product));
}

/**
 * Folder of an AOI's LR revisits of one level.
 *
 * @param root - dataset root.
 * @param aoi - AOI name.
 * @param level - `L2A` or `L1C`.
 * @returns `<root>/lr_dataset/<AOI>/<level>`.
 * @example
 * ```ts
 * lrLevelDir('dataset', 'A', 'L2A'); // 'dataset/lr_dataset/A/L2A'
 * ```
 */
export function lrLevelDir(root: string, aoi: string, level: LrLevel): string {
  checkString('lrLevelDir', 'root', root);
  return join(root, lrRevisitRelPaths(aoi, level, 1).dir);
}

/**
 * Paths of one LR revisit: data TIFF, cloud mask, `.metadata` JSON.
 *
 * @param root - dataset root.
 * @param aoi - AOI name.
 * @param level - `L2A` or `L1C`.
 * @param n - revisit number 1..N.
 * @returns `{ data, clm, metadata }` under `<root>/lr_dataset/<AOI>/<level>/`.
 * @example
 * ```ts
 * lrRevisitFiles('dataset', 'A', 'L2A', 1).clm; // 'dataset/lr_dataset/A/L2A/A-1-CLM.tiff'
 * ```
 */
export function lrRevisitFiles(
  root: string,
  aoi: string,
  level: LrLevel,
  n: number,
): { data: string; clm: string; metadata: string } {
  checkString('lrRevisitFiles', 'root', root);
  const rel = lrRevisitRelPaths(aoi, level, n);
  return {
    data: join(root, rel.data),
    clm: join(root, rel.layer('CLM')),
    metadata: join(root, rel.metadata),
  };
}

/**
 * Path of one LR revisit's data TIFF.
 *
 * @param root - dataset root.
 * @param aoi - AOI name.
 * @param level - `L2A` or `L1C`.
 * @param n - revisit number 1..N.
 * @returns `<root>/lr_dataset/<AOI>/<level>/<AOI>-<n>-<level>_data.tiff`.
 * @example
 * ```ts
 * lrRevisitPath('dataset', 'A', 'L2A', 2); // 'dataset/lr_dataset/A/L2A/A-2-L2A_data.tiff'
 * ```
 */
export function lrRevisitPath(root: string, aoi: string, level: LrLevel, n: number): string {
  checkString('lrRevisitPath', 'root', root);
  return lrRevisitFiles(root, aoi, level, n).data;
}

/** `<root>/metadata.csv`. */
export const metadataCsvPath = (root: string): string =>
  join(checkString('metadataCsvPath', 'root', root), METADATA_CSV_NAME);
/** `<root>/stratified_train_val_test_split.csv`. */
export const splitCsvPath = (root: string): string =>
  join(checkString('splitCsvPath', 'root', root), SPLIT_CSV_NAME);
/** `<root>/lr_dataset`. */
export const lrDatasetDir = (root: string): string => join(checkString('lrDatasetDir', 'root', root), LR_DIR);

/**
 * Write `<root>/metadata.csv` atomically.
 *
 * @param root - dataset root.
 * @param rows - one per AOI and revisit.
 * @returns the path written.
 * @example
 * ```ts
 * await writeMetadataCsv('dataset', rows);
 * ```
 */
export async function writeMetadataCsv(root: string, rows: readonly MetadataRow[]): Promise<string> {
  checkString('writeMetadataCsv', 'root', root);
  const text = metadataCsv(rows);
  const path = metadataCsvPath(root);
  await writeTextAtomic(path, text);
  return path;
}

/**
 * Write `<root>/stratified_train_val_test_split.csv` atomically.
 *
 * @param root - dataset root.
 * @param rows - one per AOI.
 * @param revisits - revisits per AOI (the index column is `i × revisits`).
 * @returns the path written.
 * @example
 * ```ts
 * await writeSplitCsv('dataset', [{ tile: 'A', ipcc: 'Forest', smod: 11, source: 'Landcover', split: 'train' }], 16);
 * ```
 */
export async function writeSplitCsv(
  root: string,
  rows: readonly SplitRow[],
  revisits: number,
): Promise<string> {
  checkString('writeSplitCsv', 'root', root);
  checkArrayArgument('writeSplitCsv', 'rows', rows);
  for (let i = 0; i < rows.length; i++) checkObject('writeSplitCsv', `rows[${i}]`, rows[i]);
  checkInteger('writeSplitCsv', 'revisits', revisits, 1);
  const path = splitCsvPath(root);
  await writeTextAtomic(path, splitCsv(rows, revisits));
  return path;
}
