// The rebuild's per-AOI unit (revisit download → sha256 verify → release layout files) and the dispatch of a
// plan's AOIs through an executor. Each unit keeps its own manifest (`<root>/rebuild/units/<level>/<aoi>.jsonl`)
// so workers on several machines never append to one file; the coordinator merges them into
// `<root>/rebuild/manifest-<level>.jsonl` (one line per file, atomically) once the units are done.
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { MatchAoi, MatchedRevisit, S2Level } from '@worldstrat/eo-fetch';
import {
  appendManifest,
  type DownloadRevisitsResult,
  downloadRevisits,
  type ManifestRecord,
  type RevisitProvider,
  readManifest,
  sha256File,
  stillVerified,
} from '@worldstrat/eo-fetch/node';
import type { RasterIoLimits } from '@worldstrat/raster-io';
import { WorldStratError } from '../errors.js';
import type { PipelineContext } from '../pipelines/pipeline.js';
import {
  absolutePath,
  type DocumentSource,
  finite,
  integer,
  level,
  levels,
  MAX_LIST_LENGTH,
  matchAoi,
  optional,
  provider,
  readLimits,
  record,
  revisitsByLevel,
  unitFailures,
} from './document-checks.node.js';
import type { Executor, ExecutorUnit } from './executor.js';
import type { StageRuntime } from './stage-handlers.node.js';

/** JSON parameters of one `rebuild-download` unit (no credentials: workers load their own). */
export interface RebuildDownloadParams {
  /** Absolute dataset root (shared by every worker). */
  root: string;
  provider: RevisitProvider;
  levels: S2Level[];
  aoi: MatchAoi;
  revisits: Partial<Record<S2Level, MatchedRevisit[]>>;
  idleTimeoutMs?: number;
  readLimits?: Partial<RasterIoLimits>;
}

/** Manifest of one unit and level (`HR` for SPOT downloads). */
export const unitManifestPath = (root: string, level: S2Level | 'HR', aoi: string): string =>
  join(root, 'rebuild', 'units', level, `${aoi}.jsonl`);

/**
 * Run one AOI's revisit downloads (skipping revisits its manifest lists as complete), then re-hash every file
 * the manifest says is verified: a mismatch is recorded as failed (so the retry rewrites it) and thrown.
 *
 * @param params - the unit's parameters.
 * @param context - signal.
 * @param runtime - the process's fetch.
 * @returns the AOI's download counts and failed revisits.
 * @throws {WorldStratError} `CHECKSUM_MISMATCH`; `ABORTED`; eo-fetch errors.
 */
export async function runRebuildDownloadUnit(
  params: RebuildDownloadParams,
  context: PipelineContext,
  runtime: StageRuntime = {},
): Promise<DownloadRevisitsResult> {
  if (!isAbsolute(params.root))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `unit ${params.aoi.name}: root ${params.root} is not absolute`,
    );
  const result = await downloadRevisits(
    [params.aoi],
    params.revisits,
    {
      root: params.root,
      provider: params.provider,
      levels: params.levels,
      concurrency: 1,
      manifestPathFor: (level) => unitManifestPath(params.root, level, params.aoi.name),
      ...(params.idleTimeoutMs !== undefined ? { idleTimeoutMs: params.idleTimeoutMs } : {}),
      ...(params.readLimits ? { readLimits: params.readLimits } : {}),
      ...(runtime.fetch ? { fetch: runtime.fetch } : {}),
    },
    { signal: context.signal },
  );
  for (const level of params.levels) await verifyUnitFiles(params.root, level, params.aoi.name);
  return result;
}

/**
 * Check a `rebuild-download` unit's parameters as a queue delivers them.
 *
 * @param v - the job's data.
 * @param doc - names the job.
 * @returns the same parameters, typed.
 * @throws {WorldStratError} `doc.code` naming the member.
 */
export function checkRebuildDownloadParams(v: unknown, doc: DocumentSource): RebuildDownloadParams {
  const p = record(doc, v, 'params');
  absolutePath(doc, p.root, 'root');
  provider(doc, p.provider, 'provider');
  levels(doc, p.levels, 'levels');
  const aoi = matchAoi(doc, p.aoi, 'aoi');
  revisitsByLevel(doc, p.revisits, 'revisits', new Set([aoi.name]));
  optional(p.idleTimeoutMs, (x) => finite(doc, x, 'idleTimeoutMs', 0, 86_400_000));
  optional(p.readLimits, (x) => readLimits(doc, x, 'readLimits'));
  return p as unknown as RebuildDownloadParams;
}

/**
 * Check a `rebuild-download` unit's result as a queue returns it.
 *
 * @param v - the job's return value.
 * @param doc - names the job.
 * @returns the same result, typed.
 * @throws {WorldStratError} `doc.code` naming the member.
 */
export function checkDownloadResult(v: unknown, doc: DocumentSource): DownloadRevisitsResult {
  const r = record(doc, v, 'result');
  for (const [l, d] of Object.entries(record(doc, r.downloads, 'downloads'))) {
    level(doc, l, 'downloads key');
    const c = record(doc, d, `downloads.${l}`);
    for (const k of ['downloaded', 'skipped', 'failed', 'planned'])
      integer(doc, c[k], `downloads.${l}.${k}`, 0, MAX_LIST_LENGTH);
  }
  integer(doc, r.plannedRequests, 'plannedRequests', 0, 1e9);
  finite(doc, r.processingUnits, 'processingUnits', 0, 1e12);
  unitFailures(doc, r.failures, 'failures', true);
  return r as unknown as DownloadRevisitsResult;
}

async function verifyUnitFiles(root: string, level: S2Level, aoi: string): Promise<void> {
  const manifestPath = unitManifestPath(root, level, aoi);
  const records = await readManifest(manifestPath, { root });
  for (const rec of records.values()) {
    // an untouched file (its stat fingerprint unchanged) is not read again; any other is re-hashed
    if (rec.status !== 'verified' || (await stillVerified(rec.path, rec, 'sha256'))) continue;
    const actual = await sha256File(rec.path).catch(() => 'missing');
    if (actual === rec.sha256) continue;
    await appendManifest(
      manifestPath,
      [
        {
          ...rec,
          status: 'failed',
          bytes: 0,
          sha256: '',
          error: { code: 'CHECKSUM_MISMATCH', message: 'file changed after it was verified' },
          time: new Date().toISOString(),
        },
      ],
      { root },
    );
    throw new WorldStratError(
      'CHECKSUM_MISMATCH',
      `${rec.path}: sha256 ${actual} differs from the manifest's ${rec.sha256}; the unit ${aoi} is retried`,
    );
  }
}

/** Options of {@link downloadThroughExecutor}. */
export interface ExecutorDownloadOptions {
  root: string;
  provider: RevisitProvider;
  levels: readonly S2Level[];
  concurrency?: number;
  idleTimeoutMs?: number;
  readLimits?: Partial<RasterIoLimits>;
  detach?: boolean;
}

/** Parameters a queue may carry: credentials stay with the workers (environment / config file). */
export function shareableProvider(p: RevisitProvider): RevisitProvider {
  // workers use their own credentials, files and token endpoint (see worker-sentinel-hub.node.ts)
  if (p.kind === 'sentinelhub')
    return { kind: 'sentinelhub', ...(p.baseUrl !== undefined ? { baseUrl: p.baseUrl } : {}) };
  return typeof p.provider === 'object' ? { ...p, provider: p.provider.id } : p;
}

/**
 * Download a plan's revisits as one executor unit per AOI, merge the units' manifests and sum their counts.
 * A unit that failed as a whole (after its retries) lists each of its revisits as failed with its code.
 *
 * @param executor - local or queue executor.
 * @param aois - the plan's AOIs.
 * @param revisits - matched revisits per level.
 * @param options - root, provider, levels, limits, detach.
 * @param context - signal, progress, log.
 * @returns counts and failures like `downloadRevisits`, or `null` when detached.
 * @throws {WorldStratError} `QUEUE_UNAVAILABLE`, `ABORTED`.
 */
export async function downloadThroughExecutor(
  executor: Executor,
  aois: readonly MatchAoi[],
  revisits: Partial<Record<S2Level, readonly MatchedRevisit[]>>,
  options: ExecutorDownloadOptions,
  context: PipelineContext,
): Promise<DownloadRevisitsResult | null> {
  const root = resolve(options.root);
  const units: ExecutorUnit<RebuildDownloadParams>[] = aois
    .map((a) => ({
      unit: a.name,
      params: {
        root,
        provider: executor.kind === 'queue' ? shareableProvider(options.provider) : options.provider,
        levels: [...options.levels],
        aoi: { name: a.name, bounds: a.bounds, ...(a.areaKm2 !== undefined ? { areaKm2: a.areaKm2 } : {}) },
        revisits: Object.fromEntries(
          options.levels.map((l) => [l, (revisits[l] ?? []).filter((r) => r.aoi === a.name)]),
        ),
        ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
        ...(options.readLimits ? { readLimits: options.readLimits } : {}),
      },
    }))
    .filter((u) => options.levels.some((l) => (u.params.revisits[l]?.length ?? 0) > 0));
  const run = await executor.run<RebuildDownloadParams, DownloadRevisitsResult>(
    'rebuild-download',
    units,
    { concurrency: options.concurrency, detach: options.detach },
    context,
  );
  if (run.detached) return null;
  const out: DownloadRevisitsResult = { downloads: {}, plannedRequests: 0, processingUnits: 0, failures: [] };
  for (const l of options.levels) out.downloads[l] = { downloaded: 0, skipped: 0, failed: 0, planned: 0 };
  run.outcomes.forEach((o, i) => {
    if (o.ok) {
      for (const [l, d] of Object.entries(o.value.downloads) as [S2Level, typeof out.downloads.L2A][]) {
        const sum = out.downloads[l]!;
        sum.downloaded += d!.downloaded;
        sum.skipped += d!.skipped;
        sum.failed += d!.failed;
      }
      out.failures.push(...o.value.failures);
      return;
    }
    for (const l of options.levels)
      for (const r of units[i].params.revisits[l] ?? []) {
        out.downloads[l]!.failed++;
        out.failures.push({ level: l, aoi: r.aoi, n: r.n, code: o.code, message: o.message });
      }
  });
  for (const l of options.levels)
    await mergeUnitManifests(
      root,
      l,
      units.map((u) => u.unit),
    );
  return out;
}

/** Fold the units' manifests of a level into `<root>/rebuild/manifest-<level>.jsonl` (temp + rename). */
export async function mergeUnitManifests(
  root: string,
  level: S2Level | 'HR',
  aois: readonly string[],
): Promise<void> {
  const main = join(root, 'rebuild', `manifest-${level}.jsonl`);
  const merged = new Map<string, ManifestRecord>(await readManifest(main, { root }));
  for (const a of aois)
    for (const [k, v] of await readManifest(unitManifestPath(root, level, a), { root })) merged.set(k, v);
  const tmp = `${main}.${process.pid}.tmp`;
  await mkdir(dirname(main), { recursive: true });
  await rm(tmp, { force: true });
  const records = [...merged.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  await appendManifest(tmp, records, { root });
  await rename(tmp, main);
}
