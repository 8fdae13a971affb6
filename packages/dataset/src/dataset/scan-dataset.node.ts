// Finds the scenes of a WorldStrat dataset on disk (release, Kaggle "core"/12bit, 8bit) and reports every problem
// up front (missing folders: upstream issue #9; duplicate tiles: issue #12) instead of failing mid-run.
import { describeValue, natCompare as naturalCompare } from '@worldstrat/core';
import { readFileBounded } from '@worldstrat/core/node';
import { DatasetError, throwIfAborted } from '../errors.js';
import {
  argumentError,
  checkArrayArgument,
  checkOptions,
  checkSignalAndCallbacks,
  checkString,
} from '../internal/check-arguments.js';
import { MACOS_METADATA_DIR } from '../internal/macos-metadata.js';
import { tableText } from '../internal/table-text.js';
import { HR_DIR, LR_CLOUD_MASK_SUFFIX, LR_DIR, lrDataSuffix, SPLIT_CSV_NAME } from '../layout.js';
import { type AoiListSource, type ListedTile, resolveDuplicates } from './aoi-list.js';
import { type DatasetStore, directoryStore } from './dataset-store.node.js';
import { checkTileName, parseLayoutTable } from './layout-table.js';

/** The three data splits. */
export type SplitName = 'train' | 'val' | 'test';

/** A problem found in the dataset; scenes with one are skipped when `skipInvalid` is set. */
export interface DatasetProblem {
  code:
    | 'MISSING_FOLDER'
    | 'MISSING_HR'
    | 'TOO_FEW_REVISITS'
    | 'DUPLICATE_TILE'
    | 'SPLIT_CONFLICT'
    | 'UNREADABLE_FILE'
    | 'SHAPE_MISMATCH'
    | 'MISSING_MASK';
  aoi: string;
  message: string;
  path?: string;
}

/** One scene (AOI) of the dataset with the files the loader reads. */
export interface SceneEntry {
  name: string;
  /** `_ps.tiff` (or `_ps_8bit.tiff`). */
  hrPath: string;
  /** `_pan.tiff` when present (unused by the benchmark, like upstream). */
  hrPanPath?: string;
  /** First R `*-L2A_data.tiff` in natural-sort order. */
  lrPaths: string[];
  /**
   * The `*-CLM.tiff` mask of each revisit of `lrPaths` (same revisit number, same order), up to the first revisit
   * without one: `lrcPaths[i]` always belongs to `lrPaths[i]`; shorter than lrPaths when a mask is missing.
   */
  lrcPaths: string[];
  /** Number of L2A revisits available on disk. */
  availableRevisits: number;
  /** The split column of the split CSV, when the AOI list came from it (the first row's, for a repeated tile). */
  csvSplit?: SplitName;
  /**
   * Every split the split CSV gives this scene, in row order: two for a tile listed in two splits (reported as
   * `SPLIT_CONFLICT`), which `split('csv')` puts in both, like upstream's per-split filter.
   */
  csvSplits?: SplitName[];
}

/** Where the HR files live: release `hr_dataset/`, Kaggle/pre-2023 `hr_dataset/12bit/`, or `hr_dataset/8bit/`. */
export type HrFolder = 'hr_dataset' | 'hr_dataset/12bit' | 'hr_dataset/8bit';

/** Options of {@link scanDataset}. */
export interface ScanDatasetOptions {
  /** Revisits per scene (R). Default 8. */
  revisits?: number;
  /** 12 (default) or 8 (`hr_dataset/8bit/<AOI>/<AOI>_ps_8bit.tiff`, DN/255). */
  radiometryDepth?: 12 | 8;
  /**
   * The AOI list: a split CSV path (default `<root>/stratified_train_val_test_split.csv` when present, else the
   * HR folder listing), an explicit array of names, or `'folders'` to list the HR folder.
   */
  aois?: string | readonly string[] | 'folders';
  /**
   * Tiles listed more than once (the release lists 38 twice, 11 of them in two splits), each reported as a
   * `DUPLICATE_TILE` or, when its rows name different splits, `SPLIT_CONFLICT` problem: `'drop'` (default) makes
   * one scene of it, in every split its rows name; `'keep'` makes a scene of every row, like upstream; `'error'`
   * refuses the list (`DATASET_LAYOUT` naming the tile and its rows).
   */
  duplicates?: 'drop' | 'keep' | 'error';
  /** Allow scenes with fewer than R revisits (they are loaded with what exists). Default false (reported). */
  allowFewerRevisits?: boolean;
  /** Stops the scan (`ABORTED`) between scenes. */
  signal?: AbortSignal;
}

/** Result of {@link scanDataset}. */
export interface DatasetScan {
  root: string;
  hrFolder: HrFolder;
  radiometryDepth: 12 | 8;
  revisits: number;
  /** Valid scenes, natsorted by `<root>/hr_dataset/<AOI>/` like upstream. */
  scenes: SceneEntry[];
  /** Everything wrong, one entry per problem. */
  problems: DatasetProblem[];
  /** Number of entries in the HR folder (upstream's M for the paper split counts). */
  hrFolderEntries: number;
}

/**
 * Scan a dataset root: find the layout variant, the AOI list, and each scene's files.
 *
 * @param root - dataset folder (holds `hr_dataset/`, `lr_dataset/`, the CSVs).
 * @param options - revisits, radiometry depth, AOI list, duplicate policy.
 * @returns the scenes and all problems found.
 * @throws {DatasetError} `DATASET_NOT_FOUND` when `root` or its `hr_dataset`/`lr_dataset` is missing;
 *   `DATASET_LAYOUT` naming the row of an AOI list whose cells do not match its header or whose tile is not a
 *   folder name or whose split is not train, val, test or empty, or a repeated tile with `duplicates: 'error'`;
 *   `INVALID_ARGUMENT` for such a name in an explicit `aois` list, or an unknown `duplicates` policy.
 * @example
 * ```ts
 * const scan = await scanDataset('dataset', { revisits: 8 });
 * console.log(scan.scenes.length, scan.problems);
 * ```
 */
export async function scanDataset(root: string, options?: ScanDatasetOptions): Promise<DatasetScan> {
  checkString('scanDataset', 'root', root, true);
  return scanStore(directoryStore(root), checkOptions('scanDataset', options));
}

/**
 * {@link scanDataset} over any store (a folder, or the release zips on disk or behind a URL).
 *
 * @param store - where the layout is read from.
 * @param options - as {@link scanDataset}.
 * @returns the scenes and all problems found.
 */
export async function scanStore(store: DatasetStore, options: ScanDatasetOptions = {}): Promise<DatasetScan> {
  const root = store.root;
  const revisits = options.revisits ?? 8;
  const depth = options.radiometryDepth ?? 12;
  if (!Number.isInteger(revisits) || revisits < 1) {
    throw new DatasetError('INVALID_ARGUMENT', `revisits ${revisits}: use an integer ≥ 1`);
  }
  const policy = options.duplicates;
  if (policy !== undefined && policy !== 'drop' && policy !== 'keep' && policy !== 'error')
    throw new DatasetError(
      'INVALID_ARGUMENT',
      `options.duplicates must be 'drop', 'keep' or 'error', got ${describeValue(policy)}`,
    );
  checkScanOptions(options);
  throwIfAborted(options.signal);
  const { hrFolder, hrEntries } = await findHrFolder(store, depth);
  const problems: DatasetProblem[] = [];
  const { tiles, source } = await readAoiList(store, hrEntries, options.aois);
  const listed = resolveDuplicates(tiles, source, problems, policy);
  // Upstream natsorts "<root>/hr_dataset/<AOI>/": sort on the name plus the trailing slash (stable: a tile kept
  // twice keeps its rows' order).
  listed.sort((a, b) => naturalCompare(`${a.name}/`, `${b.name}/`));
  const scenes: SceneEntry[] = [];
  for (const { name, splits } of listed) {
    // a scan of the release lists ~4000 folders (seconds on a network drive): an abort stops it
    throwIfAborted(options.signal);
    const entry = await sceneEntry(store, hrFolder, name, { revisits, depth, options, problems });
    if (!entry) continue;
    if (splits.length > 0) {
      entry.csvSplit = splits[0];
      entry.csvSplits = splits;
    }
    scenes.push(entry);
  }
  return {
    root,
    hrFolder,
    radiometryDepth: depth,
    revisits,
    scenes,
    problems,
    hrFolderEntries: hrEntries.length,
  };
}

/**
 * The scan options other than `revisits` and `duplicates`: a string `'false'` from a config used to switch
 * `allowFewerRevisits` on, a depth of 10 to read 12-bit files as 12 and report depth 10, a number for `aois` to
 * escape as a TypeError.
 */
function checkScanOptions(options: ScanDatasetOptions): void {
  const depth = options.radiometryDepth;
  if (depth !== undefined && depth !== 12 && depth !== 8)
    throw argumentError('scanDataset', 'options.radiometryDepth', '12 or 8', depth);
  const aois = options.aois;
  if (aois !== undefined && typeof aois !== 'string')
    checkArrayArgument('scanDataset', 'options.aois', aois as readonly unknown[]);
  if (options.allowFewerRevisits !== undefined && typeof options.allowFewerRevisits !== 'boolean')
    throw argumentError('scanDataset', 'options.allowFewerRevisits', 'a boolean', options.allowFewerRevisits);
  checkSignalAndCallbacks('scanDataset', options as Record<string, unknown>, []);
}

/** The HR folder variant (release, Kaggle `12bit/`, `8bit/`) and its entries; both top folders must exist. */
async function findHrFolder(
  store: DatasetStore,
  depth: 12 | 8,
): Promise<{ hrFolder: HrFolder; hrEntries: string[] }> {
  const root = store.root;
  if (!(await store.isDir(''))) {
    throw new DatasetError(
      'DATASET_NOT_FOUND',
      `dataset root ${root} does not exist; download the release or run \`worldstrat synth ${root}\``,
    );
  }
  let hrFolder: HrFolder;
  if (depth === 8) hrFolder = `${HR_DIR}/8bit`;
  else hrFolder = (await store.isDir(`${HR_DIR}/12bit`)) ? `${HR_DIR}/12bit` : HR_DIR;
  const hrDir = store.path(hrFolder);
  const hrEntries = await store.list(hrFolder);
  if (!hrEntries) {
    throw new DatasetError(
      'DATASET_NOT_FOUND',
      `${hrDir} is missing; expected the WorldStrat layout (hr_dataset/<AOI>/<AOI>_ps.tiff)`,
    );
  }
  if (!(await store.isDir(LR_DIR))) {
    throw new DatasetError(
      'DATASET_NOT_FOUND',
      `${store.path(LR_DIR)} is missing; expected ${LR_DIR}/<AOI>/L2A/`,
    );
  }
  return { hrFolder, hrEntries };
}

/** The AOI list: a split CSV (default when present), an explicit list, or the HR folder listing. */
async function readAoiList(
  store: DatasetStore,
  hrEntries: string[],
  aois: ScanDatasetOptions['aois'],
): Promise<{ tiles: ListedTile[]; source: AoiListSource }> {
  let text: string;
  let path: string;
  if (aois === undefined) {
    // the split CSV of the store (a file of the folder, or fetched next to the release zips)
    const found = await store.readText(SPLIT_CSV_NAME);
    if (found === null) return folderList(hrEntries);
    text = found;
    path = store.path(SPLIT_CSV_NAME);
  } else if (aois === 'folders') {
    return folderList(hrEntries);
  } else if (typeof aois !== 'string') {
    const tiles = [...aois].map((n, i) => ({
      name: checkTileName(n, `aois[${i}]`, 'INVALID_ARGUMENT'),
      at: i,
    }));
    return { tiles, source: { kind: 'array' } };
  } else {
    path = aois;
    text = await readAoiListFile(path);
  }
  return { tiles: csvTiles(text, path), source: { kind: 'csv', path } };
}

/** The HR folder's AOI folders: no dot files (upstream's globs skip them) and no macOS `__MACOSX` folder. */
function folderList(hrEntries: string[]): { tiles: ListedTile[]; source: AoiListSource } {
  const names = hrEntries.filter((e) => !e.startsWith('.') && e !== MACOS_METADATA_DIR);
  return { tiles: names.map((name, at) => ({ name, at })), source: { kind: 'array' } };
}

/** The rows of an AOI list CSV: its `tile` column and, when present, its `split` column (train, val, test or empty). */
function csvTiles(text: string, path: string): ListedTile[] {
  const { header, rows } = parseLayoutTable(text, path);
  if (!header.includes('tile')) {
    throw new DatasetError('DATASET_LAYOUT', `${path} has no "tile" column (columns: ${header.join(', ')})`);
  }
  return rows.map((r, i) => {
    const tile: ListedTile = {
      name: checkTileName(r.tile, `${path}: data row ${i + 1}, column "tile"`, 'DATASET_LAYOUT'),
      at: i + 1,
    };
    const s = r.split;
    // an empty cell is no split; any other value would leave the scene out of every split unseen
    if (s === undefined || s === '') return tile;
    if (s !== 'train' && s !== 'val' && s !== 'test') {
      throw new DatasetError(
        'DATASET_LAYOUT',
        `${path}: data row ${i + 1}, column "split" is ${JSON.stringify(s)}; expected train, val, test or empty`,
      );
    }
    tile.split = s;
    return tile;
  });
}

/** One scene's files, or null after recording why it cannot be used. */
async function sceneEntry(
  store: DatasetStore,
  hrFolder: HrFolder,
  name: string,
  ctx: { revisits: number; depth: 12 | 8; options: ScanDatasetOptions; problems: DatasetProblem[] },
): Promise<SceneEntry | null> {
  const { revisits, depth, options, problems } = ctx;
  const psSuffix = depth === 8 ? '_ps_8bit.tiff' : '_ps.tiff';
  const panSuffix = depth === 8 ? '_pan_8bit.tiff' : '_pan.tiff';
  const hrAoi = store.path(`${hrFolder}/${name}`);
  const hrFiles = await store.list(`${hrFolder}/${name}`);
  const lrDir = store.path(`${LR_DIR}/${name}/L2A`);
  const lrFiles = await store.list(`${LR_DIR}/${name}/L2A`);
  if (!hrFiles || !lrFiles) {
    problems.push({
      code: 'MISSING_FOLDER',
      aoi: name,
      path: !hrFiles ? hrAoi : lrDir,
      message: `${name}: folder ${!hrFiles ? hrAoi : lrDir} is missing (upstream issue #9)`,
    });
    return null;
  }
  // upstream's globs (`*_ps.tiff`, `*-L2A_data.tiff`) never match a dot file, such as macOS's `._<name>` companions
  const ps = ownFiles(globbed(hrFiles, psSuffix), name, psSuffix);
  if (ps.length === 0) {
    problems.push({
      code: 'MISSING_HR',
      aoi: name,
      path: hrAoi,
      message: `${name}: no ${name}${psSuffix} in ${hrAoi}${othersText(globbed(hrFiles, psSuffix), [], `<AOI>${psSuffix}`)}`,
    });
    return null;
  }
  const pan = ownFiles(globbed(hrFiles, panSuffix), name, panSuffix);
  const lr = ownRevisits(globbed(lrFiles, lrDataSuffix('L2A')), name);
  if (lr.length < revisits && !options.allowFewerRevisits) {
    problems.push({
      code: 'TOO_FEW_REVISITS',
      aoi: name,
      path: lrDir,
      message: `${name}: ${lr.length} L2A revisits in ${lrDir}, ${revisits} needed${othersText(globbed(lrFiles, lrDataSuffix('L2A')), lr, REVISIT_NAME)}`,
    });
    return null;
  }
  if (lr.length === 0) {
    problems.push({
      code: 'TOO_FEW_REVISITS',
      aoi: name,
      path: lrDir,
      message: `${name}: no L2A revisits in ${lrDir}${othersText(globbed(lrFiles, lrDataSuffix('L2A')), [], REVISIT_NAME)}`,
    });
    return null;
  }
  const data = lr.slice(0, revisits);
  const entry: SceneEntry = {
    name,
    hrPath: store.path(`${hrFolder}/${name}/${ps[0]}`),
    lrPaths: data.map((f) => store.path(`${LR_DIR}/${name}/L2A/${f}`)),
    lrcPaths: revisitMasks(data, new Set(lrFiles)).map((f) => store.path(`${LR_DIR}/${name}/L2A/${f}`)),
    availableRevisits: lr.length,
  };
  if (pan.length > 0) entry.hrPanPath = store.path(`${hrFolder}/${name}/${pan[0]}`);
  return entry;
}

/** Names matching the glob `*<suffix>` (no dot files, as Python's glob), natsorted. */
function globbed(names: string[], suffix: string): string[] {
  return names.filter((f) => f.endsWith(suffix) && !f.startsWith('.')).sort(naturalCompare);
}

/**
 * The files of `names` that are the AOI's own `<AOI><suffix>` (compared in NFC, as a macOS disk may list NFD
 * names) when the folder holds any, else all of them as upstream's glob `*_ps.tiff` takes them. Upstream took any
 * file: another AOI's `_ps.tiff` copied beside the AOI's own sorted first and became the scene's HR target.
 */
function ownFiles(names: string[], aoi: string, suffix: string): string[] {
  const own = `${aoi}${suffix}`.normalize('NFC');
  return preferOwn(
    names,
    names.filter((f) => f.normalize('NFC') === own),
  );
}

/** The AOI's own files when there are any, else every file the glob found (a folder named otherwise reads as upstream). */
const preferOwn = (all: string[], own: string[]): string[] => (own.length > 0 ? own : all);

/**
 * The revisits of `names` named `<AOI>-<n>-L2A_data.tiff` for this AOI (n decimal digits), in their order, when the
 * folder holds any, else all of them (upstream's glob). Like {@link ownFiles}: another AOI's revisit beside the
 * AOI's own was taken as one of this scene's (`A-1-…` sorts first in folder `B`).
 */
function ownRevisits(names: string[], aoi: string): string[] {
  const prefix = `${aoi}-`.normalize('NFC');
  const suffix = lrDataSuffix('L2A');
  return preferOwn(
    names,
    names.filter((f) => {
      const n = f.normalize('NFC');
      return n.startsWith(prefix) && /^[0-9]+$/.test(n.slice(prefix.length, n.length - suffix.length));
    }),
  );
}

const REVISIT_NAME = `<AOI>-<n>${lrDataSuffix('L2A')}`;

/** `; not taken: X, Y (…)` for the globbed files that are not the AOI's own (`pattern` says which are), else ''. */
function othersText(all: string[], own: readonly string[], pattern: string): string {
  const others = all.filter((f) => !own.includes(f));
  if (others.length === 0) return '';
  const shown = others.slice(0, 3).join(', ') + (others.length > 3 ? ', …' : '');
  return `; not taken: ${shown} (not named ${pattern} for this AOI)`;
}

/** A revisit's data file (name or path) → its mask's (`<AOI>-<n>-L2A_data.tiff` → `<AOI>-<n>-CLM.tiff`). */
export function maskPathOf(dataFile: string): string {
  return `${dataFile.slice(0, -lrDataSuffix('L2A').length)}${LR_CLOUD_MASK_SUFFIX}`;
}

/**
 * The masks of the revisits `data`, matched by revisit number, up to the first revisit without one. The first R
 * masks of the listing used to be taken: with one missing, revisit n got revisit n+1's mask.
 */
function revisitMasks(data: string[], files: Set<string>): string[] {
  const out: string[] = [];
  for (const f of data) {
    if (!files.has(maskPathOf(f))) break;
    out.push(maskPathOf(f));
  }
  return out;
}

/** Largest AOI list read (a CSV of tile names; WorldStrat's has 3 928 rows). */
const MAX_AOI_LIST_BYTES = 256 << 20;

/** An AOI list's text: only a regular file (a FIFO would block the read for ever) of bounded size. */
async function readAoiListFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFileBounded(path, { maxBytes: MAX_AOI_LIST_BYTES, what: 'AOI list' });
  } catch (e) {
    throw new DatasetError('DATASET_NOT_FOUND', `${(e as Error).message}`, { cause: e });
  }
  return tableText(bytes, `AOI list ${path}`);
}
