// The WorldStrat dataset as training/eval batches: scene loading, splits, chips, augmentation, prefetch.
import { createRng } from '@worldstrat/core';
import type { RasterIoLimits } from '@worldstrat/raster-io';
import {
  findMagnitudeMismatch,
  findSampleKindMismatch,
  type ReadRasterOptions,
  type ReadRasterResult,
  rasterSampleType,
  readRaster,
  SCALE_RATIO_LIMIT,
  typicalMagnitude,
} from '@worldstrat/raster-io';
import { type PaperSplitOptions, paperSplit, StratifyError } from '@worldstrat/stratify';
import { DatasetError, throwIfAborted } from '../errors.js';
import {
  argumentError,
  checkInteger,
  checkOptions,
  checkSignalAndCallbacks,
  checkString,
} from '../internal/check-arguments.js';
import { METADATA_CSV_NAME } from '../layout.js';
import { type RotateFlip, rotateFlip } from './augment.js';
import { type ChipWindow, chipWindows, cropPlanes } from './chips.js';
import { JIF_GEOMETRY, SPOT_MAX_8_BIT, SPOT_MAX_12_BIT, SPOT_RGB_BANDS } from './constants.js';
import {
  AUGMENT_SEED_OFFSET,
  checkBatchOptions,
  checkBatchSource,
  checkSceneEntry,
  checkSplitMode,
  paperModeOptions,
} from './dataset-arguments.js';
import {
  type DatasetStore,
  directoryStore,
  resolveDatasetStore,
  type ZipStoreOptions,
} from './dataset-store.node.js';
import { parseLayoutTable } from './layout-table.js';
import {
  type DatasetProblem,
  type DatasetScan,
  maskPathOf,
  type ScanDatasetOptions,
  type SceneEntry,
  type SplitName,
  scanStore,
} from './scan-dataset.node.js';
import { transformHr, transformLr, transformLrc } from './transforms.js';

/** A transformed whole scene (before chipping), like upstream's cached tensors. */
export interface LoadedScene {
  name: string;
  /** (R, C, 160, 160) normalised LR. */
  lr: Float32Array;
  lrShape: [number, number, number, number];
  /** (R, 1, 160, 160) cloud masks, when `masks` is on. */
  lrc?: Float32Array;
  /** (3, 500, 500) HR in [0, 1]. */
  hr: Float32Array;
  hrShape: [number, number, number];
}

/** A tensor as data + explicit shape (row-major). */
export interface ShapedArray<S extends number[]> {
  data: Float32Array;
  shape: S;
}

/** One batch of chips: `lr` (B, R, C, 50, 50) and `hr` (B, 3, 156, 156), plus provenance. */
export interface ChipBatch {
  lr: ShapedArray<[number, number, number, number, number]>;
  hr: ShapedArray<[number, number, number, number]>;
  /** (B, R, 1, 50, 50) when masks are loaded. */
  lrc?: ShapedArray<[number, number, number, number, number]>;
  /** Scene name and chip index (0..8) of each sample. */
  names: string[];
  chips: number[];
}

/**
 * How scenes are assigned to splits: `'csv'` (the split CSV's column), `'all'` (everything in train), `'paper'`
 * (the split upstream training really used: seeded randperm over the natsorted list, counts from the number of
 * HR folder entries; see @worldstrat/stratify paperSplit), `{ paper: options }`, or a name → split map.
 */
export type SplitMode =
  | 'csv'
  | 'all'
  | 'paper'
  | { paper: PaperSplitOptions }
  | Readonly<Record<string, SplitName>>;

/** Options of {@link openDataset}. */
export interface OpenDatasetOptions extends ScanDatasetOptions {
  /**
   * Reading the v1.1 release zips (a URL, a local `.zip`, a folder of the zips): block cache budget per zip
   * (`cacheBytes`, default 64 MiB), range block size, request headers, timeouts, zip limits.
   */
  remote?: Omit<ZipStoreOptions, 'signal'>;
  /** Skip scenes with problems (reported in `problems` / `onProblem`) instead of throwing. Default false. */
  skipInvalid?: boolean;
  /** Open every file's header at open time so unreadable files are found before training. Default false. */
  verifyFiles?: boolean;
  /** Load CLM masks as `lrc`. Default false. */
  masks?: boolean;
  /** Keep up to this many transformed scenes in memory (LRU). Default 0. */
  cacheScenes?: number;
  /** Called for every problem (at open and during iteration). */
  onProblem?: (p: DatasetProblem) => void;
  /** GeoTIFF read limits for every file read (raster-io defaults when absent). */
  readLimits?: Partial<RasterIoLimits>;
  /**
   * An extracted folder: open and read each GeoTIFF with synchronous file-system calls on the calling thread
   * (raster-io's `syncIo`), faster for a dataset in the page cache (a 160² × 13 revisit: 2.64 instead of 3.14 ms
   * on the machine raster-io's README measures) but blocking the event loop for each call. Zipped and remote
   * releases are read as before. Default false.
   */
  syncIo?: boolean;
  signal?: AbortSignal;
}

/** Options of {@link WorldStratDataset.batches}. */
export interface BatchOptions {
  /** Chips per batch. Default 16. */
  batchSize?: number;
  /** Shuffle scenes and chips (seeded). Default true for 'train', false otherwise. */
  shuffle?: boolean;
  /** Rot90+flip augmentation. Default: on for 'train' only; `compat: true` turns it on for every split (upstream). */
  augment?: boolean;
  /** Upstream behaviour: augmentation in every split. Default false. */
  compat?: boolean;
  /** Seed for shuffling and augmentation. Default 0. */
  seed?: number;
  /** Epoch number mixed into the seed (a new order each epoch, reproducible). Default 0. */
  epoch?: number;
  /** Scenes loaded ahead of the consumer (bounded memory). Default 2. */
  prefetch?: number;
  /** Scenes whose chips are mixed when shuffling (shuffle buffer). Default 4. */
  shuffleScenes?: number;
  /** Drop a last incomplete batch. Default false. */
  dropLast?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: { stage: 'scenes'; done: number; total: number }) => void;
}

type StackedRaster = {
  width: number;
  height: number;
  bands: ArrayLike<number>[];
  dtype?: string;
  noData?: number | null;
};

/**
 * Check that a scene's rasters share one value scale (raster-io's conventions, as srnet's superResolve checks
 * them): all integer DN or all float reflectance, and, with `magnitudes`, typical magnitudes under
 * SCALE_RATIO_LIMIT× apart (a float32 file of DN among float32 reflectance). One normalisation serves the whole
 * scene, so either mix would train ~10⁴ off. The file named is the first one off the scale most files share.
 */
function checkScales(rasters: StackedRaster[], path: string[], magnitudes: boolean): void {
  const kind = findSampleKindMismatch(rasters.map((r) => rasterSampleType(r) ?? 'unknown'));
  if (kind) {
    throw new DatasetError(
      'SHAPE_MISMATCH',
      `${path[kind.index]} holds ${kind.sampleType} values but ${kind.count} of the ${rasters.length} revisits hold ${kind.expected}; integer DN and float reflectance differ in scale by about 10⁴, so a scene's revisits must be all integer or all float`,
    );
  }
  if (!magnitudes) return;
  const off = findMagnitudeMismatch(rasters.map((r) => typicalMagnitude(r)));
  if (off) {
    const show = (v: number) => v.toPrecision(3);
    throw new DatasetError(
      'SHAPE_MISMATCH',
      `${path[off.index]} holds values of typical magnitude ${show(off.magnitude)} but ${path[off.reference]} holds ${show(off.referenceMagnitude)}: over ${SCALE_RATIO_LIMIT}× apart, as for a DN revisit among reflectance ones; bring every revisit of the scene to one scale (raster-io dnToReflectance) or leave that one out`,
    );
  }
}

/** Stack same-shaped rasters into (N, C, H, W); `magnitudes` also checks their value scales (LR revisits). */
function stack(rasters: StackedRaster[], path: string[], magnitudes = false) {
  const { width, height } = rasters[0];
  const c = rasters[0].bands.length;
  rasters.forEach((r, i) => {
    if (r.width !== width || r.height !== height || r.bands.length !== c) {
      throw new DatasetError(
        'SHAPE_MISMATCH',
        `${path[i]} is ${r.bands.length}×${r.height}×${r.width}, the first revisit ${c}×${height}×${width}; revisits must match`,
      );
    }
  });
  checkScales(rasters, path, magnitudes);
  const out = new Float32Array(rasters.length * c * width * height);
  rasters.forEach((r, i) => {
    r.bands.forEach((b, k) => {
      out.set(b, (i * c + k) * width * height);
    });
  });
  return { data: out, shape: [rasters.length, c, height, width] as [number, number, number, number] };
}

/** A load failure as text, keeping the reader's error code (e.g. raster-io `CORRUPT_TIFF`, `TOO_LARGE`). */
function causeText(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const message = e instanceof Error ? e.message : String(e);
  return typeof code === 'string' ? `[${code}] ${message}` : message;
}

/**
 * Open a WorldStrat dataset (release, Kaggle core, 12bit/ or 8bit/ layouts) for training and evaluation, exactly
 * like the upstream JIF loader: first R revisits in natural-sort order, JIF normalisation, AA bilinear LR
 * 158→160, HR ÷10000 → 500 AA → clamp, 3×3 chips (LR 50 ↔ HR 156, offsets 0/156/312), rot90+flip.
 *
 * The v1.1 release is read in place from its zips: `root` may be a Zenodo record URL
 * (`https://zenodo.org/records/15382551`) or another http(s) folder of the zips (HTTP range requests through a
 * block cache, see `remote`), a local folder holding the zips, or one local `.zip` of the whole layout.
 *
 * @param root - dataset folder, `.zip`, or http(s) URL.
 * @param options - scan options, problem policy, masks, cache, remote reading.
 * @returns the dataset handle.
 * @throws {DatasetError} `DATASET_NOT_FOUND`; `DATASET_LAYOUT` listing every problem when `skipInvalid` is off;
 *   `CORRUPT_ZIP`, `UNSUPPORTED_ZIP`, `REMOTE_READ_FAILED`, `UNSAFE_ARCHIVE_PATH` for zipped/remote releases.
 * @example
 * ```ts
 * const ds = await openDataset('dataset', { revisits: 8, skipInvalid: true });
 * for await (const batch of ds.batches('train', { batchSize: 48, seed: 1 })) train(batch);
 * ```
 */
export async function openDataset(root: string, options?: OpenDatasetOptions): Promise<WorldStratDataset> {
  checkString('openDataset', 'root', root, true);
  options = checkOptions('openDataset', options);
  if (options.remote !== undefined) checkOptions('openDataset', options.remote, 'options.remote');
  checkOpenOptions(options);
  const store = await resolveDatasetStore(root, {
    ...options.remote,
    signal: options.signal,
    syncIo: options.syncIo,
  });
  const scan = await scanStore(store, options);
  root = store.root;
  let scenes = scan.scenes;
  if (options.verifyFiles) scenes = await verifiedScenes(store, scenes, scan.problems, options);
  if (options.masks) scenes = scenesWithMasks(scenes, scan.problems);
  for (const p of scan.problems) options.onProblem?.(p);
  // a repeated tile is a fact of the released list (reported), not a scene that cannot be used
  const blocking = scan.problems.filter((p) => p.code !== 'DUPLICATE_TILE' && p.code !== 'SPLIT_CONFLICT');
  if (blocking.length > 0 && !options.skipInvalid) {
    const list = blocking
      .slice(0, 10)
      .map((p) => `  - ${p.message}`)
      .join('\n');
    throw new DatasetError(
      'DATASET_LAYOUT',
      `${blocking.length} scene problem(s) in ${root}:\n${list}${blocking.length > 10 ? '\n  …' : ''}\npass skipInvalid: true (CLI: --skip-invalid) to skip these scenes`,
    );
  }
  return new WorldStratDataset(scan, scenes, options, store);
}

/**
 * openDataset's own options (the scan checks its own): a string `'false'` used to switch `skipInvalid` or `masks`
 * on, a NaN `cacheScenes` to cache every scene (the LRU never evicted), a non-function `onProblem` to escape as a
 * TypeError and `readLimits: 'x'` to be blamed on the first file read.
 */
function checkOpenOptions(options: OpenDatasetOptions): void {
  for (const key of ['skipInvalid', 'verifyFiles', 'masks', 'syncIo'] as const)
    if (options[key] !== undefined && typeof options[key] !== 'boolean')
      throw argumentError('openDataset', `options.${key}`, 'a boolean', options[key]);
  if (options.cacheScenes !== undefined)
    checkInteger('openDataset', 'options.cacheScenes', options.cacheScenes, 0);
  if (options.readLimits !== undefined) checkOptions('openDataset', options.readLimits, 'options.readLimits');
  checkSignalAndCallbacks('openDataset', options as Record<string, unknown>, ['onProblem']);
}

/** Scenes whose every file opens (header only); the others become `UNREADABLE_FILE` problems. */
async function verifiedScenes(
  store: DatasetStore,
  scenes: SceneEntry[],
  problems: DatasetProblem[],
  options: OpenDatasetOptions,
): Promise<SceneEntry[]> {
  const ok: SceneEntry[] = [];
  for (const s of scenes) {
    throwIfAborted(options.signal);
    const paths = [s.hrPath, ...s.lrPaths, ...(options.masks ? s.lrcPaths : [])];
    let bad: DatasetProblem | null = null;
    for (const p of paths) {
      try {
        const t = await store.openTiff(p, { limits: options.readLimits, signal: options.signal });
        await t.close();
      } catch (e) {
        const err = loadError(s, e, options.signal);
        if (err.code === 'ABORTED') throw err;
        bad = { code: 'UNREADABLE_FILE', aoi: s.name, path: p, message: `${p}: ${(e as Error).message}` };
        break;
      }
    }
    if (bad) problems.push(bad);
    else ok.push(s);
  }
  return ok;
}

/**
 * Scenes with the CLM mask of every revisit (masks requested); the others become `MISSING_MASK` problems naming
 * the first missing mask (the scanner matched masks to revisits by number, stopping there).
 */
function scenesWithMasks(scenes: SceneEntry[], problems: DatasetProblem[]): SceneEntry[] {
  return scenes.filter((s) => {
    const i = s.lrcPaths.length;
    if (i >= s.lrPaths.length) return true;
    const path = maskPathOf(s.lrPaths[i]);
    problems.push({
      code: 'MISSING_MASK',
      aoi: s.name,
      path,
      message: `${s.name}: revisit ${s.lrPaths[i]} has no cloud mask ${path} (masks requested)`,
    });
    return false;
  });
}

/** One chip of one scene with its augmentation. */
type Sample = { scene: LoadedScene; window: ChipWindow; aug: RotateFlip };

/**
 * An opened dataset (from {@link openDataset}): the scan's scenes and problems, splits, scene loading (with an
 * optional LRU cache) and chip-batch iteration with prefetch, shuffling and augmentation.
 */
export class WorldStratDataset implements DatasetScan {
  readonly root: string;
  readonly hrFolder: DatasetScan['hrFolder'];
  readonly radiometryDepth: 12 | 8;
  readonly revisits: number;
  /** Valid scenes, natsorted like upstream. */
  readonly scenes: SceneEntry[];
  /** Everything wrong (grows when `batches` skips unreadable scenes). */
  readonly problems: DatasetProblem[];
  readonly hrFolderEntries: number;
  /** Chips per scene (9 with the defaults). */
  readonly chipsPerScene: number;
  readonly #options: OpenDatasetOptions;
  readonly #windows: ChipWindow[];
  readonly #cache = new Map<SceneEntry, Promise<LoadedScene>>();
  readonly #store: DatasetStore;
  #metadata: Promise<Record<string, string>[]> | undefined;

  /**
   * @param scan - the scan of the dataset root.
   * @param scenes - the scenes that passed the open-time checks.
   * @param options - the options `openDataset` received.
   * @param store - where files are read (default: the folder `scan.root`).
   */
  constructor(scan: DatasetScan, scenes: SceneEntry[], options: OpenDatasetOptions, store?: DatasetStore) {
    this.#store = store ?? directoryStore(scan.root);
    this.root = scan.root;
    this.hrFolder = scan.hrFolder;
    this.radiometryDepth = scan.radiometryDepth;
    this.revisits = scan.revisits;
    this.scenes = scenes;
    this.problems = scan.problems;
    this.hrFolderEntries = scan.hrFolderEntries;
    this.#options = options;
    this.#windows = chipWindows();
    this.chipsPerScene = this.#windows.length;
  }

  /**
   * Split the valid scenes. `'csv'` uses the split CSV's `split` column (default): a tile listed in two splits is
   * in both, as upstream's per-split filter puts it (a `SPLIT_CONFLICT` problem); `'all'` puts all in train.
   *
   * @param mode - how scenes are assigned (see {@link SplitMode}).
   * @returns the scenes of each split.
   * @throws {DatasetError} `DATASET_LAYOUT` in `'csv'` mode when no scene has a split; `INVALID_ARGUMENT` for
   *   an unknown mode, a map value that is not a split name, or bad paper-split options.
   */
  split(mode: SplitMode = 'csv'): Record<SplitName, SceneEntry[]> {
    if (mode === 'paper') return this.#paperSplit({});
    const paper = paperModeOptions(mode);
    if (paper) return this.#paperSplit(paper as PaperSplitOptions);
    mode = checkSplitMode(mode);
    const out: Record<SplitName, SceneEntry[]> = { train: [], val: [], test: [] };
    for (const s of this.scenes) {
      let names: readonly (SplitName | undefined)[];
      if (mode === 'all') names = ['train'];
      else if (mode === 'csv') names = s.csvSplits ?? [s.csvSplit];
      // own keys only: a scene named `constructor` or `toString` read Object.prototype's function (a TypeError)
      else names = Object.hasOwn(mode, s.name) ? [(mode as Readonly<Record<string, SplitName>>)[s.name]] : [];
      for (const name of names) if (name) out[name].push(s);
    }
    if (out.train.length + out.val.length + out.test.length === 0 && this.scenes.length > 0)
      throw noSceneSplit(mode, this.scenes.length);
    return out;
  }

  #paperSplit(po: PaperSplitOptions): Record<SplitName, SceneEntry[]> {
    const out: Record<SplitName, SceneEntry[]> = { train: [], val: [], test: [] };
    const ps = paperSplitOf(
      this.scenes.map((s) => s.name),
      { directoryCount: this.hrFolderEntries, ...po },
    );
    const byName = new Map<string, SceneEntry[]>();
    for (const s of this.scenes) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
    const taken = new Map<string, number>();
    for (const k of ['train', 'val', 'test'] as const) {
      for (const n of ps[k]) {
        const i = taken.get(n) ?? 0;
        taken.set(n, i + 1);
        const e = byName.get(n)?.[i];
        if (e) out[k].push(e);
      }
    }
    return out;
  }

  /**
   * Load and transform one whole scene (LR 160², HR 500²), through the LRU cache when `cacheScenes` > 0.
   *
   * @param entry - a scene of this dataset.
   * @param opts - abort signal.
   * @returns the transformed scene.
   * @throws {DatasetError} `INVALID_ARGUMENT` for an entry without its paths or options that are not an object;
   *   `UNREADABLE_FILE` for a file that cannot be read (the reader's code in the message, e.g. `[NOT_A_TIFF]`, and
   *   its error as `cause`); `SHAPE_MISMATCH`; `ABORTED`.
   */
  loadScene(entry: SceneEntry, opts?: { signal?: AbortSignal }): Promise<LoadedScene> {
    try {
      opts = this.#checkLoadArguments(entry, opts);
    } catch (e) {
      // a promise-returning method reports bad arguments as a rejection, like every later failure
      return Promise.reject(e);
    }
    return this.#load(entry, opts.signal).catch((e: unknown) => {
      throw loadError(entry, e, opts.signal);
    });
  }

  /** A scene load through the LRU cache; the readers' own errors come out as they are (see `loadError`). */
  #load(entry: SceneEntry, signal?: AbortSignal): Promise<LoadedScene> {
    const cacheSize = this.#options.cacheScenes ?? 0;
    if (cacheSize <= 0) return this.#loadSceneUncached(entry, signal);
    const hit = this.#cache.get(entry);
    if (hit) {
      this.#cache.delete(entry);
      this.#cache.set(entry, hit);
      return hit;
    }
    const p = this.#loadSceneUncached(entry, signal);
    p.catch(() => this.#cache.delete(entry));
    this.#cache.set(entry, p);
    while (this.#cache.size > cacheSize) this.#cache.delete(this.#cache.keys().next().value as SceneEntry);
    return p;
  }

  #checkLoadArguments(entry: unknown, opts: unknown): { signal?: AbortSignal } {
    checkSceneEntry('loadScene', 'entry', entry, Boolean(this.#options.masks));
    const o = checkOptions('loadScene', opts as object | undefined, 'opts') as Record<string, unknown>;
    checkSignalAndCallbacks('loadScene', o, [], 'opts');
    return o;
  }

  async #loadSceneUncached(entry: SceneEntry, signal?: AbortSignal): Promise<LoadedScene> {
    const limits = this.#options.readLimits;
    const divisor = this.radiometryDepth === 8 ? SPOT_MAX_8_BIT : SPOT_MAX_12_BIT;
    const lrRasters = [];
    for (const p of entry.lrPaths) {
      throwIfAborted(signal);
      lrRasters.push(await this.#read(p, { signal, limits }));
    }
    const lr = stack(lrRasters, entry.lrPaths, true);
    const hrRaster = await this.#read(entry.hrPath, { bands: SPOT_RGB_BANDS, signal, limits });
    const hr = stack([hrRaster], [entry.hrPath]);
    const out: LoadedScene = {
      name: entry.name,
      lr: transformLr(lr.data, lr.shape),
      lrShape: [lr.shape[0], lr.shape[1], JIF_GEOMETRY.lrInput, JIF_GEOMETRY.lrInput],
      hr: transformHr(hr.data, [hr.shape[1], hr.shape[2], hr.shape[3]], { divisor }),
      hrShape: [hr.shape[1], JIF_GEOMETRY.hrOutput, JIF_GEOMETRY.hrOutput],
    };
    if (this.#options.masks) {
      const masks = [];
      for (const p of entry.lrcPaths) masks.push(await this.#read(p, { bands: [0], signal, limits }));
      const m = stack(masks, entry.lrcPaths);
      out.lrc = transformLrc(m.data, m.shape);
    }
    return out;
  }

  /**
   * The rows of `metadata.csv` (one per AOI and revisit: dates, cloud cover, classes), read on first call from
   * the folder, the zip or the release URL.
   *
   * @returns the rows keyed by column (a string cell for every column); an empty list when the dataset has
   *   no `metadata.csv`.
   * @throws {DatasetError} `REMOTE_READ_FAILED` when a remote table cannot be fetched; `DATASET_LAYOUT` naming
   *   the row when a row's cells do not match the header.
   */
  metadataRows(): Promise<Record<string, string>[]> {
    this.#metadata ??= this.#store
      .readText(METADATA_CSV_NAME)
      .then((t) => (t === null ? [] : parseLayoutTable(t, this.#store.path(METADATA_CSV_NAME)).rows));
    this.#metadata.catch(() => {
      this.#metadata = undefined;
    });
    return this.#metadata;
  }

  /** HTTP requests sent so far for this dataset (0 for local folders and zips). */
  get requestCount(): number {
    return this.#store.requestCount;
  }

  /** One file of the store (open, read, close). */
  async #read(path: string, options: ReadRasterOptions): Promise<ReadRasterResult> {
    const tiff = await this.#store.openTiff(path, { signal: options.signal, limits: options.limits });
    try {
      return await readRaster(tiff, options);
    } finally {
      await tiff.close();
    }
  }

  /** A scene load that turns a read failure into a problem (skipInvalid) or a typed error. */
  #loadOrProblem(entry: SceneEntry, signal?: AbortSignal): Promise<LoadedScene | DatasetProblem> {
    // entries were checked by `batches`
    return this.#load(entry, signal).catch((e: unknown) => {
      // an abort (ours, or raised inside a reader) ends the iteration: it says nothing about the scene's files
      const err = loadError(entry, e, signal);
      if (err.code === 'ABORTED') throw err;
      const problem: DatasetProblem = {
        code: e instanceof DatasetError && e.code === 'SHAPE_MISMATCH' ? 'SHAPE_MISMATCH' : 'UNREADABLE_FILE',
        aoi: entry.name,
        message: `${entry.name}: ${causeText(e)}`,
      };
      if (!this.#options.skipInvalid) {
        throw new DatasetError(
          'UNREADABLE_FILE',
          `${problem.message}; pass skipInvalid: true (CLI: --skip-invalid) to skip it`,
          { cause: e },
        );
      }
      return problem;
    });
  }

  /**
   * Stream chip batches over a split or a scene list: scenes load `prefetch` ahead, chips of `shuffleScenes`
   * scenes are mixed, unreadable scenes become problems with `skipInvalid`.
   *
   * @param which - a split name (from the split CSV) or a scene list.
   * @param options - batch size, shuffling, augmentation, seed/epoch, prefetch, signal, progress.
   * @returns an async generator of batches.
   * @throws {DatasetError} `INVALID_ARGUMENT`, `UNREADABLE_FILE`, `SHAPE_MISMATCH`, `ABORTED`.
   */
  async *batches(
    which: SplitName | readonly SceneEntry[],
    options?: BatchOptions,
  ): AsyncGenerator<ChipBatch> {
    const source = checkBatchSource(which, Boolean(this.#options.masks));
    const { batchSize, prefetch, shuffleScenes, seed } = checkBatchOptions(options);
    const bo: BatchOptions = options ?? {};
    const isTrain = source === 'train';
    const list = typeof source === 'string' ? this.split('csv')[source] : source;
    const shuffle = bo.shuffle ?? isTrain;
    const augment = bo.augment ?? (bo.compat ? true : isTrain);
    const orderRng = createRng(seed);
    const augRng = createRng(seed + AUGMENT_SEED_OFFSET);
    const window = shuffle ? shuffleScenes : 1;
    const order = list.map((_, i) => i);
    if (shuffle) shuffleInPlace(order, orderRng);
    // Prefetch queue of scene loads (errors are caught per scene).
    const queue: Promise<LoadedScene | DatasetProblem>[] = [];
    let next = 0;
    const enqueue = () => {
      while (queue.length < prefetch && next < order.length) {
        const load = this.#loadOrProblem(list[order[next++]], bo.signal);
        // A prefetched load that fails after the consumer stopped must not become an unhandled rejection.
        load.catch(() => {});
        queue.push(load);
      }
    };
    let buffer: Sample[] = [];
    let pending: Sample[] = [];
    let done = 0;
    const masks = Boolean(this.#options.masks);
    enqueue();
    let scenesInBuffer = 0;
    while (queue.length > 0) {
      throwIfAborted(bo.signal);
      const got = await queue.shift()!;
      enqueue();
      done++;
      bo.onProgress?.({ stage: 'scenes', done, total: order.length });
      if ('code' in got) {
        this.problems.push(got);
        this.#options.onProblem?.(got);
      } else {
        this.#checkRevisits(got);
        for (const w of this.#windows) {
          const aug: RotateFlip = augment
            ? { k: augRng.int(4) as RotateFlip['k'], flip: augRng.int(2) === 1 }
            : { k: 0, flip: false };
          buffer.push({ scene: got, window: w, aug });
        }
        scenesInBuffer++;
      }
      if (scenesInBuffer >= window || queue.length === 0) {
        if (shuffle) shuffleInPlace(buffer, orderRng);
        pending = pending.concat(buffer);
        buffer = [];
        scenesInBuffer = 0;
        while (pending.length >= batchSize) {
          yield makeChipBatch(pending.slice(0, batchSize), masks);
          pending = pending.slice(batchSize);
        }
      }
    }
    if (pending.length > 0 && !bo.dropLast) yield makeChipBatch(pending, masks);
  }

  #checkRevisits(scene: LoadedScene): void {
    if (scene.lrShape[0] !== this.revisits && !this.#options.allowFewerRevisits) {
      throw new DatasetError(
        'SHAPE_MISMATCH',
        `${scene.name}: ${scene.lrShape[0]} revisits, ${this.revisits} expected`,
      );
    }
  }
}

/**
 * A scene load's failure as this package's error: a DatasetError as it is, an abort (or any failure once `signal`
 * fired) as `ABORTED`, any other (raster-io's `NOT_A_TIFF`, `TOO_LARGE`, …) as `UNREADABLE_FILE` with its code in
 * the message, as `batches` words it.
 */
function loadError(entry: SceneEntry, e: unknown, signal?: AbortSignal): DatasetError {
  if (e instanceof DatasetError && (e.code === 'ABORTED' || !signal?.aborted)) return e;
  const { code, name } = (e ?? {}) as { code?: unknown; name?: unknown };
  // a failure once the signal fired is the abort's doing (a reader cut off mid-read), not the file's
  if (code === 'ABORTED' || name === 'AbortError' || signal?.aborted)
    return new DatasetError('ABORTED', `${entry.name}: loading aborted`, { cause: e });
  return new DatasetError('UNREADABLE_FILE', `${entry.name}: ${causeText(e)}`, { cause: e });
}

/** Why a split left every scene out: no split column (`'csv'`), or a map naming none of the scenes. */
function noSceneSplit(
  mode: 'csv' | 'all' | Readonly<Record<string, SplitName>>,
  scenes: number,
): DatasetError {
  if (typeof mode === 'string') {
    return new DatasetError(
      'DATASET_LAYOUT',
      `no scene has a split: the AOI list has no "split" column; use split('all') or pass a name → split map`,
    );
  }
  const names = Object.keys(mode)
    .slice(0, 3)
    .map((n) => JSON.stringify(n));
  return new DatasetError(
    'INVALID_ARGUMENT',
    `split: mode names none of the ${scenes} scenes of this dataset (it names ${names.join(', ') || 'no scene'}${Object.keys(mode).length > 3 ? ', …' : ''})`,
  );
}

/** stratify's paper split; its argument errors become this package's (the options came through `split`). */
function paperSplitOf(names: string[], options: PaperSplitOptions): ReturnType<typeof paperSplit> {
  try {
    return paperSplit(names, options);
  } catch (e) {
    if (!(e instanceof StratifyError) || e.code !== 'INVALID_ARGUMENT') throw e;
    throw new DatasetError('INVALID_ARGUMENT', `split: mode.paper: ${e.message}`, { cause: e });
  }
}

/** Fisher–Yates with the seeded generator (same draws as before the class existed). */
function shuffleInPlace<T>(items: T[], rng: { int(n: number): number }): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
}

/** Crop, augment and stack the samples' LR/HR (and mask) chips into one batch. */
function makeChipBatch(samples: Sample[], masks: boolean): ChipBatch {
  const B = samples.length;
  const r = samples[0].scene.lrShape[0];
  const c = samples[0].scene.lrShape[1];
  const odd = samples.find((s) => s.scene.lrShape[0] !== r || s.scene.lrShape[1] !== c);
  if (odd) {
    throw new DatasetError(
      'SHAPE_MISMATCH',
      `batch mixes ${samples[0].scene.name} (${r}×${c}) and ${odd.scene.name} (${odd.scene.lrShape[0]}×${odd.scene.lrShape[1]} revisits×bands); with allowFewerRevisits use batchSize 9 or filter scenes by availableRevisits`,
    );
  }
  const chip = samples[0].window.lr.size;
  const hrChip = samples[0].window.hr.size;
  const hrC = samples[0].scene.hrShape[0];
  const lr = new Float32Array(B * r * c * chip * chip);
  const hr = new Float32Array(B * hrC * hrChip * hrChip);
  const lrc = masks ? new Float32Array(B * r * chip * chip) : null;
  samples.forEach((s, b) => {
    const L = s.scene.lrShape[2];
    const lrChip = cropPlanes(s.scene.lr, r * c, L, L, s.window.lr.top, s.window.lr.left, chip);
    lr.set(rotateFlip(lrChip, r * c, chip, s.aug), b * r * c * chip * chip);
    const H = s.scene.hrShape[1];
    const hrCrop = cropPlanes(s.scene.hr, hrC, H, H, s.window.hr.top, s.window.hr.left, hrChip);
    hr.set(rotateFlip(hrCrop, hrC, hrChip, s.aug), b * hrC * hrChip * hrChip);
    if (lrc && s.scene.lrc) {
      const m = cropPlanes(s.scene.lrc, r, L, L, s.window.lr.top, s.window.lr.left, chip);
      lrc.set(rotateFlip(m, r, chip, s.aug), b * r * chip * chip);
    }
  });
  const batch: ChipBatch = {
    lr: { data: lr, shape: [B, r, c, chip, chip] },
    hr: { data: hr, shape: [B, hrC, hrChip, hrChip] },
    names: samples.map((s) => s.scene.name),
    chips: samples.map((s) => s.window.index),
  };
  if (lrc) batch.lrc = { data: lrc, shape: [B, r, 1, chip, chip] };
  return batch;
}
