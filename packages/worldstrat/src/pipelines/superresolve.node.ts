// `superresolve` / `infer` pipeline: Sentinel-2 revisits + a weights file (.safetensors on TF.js or ONNX
// Runtime, .onnx on ONNX Runtime) → SR GeoTIFF + PNG, through @worldstrat/srnet's whole-scene
// chipping/blending and atomic writer. The revisits are local GeoTIFFs (files, or a release-layout revisit
// folder), or are found for an AOI + date range in a STAC API (or the SentinelHub Catalog) and downloaded
// into the release layout first (eo-fetch's revisit stages: search → match → windowed COG reads, resumable).

import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { natCompare } from '@worldstrat/core';
import { aoiPixelSize, getStacProvider, lrRevisitPaths, type MatchedRevisit } from '@worldstrat/eo-fetch';
import {
  downloadRevisits,
  type RevisitProvider,
  searchRevisits,
  searchSkipLines,
} from '@worldstrat/eo-fetch/node';
import { type Aoi, createAoi } from '@worldstrat/geo-sampling';
import type { BBox, Raster, RasterIoLimits } from '@worldstrat/raster-io';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import { SrnetError } from '@worldstrat/srnet';
import { superResolveToFile } from '@worldstrat/srnet/node';
import { throwIfAborted, WorldStratError } from '../errors.js';
import { checkDay, checkObject, checkOptionalString, checkStringList } from '../internal/check-arguments.js';
import { downloadFailureError, leadingFailure } from '../internal/download-failures.js';
import { checkOutputPaths } from '../internal/output-paths.node.js';
import type { EngineChoice } from './evaluate-models.node.js';
import { definePipeline, type PipelineContext } from './pipeline.js';
import { loadSuperresolveEngine } from './superresolve-engine.node.js';

/**
 * Where to super-resolve when the revisits come from a catalogue: a WorldStrat-size AOI around a point (the
 * release's geometry: a square of `areaKm2` km² on WGS-84 geodesics, default 2.5 km² ≈ 158 × 158 LR px), or an
 * explicit lon/lat box `[minLon, minLat, maxLon, maxLat]`. `name` names the revisit folder and files.
 */
export type SuperresolveAoi =
  | { lon: number; lat: number; areaKm2?: number; name?: string }
  | { bbox: BBox; name?: string };

/** What the catalogue search and download of an AOI run found and fetched (in {@link SuperresolveResult}). */
export interface SuperresolveSearchReport {
  /** The AOI searched (name = revisit folder name). */
  aoi: { name: string; lon: number; lat: number; bounds: BBox; areaKm2: number };
  /** Human-readable provider (`STAC earth-search at https://…`). */
  provider: string;
  dateRange: [string, string];
  targetDate: string;
  /** Revisits asked for (the model's revisit count unless given). */
  wanted: number;
  /** Catalogue items returned for the AOI and window (before coverage / cloud / duplicate filtering). */
  found: number;
  searchRequests: number;
  /** Download root (`<workDir>/lr_dataset/<AOI>/L2A/…`, manifest in `<workDir>/rebuild/`). */
  workDir: string;
  /** Revisits downloaded by this run, and revisits found complete from an earlier run (resumed). */
  downloaded: number;
  skipped: number;
  /** The matched acquisitions, best first, with the file each became (failed ones are in `failed`). */
  revisits: {
    n: number;
    itemId: string;
    datetime: string;
    /** Scene cloud cover in percent; null when the catalogue gave none. */
    cloudCover: number | null;
    deltaDays: number;
    file: string;
  }[];
  failed: { n: number; itemId: string; code: string; message: string }[];
  /** Catalogue items left out as unusable (bad footprint, cloud cover, datetime). */
  invalidItems: { id: string | null; reason: string }[];
  /** Scenes without a cloud cover (ranked last, or excluded under `maxCloudCover`). */
  unknownCloudCover: { id: string; excluded: boolean }[];
  /** Catalogue warnings (e.g. an unsupported filter). */
  warnings: string[];
}

/** Options of the superresolve pipeline. */
export interface SuperresolveOptions {
  /**
   * Revisit GeoTIFFs (co-registered L2A, 12 bands), or one folder holding `*-L2A_data.tiff` files. Give
   * exactly one of `inputs` and `aoi`.
   */
  inputs?: readonly string[];
  /** Search and download the revisits for this AOI instead (needs `dateRange`). */
  aoi?: SuperresolveAoi;
  /** With `aoi`: acquisition window `[start, end]`, ISO dates `YYYY-MM-DD` (inclusive days). */
  dateRange?: readonly [string, string];
  /** With `aoi`: date revisits are ranked against (|Δdays| + cloud cover). Default: middle of `dateRange`. */
  targetDate?: string;
  /** With `aoi`: catalogue. Default `{ kind: 'stac' }` (Element 84 Earth Search, no key). */
  provider?: RevisitProvider;
  /** With `aoi`: hard scene cloud-cover limit in percent (also sent to the catalogue). */
  maxCloudCover?: number;
  /** With `aoi`: revisits to fetch. Default: the model's revisit count. */
  revisits?: number;
  /**
   * With `aoi`: download root; revisits go to `<workDir>/lr_dataset/<AOI>/L2A/` and a re-run skips those
   * already complete. Default: next to `out`, `<out without .tif>-revisits/`.
   */
  workDir?: string;
  /** With `aoi`: revisits downloaded at once (default 4). */
  concurrency?: number;
  /** With `aoi`: fetch used for the catalogue and the COG range requests. */
  fetch?: typeof fetch;
  /** Weights: `.safetensors` (PyTorch-layout state_dict) or `.onnx` (srnet export). Exactly one of weights/model. */
  weights?: string;
  /** Or a third-party ONNX model described by a STAC MLM document (JSON); its bands, scaling and tile size apply. */
  model?: string;
  /** Output GeoTIFF path (float32, deflate). */
  out: string;
  /** PNG quicklook path. Default: `out` with `.png`. `false` to skip. */
  quicklook?: string | false;
  /** Inference engine. Default 'onnx' for .onnx files, else 'tfjs'. */
  engine?: EngineChoice;
  /** LR chip overlap (0 or 25). Default srnet's (25). */
  overlap?: number;
  /** Chips per inference batch. Default 8. */
  batchSize?: number;
  /** Use `*-CLM.tiff` masks found next to the revisits (cloudy pixels count as bad when selecting). Default true. */
  cloudMasks?: boolean;
  /** GeoTIFF read limits for every file read (raster-io defaults when absent). */
  readLimits?: Partial<RasterIoLimits>;
  /** Inputs hold L2A DN instead of reflectance: reflectance = DN·scale + offset. */
  reflectance?: { scale?: number; offset?: number };
}

/** Result of the superresolve pipeline. */
export interface SuperresolveResult {
  out: string;
  quicklook?: string;
  engine: string;
  /** `name`: the descriptor's `mlm:name` when a model descriptor was run. */
  model: { kind: string; revisits: number; name?: string };
  inputs: string[];
  /** Revisits used (indices into `inputs`). */
  used: number[];
  /** With `aoi`: what was searched and downloaded (item ids, dates, files). */
  search?: SuperresolveSearchReport;
  width: number;
  height: number;
  bytes: number;
  validFraction: number;
  /**
   * Problems with the used revisits (srnet `SceneWarning`: `EMPTY_BAND` — a band without any valid pixel;
   * `IMPLAUSIBLE_VALUES` — |reflectance| > 1e5, treated as missing). `revisit` indexes `inputs`.
   */
  warnings: { code: string; revisit: number; band: number; count: number; message: string }[];
  seconds: number;
}

/**
 * Expand inputs: a folder becomes its `*-L2A_data.tiff` files (Python natsort order, as the
 * release numbers revisits); files are kept in the given order.
 *
 * @param inputs - files and/or one folder.
 * @returns revisit paths.
 * @throws {WorldStratError} `DATASET_NOT_FOUND` for a missing path; `INVALID_ARGUMENT` when nothing is found.
 */
export async function expandRevisitInputs(inputs: readonly string[]): Promise<string[]> {
  checkStringList('expandRevisitInputs', 'inputs', inputs);
  const out: string[] = [];
  for (const p of inputs) {
    if (!existsSync(p)) throw new WorldStratError('DATASET_NOT_FOUND', `revisit input ${p} does not exist`);
    if (statSync(p).isDirectory()) {
      const files = (await readdir(p)).filter((f) => /L2A_data\.tiff?$/i.test(f)).sort(natCompare);
      out.push(...files.map((f) => join(p, f)));
    } else out.push(p);
  }
  if (out.length === 0)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `no revisit GeoTIFFs in ${inputs.join(', ')}; pass *-L2A_data.tiff files or a folder holding them`,
    );
  return out;
}

/** Largest AOI side in LR pixels: whole revisits are held in memory (≈ 200 MB per 12-band revisit here). */
export const MAX_AOI_SIDE_PX = 2048;

const fmt = (x: number) => x.toFixed(5);

/**
 * The AOI of a catalogue run: a point becomes the release's box (geo-sampling `createAoi`, WGS-84 geodesics,
 * default 2.5 km²); a box is checked and kept.
 *
 * @param aoi - point (`lon`, `lat`, optional `areaKm2`) or `bbox`, optional `name`.
 * @returns the AOI (name, centre, bounds, area).
 * @throws {WorldStratError} `INVALID_ARGUMENT` naming the bad coordinate, box, area or name, or when the box
 *   is larger than {@link MAX_AOI_SIDE_PX} 10 m pixels on a side.
 * @example
 * ```ts
 * resolveSuperresolveAoi({ lon: 8.54, lat: 47.37 }).bounds; // ≈ [8.5321, 47.3629, 8.5479, 47.3771]
 * ```
 */
export function resolveSuperresolveAoi(aoi: SuperresolveAoi): Aoi {
  checkObject('resolveSuperresolveAoi', 'aoi', aoi);
  checkOptionalString('resolveSuperresolveAoi', 'aoi.name', aoi.name);
  const bad = (msg: string): never => {
    throw new WorldStratError('INVALID_ARGUMENT', msg);
  };
  let out: Aoi;
  if ('bbox' in aoi) {
    const b = aoi.bbox;
    if (!Array.isArray(b) || b.length !== 4 || b.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
      bad(`AOI bbox ${JSON.stringify(b)}: expected [minLon, minLat, maxLon, maxLat] in degrees`);
    const [w, s, e, n] = b;
    if (w < -180 || e > 180 || s < -90 || n > 90)
      bad(`AOI bbox ${JSON.stringify(b)} is outside lon [-180, 180] / lat [-90, 90]`);
    if (!(w < e && s < n))
      bad(
        `AOI bbox ${JSON.stringify(b)} needs minLon < maxLon and minLat < maxLat (order: west, south, east, north; split boxes crossing the antimeridian)`,
      );
    const [pw, ph] = aoiPixelSize(b, 10, { maxSidePx: Number.MAX_SAFE_INTEGER }); // checked below, with this pipeline's own limit
    out = {
      name: aoi.name ?? `BBOX_${fmt(w)}_${fmt(s)}_${fmt(e)}_${fmt(n)}`,
      lon: (w + e) / 2,
      lat: (s + n) / 2,
      bounds: [w, s, e, n],
      areaKm2: (pw * ph * 100) / 1e6,
      source: 'superresolve',
    };
  } else {
    const { lon, lat } = aoi;
    if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180)
      bad(`AOI longitude ${String(lon)} must be a number in [-180, 180]`);
    if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90)
      bad(`AOI latitude ${String(lat)} must be a number in [-90, 90]`);
    const areaKm2 = aoi.areaKm2 ?? 2.5;
    if (!(Number.isFinite(areaKm2) && areaKm2 > 0)) bad(`AOI areaKm2 ${areaKm2} must be a number > 0`);
    try {
      out = createAoi({ name: aoi.name ?? `AOI_${fmt(lon)}_${fmt(lat)}`, lon, lat }, areaKm2, {
        source: 'superresolve',
        polar: 'error',
      });
    } catch (err) {
      throw new WorldStratError(
        'INVALID_ARGUMENT',
        `AOI around (${lon}, ${lat}): ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (out.bounds[0] > out.bounds[2])
      bad(`the AOI around (${lon}, ${lat}) crosses the antimeridian; give a bbox on one side of it`);
  }
  if (!/^[\w.+-]+$/.test(out.name) || out.name === '.' || out.name === '..')
    bad(`AOI name ${JSON.stringify(out.name)}: use letters, digits, '.', '_', '+', '-' (it names a folder)`);
  const [pw, ph] = aoiPixelSize(out.bounds, 10, { maxSidePx: Number.MAX_SAFE_INTEGER });
  if (pw > MAX_AOI_SIDE_PX || ph > MAX_AOI_SIDE_PX)
    bad(
      `AOI ${out.name} ${JSON.stringify(out.bounds)} is ${pw} × ${ph} px at 10 m; superresolve reads whole revisits into memory, keep each side ≤ ${MAX_AOI_SIDE_PX} px (≈ 20 km) or split the area`,
    );
  return out;
}

const describeProvider = (p: RevisitProvider): string => {
  if (p.kind === 'sentinelhub') return `SentinelHub at ${p.baseUrl ?? 'https://services.sentinel-hub.com'}`;
  const sp = typeof p.provider === 'object' ? p.provider : getStacProvider(p.provider ?? 'earth-search');
  return `STAC ${sp.id} at ${p.url ?? sp.url}`;
};

/** Search + download the revisits of one AOI; returns the downloaded data files (best first) and the report. */
async function fetchAoiRevisits(
  options: SuperresolveOptions & { aoi: SuperresolveAoi; dateRange: readonly [string, string] },
  aoi: Aoi,
  wanted: number,
  context: PipelineContext,
): Promise<{ inputs: string[]; report: SuperresolveSearchReport }> {
  const provider: RevisitProvider = options.provider ?? { kind: 'stac' };
  const providerText = describeProvider(provider);
  const dateRange: [string, string] = [options.dateRange[0], options.dateRange[1]];
  const targetDate =
    options.targetDate ??
    new Date((Date.parse(`${dateRange[0]}T00:00:00Z`) + Date.parse(`${dateRange[1]}T23:59:59Z`)) / 2)
      .toISOString()
      .slice(0, 10);
  const workDir = options.workDir ?? `${options.out.replace(/\.tiff?$/i, '')}-revisits`;
  context.log?.(
    `searching ${providerText} for ${wanted} revisit(s) of ${aoi.name} ${JSON.stringify(aoi.bounds.map((x) => +x.toFixed(6)))}, ${dateRange[0]}..${dateRange[1]} (target ${targetDate})`,
  );
  const notFound = (why: string, cause?: unknown) =>
    new WorldStratError(
      'REVISITS_NOT_FOUND',
      `no revisit for AOI ${aoi.name} ${JSON.stringify(aoi.bounds.map((x) => +x.toFixed(6)))} between ${dateRange[0]} and ${dateRange[1]} from ${providerText}: ${why}; widen the date range${options.maxCloudCover !== undefined ? ' or raise the cloud limit' : ''}, or check the AOI`,
      cause ? { cause } : undefined,
    );
  const cloudText = options.maxCloudCover !== undefined ? ` with ≤ ${options.maxCloudCover} % cloud` : '';
  const found = await searchRevisits(
    [aoi],
    {
      provider,
      dateRange,
      targetDate,
      nRevisits: wanted,
      ...(options.maxCloudCover !== undefined ? { maxCloudCover: options.maxCloudCover } : {}),
      levels: ['L2A'],
      ...(options.fetch ? { fetch: options.fetch } : {}),
    },
    context,
  ).catch((err: unknown) => {
    // eo-fetch's matcher refuses an empty result (NO_MATCHES): say it for this AOI, window and provider
    if ((err as { code?: string })?.code === 'NO_MATCHES')
      throw notFound(`no Sentinel-2 L2A scene in the window covers the whole AOI${cloudText}`, err);
    throw err;
  });
  for (const line of searchSkipLines(found)) context.log?.(line);
  const matched: MatchedRevisit[] = found.revisits.L2A ?? [];
  const nFound = found.found.L2A?.[aoi.name] ?? 0;
  if (matched.length === 0)
    throw notFound(
      nFound === 0
        ? 'the catalogue returned no Sentinel-2 L2A scene'
        : `the catalogue returned ${nFound} scene(s), but none covers the whole AOI${cloudText}`,
    );
  if (matched.length < wanted)
    context.log?.(
      `only ${matched.length} of ${wanted} revisits match (of ${nFound} scenes); the model repeats revisits to fill its slots — widen the date range for more`,
    );
  const dl = await downloadRevisits(
    [aoi],
    { L2A: matched },
    {
      root: workDir,
      provider,
      levels: ['L2A'],
      concurrency: options.concurrency ?? 4,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    },
    context,
  );
  const failedN = new Set(dl.failures.map((f) => f.n));
  const failed = dl.failures.map((f) => ({
    n: f.n,
    itemId: matched.find((m) => m.n === f.n)?.entry.id ?? '',
    code: f.code,
    message: f.message,
  }));
  const ok = matched.filter((m) => !failedN.has(m.n));
  const lead = leadingFailure(failed);
  if (ok.length === 0 && lead)
    throw downloadFailureError(
      failed,
      `all ${matched.length} revisit download(s) for ${aoi.name} failed (first: ${lead.itemId}: ${lead.message})`,
      'run again to retry',
    );
  for (const f of failed)
    context.log?.(`revisit ${f.n} (${f.itemId}) failed: ${f.message}; going on without it (re-run to retry)`);
  const revisits = ok.map((m) => ({
    n: m.n,
    itemId: m.entry.id,
    datetime: m.entry.datetime,
    cloudCover: m.entry.cloudCover,
    deltaDays: m.deltaDays,
    file: join(workDir, lrRevisitPaths(aoi.name, m.n, 'L2A').data),
  }));
  const counts = dl.downloads.L2A ?? { downloaded: 0, skipped: 0 };
  return {
    inputs: revisits.map((r) => r.file),
    report: {
      aoi: { name: aoi.name, lon: aoi.lon, lat: aoi.lat, bounds: aoi.bounds, areaKm2: aoi.areaKm2 },
      provider: providerText,
      dateRange,
      targetDate,
      wanted,
      found: nFound,
      searchRequests: found.searchRequests,
      workDir,
      downloaded: counts.downloaded,
      skipped: counts.skipped,
      revisits,
      failed,
      invalidItems: found.invalidItems.map(({ id, reason }) => ({ id, reason })),
      unknownCloudCover: found.unknownCloudCover.map(({ id, excluded }) => ({ id, excluded })),
      warnings: found.warnings,
    },
  };
}

/**
 * `superresolve`: revisits + weights → SR GeoTIFF + PNG quicklook (atomic writes; Ctrl-C leaves no file). The
 * revisits are `inputs` (local files), or, with `aoi` + `dateRange`, searched in the catalogue, matched
 * (closest to `targetDate`, least cloud, footprint covering the AOI) and downloaded into
 * `<workDir>/lr_dataset/<AOI>/L2A/` (resumable: a re-run reads what is complete instead of fetching it again).
 * Progress stages: `search L2A`, `download L2A`, `read`, `select`, `infer`.
 *
 * @throws {WorldStratError} `INVALID_ARGUMENT` (neither or both of `inputs`/`aoi`, bad AOI or dates, `out` or
 *   the quicklook naming a revisit, cloud mask, model file or each other),
 *   `REVISITS_NOT_FOUND` (no catalogue scene matches), `DOWNLOAD_FAILED`, `DATASET_NOT_FOUND`, `ABORTED`.
 * @example
 * ```ts
 * await superresolvePipeline.run({ aoi: { lon: 8.54, lat: 47.37 }, dateRange: ['2022-06-01', '2022-06-30'],
 *   weights: 'highresnet.safetensors', out: 'zurich-sr.tif' });
 * ```
 */
export const superresolvePipeline = definePipeline<SuperresolveOptions, SuperresolveResult>({
  name: 'superresolve',
  description:
    'super-resolve Sentinel-2 revisits (local GeoTIFFs, or found for an AOI + date range via STAC and downloaded) with SRCNN / HighRes-net weights → GeoTIFF + PNG',
  async run(options, context = {}) {
    const t0 = performance.now();
    checkGeoTiffName(options.out);
    const target = checkSuperresolveTarget(options);
    let inputs = target ? [] : await expandRevisitInputs(options.inputs ?? []);
    const { engine, modelName, modelFiles, sceneOptions } = await loadSuperresolveEngine(options);
    try {
      // before any revisit is searched, downloaded or read: the outputs replace none of the inputs
      await checkSuperresolveOutputs(options, inputs, modelFiles);
      let search: SuperresolveSearchReport | undefined;
      if (target) {
        const fetched = await fetchAoiRevisits(
          { ...options, aoi: target.request, dateRange: target.dateRange },
          target.aoi,
          options.revisits ?? engine.config.revisits,
          context,
        );
        inputs = fetched.inputs;
        search = fetched.report;
        await checkSuperresolveOutputs(options, inputs, modelFiles);
      }
      context.log?.(
        `${engine.config.kind} R=${engine.config.revisits} on ${engine.name}; ${inputs.length} revisit file(s)`,
      );
      const { scene, masks } = await readRevisitScene(inputs, options, context);
      const quicklook = quicklookPathOf(options);
      const r = await superResolveToFile(scene, options.out, {
        engine,
        ...sceneOptions(scene),
        ...(quicklook ? { quicklookPath: quicklook } : {}),
        ...(options.overlap !== undefined ? { overlap: options.overlap } : {}),
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        ...(masks.some(Boolean) ? { cloudMasks: masks } : {}),
        ...(options.reflectance ? { reflectance: options.reflectance } : {}),
        ...(context.signal ? { signal: context.signal } : {}),
        onProgress: (p) => context.onProgress?.({ stage: p.stage, done: p.done, total: p.total }),
      }).catch((err: unknown) => {
        throw withRevisitFile(err, inputs);
      });
      const warnings = r.warnings.map((w) => ({
        ...w,
        message: `${inputs[w.revisit] ?? `revisit ${w.revisit}`}: ${w.message}`,
      }));
      for (const w of warnings) context.log?.(`warning ${w.code}: ${w.message}`);
      return {
        out: options.out,
        ...(quicklook ? { quicklook } : {}),
        engine: engine.name,
        model: {
          kind: engine.config.kind,
          revisits: engine.config.revisits,
          ...(modelName ? { name: modelName } : {}),
        },
        inputs,
        used: r.revisits.used,
        ...(search ? { search } : {}),
        width: r.raster.width,
        height: r.raster.height,
        bytes: r.bytes,
        validFraction: onesFraction(r.validMask),
        warnings,
        seconds: (performance.now() - t0) / 1000,
      };
    } finally {
      engine.dispose();
    }
  },
});

/**
 * srnet names a revisit by its index (`details.index`); add which input file that is, keeping class and code.
 * A band count that no revisit has comes without an index (every file is wrong): name the inputs then.
 */
function withRevisitFile(err: unknown, inputs: readonly string[]): unknown {
  if (!(err instanceof SrnetError)) return err;
  const index = err.details.index;
  const file =
    typeof index === 'number'
      ? inputs[index]
      : err.code === 'BAD_BANDS' && inputs.length > 0
        ? fileList(inputs)
        : undefined;
  if (file === undefined) return err;
  return new SrnetError(err.code, `${file}: ${err.message}`, err.details, { cause: err });
}

/** Input files for a message: all of a few, else the first three and a count. */
function fileList(files: readonly string[]): string {
  return files.length <= 3
    ? files.join(', ')
    : `${files.slice(0, 3).join(', ')} and ${files.length - 3} more`;
}

/** The PNG quicklook path: `quicklook`, else `out` with `.png`; undefined when `quicklook` is false. */
function quicklookPathOf(options: SuperresolveOptions): string | undefined {
  if (options.quicklook === false) return undefined;
  return options.quicklook ?? `${options.out.replace(/\.tiff?$/i, '')}.png`;
}

/**
 * `out` is the GeoTIFF: a name ending in another image format's extension would put a GeoTIFF under that name
 * and the quicklook at `<name>.png` beside it (`sr.png` → a TIFF at `sr.png` and a PNG at `sr.png.png`).
 */
function checkGeoTiffName(out: string): void {
  const ext = /\.(png|jpe?g|gif|webp|bmp|svg)$/i.exec(out)?.[0];
  if (ext)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `out ${out} ends in ${ext}, but out names the GeoTIFF to write (e.g. ${out.slice(0, -ext.length)}.tif); the PNG quicklook goes to quicklook (default: out with .png)`,
    );
}

/** The cloud mask beside a revisit (`…-CLM.tiff` for `…-L2A_data.tiff`); the revisit itself when none applies. */
const cloudMaskPathOf = (revisit: string): string => revisit.replace(/L2A_data(\.tiff?)$/i, 'CLM$1');

/**
 * Stage: the GeoTIFF and the quicklook are distinct files and replace no revisit, cloud mask or model file
 * (each write is an atomic rename, so an input named as `out` would be lost without a trace).
 */
async function checkSuperresolveOutputs(
  options: SuperresolveOptions,
  revisits: readonly string[],
  modelFiles: readonly string[],
): Promise<void> {
  const quicklook = quicklookPathOf(options);
  const masks = revisits.map(cloudMaskPathOf).filter((m, i) => m !== revisits[i] && existsSync(m));
  await checkOutputPaths(
    [{ path: options.out, what: 'output' }, ...(quicklook ? [{ path: quicklook, what: 'quicklook' }] : [])],
    [
      ...revisits.map((path) => ({ path, what: 'revisit input' })),
      ...masks.map((path) => ({ path, what: 'cloud mask' })),
      ...modelFiles.map((path) => ({ path, what: 'model file' })),
    ],
  );
}

/** A checked catalogue target: the AOI, as requested and resolved, and its date window. */
interface SuperresolveTarget {
  request: SuperresolveAoi;
  aoi: Aoi;
  dateRange: [string, string];
}

/**
 * Share of ones in a 0/1 mask. An indexed loop: a `for…of` over a large array, in a function that runs once per
 * scene, is never optimised and allocates an iterator result per pixel.
 */
function onesFraction(mask: Uint8Array): number {
  let ones = 0;
  for (let i = 0; i < mask.length; i++) ones += mask[i] as number;
  return ones / mask.length;
}

/**
 * Stage: exactly one of local inputs or an AOI; for an AOI, its dates, revisit count and cloud limit checked;
 * with local inputs, none of the search-only options. Returns the AOI target, or undefined for local inputs.
 */
function checkSuperresolveTarget(options: SuperresolveOptions): SuperresolveTarget | undefined {
  const hasInputs = (options.inputs?.length ?? 0) > 0;
  const hasAoi = options.aoi !== undefined;
  if (hasInputs === hasAoi)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      hasAoi
        ? `superresolve got both inputs (${options.inputs?.join(', ')}) and an AOI (${JSON.stringify(options.aoi)}); give local revisit files or an AOI + date range, not both`
        : 'superresolve needs local revisit inputs (GeoTIFFs or a lr_dataset/<AOI>/L2A folder) or an AOI (lon/lat point or bbox) + date range to search the catalogue',
    );
  if (!options.aoi) {
    for (const key of ['dateRange', 'targetDate', 'maxCloudCover', 'workDir'] as const)
      if (options[key] !== undefined)
        throw new WorldStratError(
          'INVALID_ARGUMENT',
          `${key} only applies when searching revisits for an AOI; with local inputs leave it out`,
        );
    return undefined;
  }
  const aoi = resolveSuperresolveAoi(options.aoi);
  if (!options.dateRange)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `superresolve for AOI ${aoi.name} needs a dateRange [start, end] (YYYY-MM-DD) to search revisits in`,
    );
  const dateRange: [string, string] = [
    checkDay(options.dateRange[0], 'dateRange start'),
    checkDay(options.dateRange[1], 'dateRange end'),
  ];
  if (dateRange[0] > dateRange[1])
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `dateRange ${dateRange[0]}/${dateRange[1]} ends before it starts; give [start, end]`,
    );
  if (options.targetDate !== undefined) checkDay(options.targetDate, 'targetDate');
  if (options.revisits !== undefined && !(Number.isInteger(options.revisits) && options.revisits >= 1))
    throw new WorldStratError('INVALID_ARGUMENT', `revisits ${options.revisits} must be an integer ≥ 1`);
  const cloud = options.maxCloudCover;
  if (cloud !== undefined && !(Number.isFinite(cloud) && cloud >= 0 && cloud <= 100))
    throw new WorldStratError('INVALID_ARGUMENT', `maxCloudCover ${cloud} must be a percentage in [0, 100]`);
  return { request: options.aoi, aoi, dateRange };
}

/** Stage: read the revisits, each with its cloud mask (`…CLM.tif` beside `…L2A_data.tif`) when present. */
async function readRevisitScene(
  inputs: readonly string[],
  options: SuperresolveOptions,
  context: PipelineContext,
): Promise<{ scene: Raster[]; masks: (Raster | undefined)[] }> {
  const scene: Raster[] = [];
  const masks: (Raster | undefined)[] = [];
  for (const [i, p] of inputs.entries()) {
    throwIfAborted(context.signal);
    scene.push(await readGeoTiffFile(p, { signal: context.signal, limits: options.readLimits }));
    const clm = cloudMaskPathOf(p);
    masks.push(
      options.cloudMasks !== false && clm !== p && existsSync(clm)
        ? await readGeoTiffFile(clm, { signal: context.signal, limits: options.readLimits })
        : undefined,
    );
    context.onProgress?.({ stage: 'read', done: i + 1, total: inputs.length });
  }
  return { scene, masks };
}
