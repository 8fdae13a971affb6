// Temporal matching: keep scenes whose footprint covers the AOI, rank them by
// rank(|Δdays|) + rank(cloud cover), keep the best N and number them 1..N. Same-datatake duplicates from
// overlapping tiles are dropped and reported (upstream keeps them).
import type { BBox } from '@worldstrat/core';
import { CoreError, parseIsoDay, parseIsoTime, pythonRound2 } from '@worldstrat/core';
import { EoFetchError } from '../errors.js';
import {
  checkAois,
  checkFunction,
  checkNumber,
  checkNumberArray,
  checkObject,
  checkOptions,
  invalidArgument,
} from '../internal/check-arguments.js';
import { invalidGeometry } from '../stac/validate-item.js';
import type { CatalogueEntry } from './catalogue-entry.js';
import { footprintCoverage } from './geodesic-area.js';

/** The AOI fields matching needs (a geo-sampling `Aoi` fits). */
export interface MatchAoi {
  name: string;
  bounds: BBox;
  /** Per-AOI target date (ISO-8601), e.g. the SPOT acquisition date; overrides `options.targetDate`. */
  targetDate?: string | Date;
  /** Nominal area (km²), written to revisit metadata as `area`. */
  areaKm2?: number;
}

/** Options of {@link matchRevisits}. */
export interface MatchRevisitsOptions {
  /** Target date for AOIs without their own (ISO-8601 date or datetime, or a Date). */
  targetDate?: string | Date;
  /** Revisits kept per AOI (default 16; use 1 for SPOT). */
  nRevisits?: number;
  /**
   * Coverage factor (default 0.999). A footprint is kept when its intersection with the AOI, in km² rounded to
   * 2 decimals, is > `minCoverage` × the AOI's area (`areaKm2`, else the box's geodesic area) — upstream's
   * `area > 0.999·aoi_area` — or when it covers more than `minCoverage` of the box itself.
   */
  minCoverage?: number;
  /** Weight of rank(|Δdays|) (default 1). */
  deltaImportance?: number;
  /** Weight of rank(cloud cover) (default 1). */
  cloudImportance?: number;
  /** Hard limit on cloud cover (≤, percent). */
  maxCloudCover?: number;
  /** Hard limit on |Δdays|. */
  maxDeltaDays?: number;
  /**
   * Drop acquisitions of the same datatake seen through overlapping tiles (default true). Without a datatake id,
   * two entries are one acquisition when platform (and relative orbit, when known) agree and their times are
   * within `duplicateWindowMs`. The entry with the lower cloud cover is kept.
   */
  dropDuplicates?: boolean;
  /** Time window for duplicate detection without datatake ids (default 5 min). */
  duplicateWindowMs?: number;
}

/** Defaults of {@link matchRevisits}. */
export const DEFAULT_MATCH_REVISITS = {
  nRevisits: 16,
  minCoverage: 0.999,
  deltaImportance: 1,
  cloudImportance: 1,
  dropDuplicates: true,
  duplicateWindowMs: 5 * 60_000,
} as const satisfies MatchRevisitsOptions;

/** One selected revisit. */
export interface MatchedRevisit {
  aoi: string;
  /** File number 1..N by rank (1 = best). */
  n: number;
  entry: CatalogueEntry;
  /** Revisit UTC date − target date, in whole days (signed). */
  deltaDays: number;
  /** rank(|Δ|)·wΔ + rank(cloud)·wc with average ranks for ties. */
  rank: number;
  /** Geodesic area of footprint ∩ AOI in km², rounded to 2 decimals (upstream column `area`). */
  areaKm2: number;
  /** Fraction of the AOI covered. */
  coverage: number;
  /** Target date used (YYYY-MM-DD). */
  targetDate: string;
}

/** A duplicate acquisition that was dropped. */
export interface DuplicateAcquisition {
  aoi: string;
  kept: string;
  dropped: string;
  /** Why they are the same acquisition. */
  reason: 'datatake-id' | 'same-time';
}

/** Result of {@link matchRevisits}. */
export interface MatchResult {
  /** Every selected revisit, by AOI (input order) then `n`. */
  revisits: MatchedRevisit[];
  /** Selected revisits per AOI name (AOIs with none map to []). */
  byAoi: Map<string, MatchedRevisit[]>;
  duplicates: DuplicateAcquisition[];
  /** AOIs with fewer than `nRevisits` candidates left. */
  shortfalls: { aoi: string; found: number; wanted: number }[];
  /** Entries rejected because they did not cover the AOI, per AOI. */
  notCovering: Map<string, number>;
  /** Entries skipped as unusable (footprint outside lon/lat ranges, non-finite values, bad date or cloud cover). */
  invalid: { aoi: string; id: string; reason: string }[];
  /**
   * Entries without a cloud cover: ranked after every entry with one, or `excluded` when `maxCloudCover` is set
   * (an unknown value cannot be shown to meet the limit).
   */
  unknownCloudCover: { aoi: string; id: string; excluded: boolean }[];
}

/** Rank key of an unknown cloud cover: worse than any real one (0–100). */
const UNKNOWN_CLOUD = 101;
const cloudKey = (e: CatalogueEntry) => e.cloudCover ?? UNKNOWN_CLOUD;

/**
 * An entry's acquisition instant, read strictly as an ISO-8601 day or date-time (no zone = UTC, as the day used
 * for ranking is read), or undefined: `Date.parse` took a time without a zone as the machine's local time and
 * guessed at other text.
 */
function entryTimeMs(datetime: string): number | undefined {
  try {
    return parseIsoTime(datetime);
  } catch (err) {
    if (err instanceof CoreError) return undefined;
    throw err;
  }
}

/**
 * Instants already read, per entry object and the text they were read from (duplicate checks compare every pair
 * of an AOI's entries; a caller may change an entry's datetime between calls).
 */
const instants = new WeakMap<CatalogueEntry, { text: string; ms: number }>();

/** The instant of an entry that passed {@link invalidEntry}. */
function timeOf(e: CatalogueEntry): number {
  const known = instants.get(e);
  if (known?.text === e.datetime) return known.ms;
  const ms = entryTimeMs(e.datetime) as number;
  instants.set(e, { text: e.datetime, ms });
  return ms;
}

/** Why a catalogue entry cannot be matched, or undefined. */
function invalidEntry(e: CatalogueEntry): string | undefined {
  if (!e || typeof e.id !== 'string') return 'entry has no id';
  if (typeof e.datetime !== 'string' || entryTimeMs(e.datetime) === undefined)
    return `datetime ${JSON.stringify(e.datetime)} is not ISO-8601`;
  const cc = e.cloudCover;
  if (cc !== null && (typeof cc !== 'number' || !(cc >= 0 && cc <= 100)))
    return `cloud cover ${JSON.stringify(cc)} is not a number in [0, 100]`;
  const why = invalidGeometry(e.geometry);
  if (why) return `footprint: ${why}`;
  if (e.geometry.type !== 'Polygon' && e.geometry.type !== 'MultiPolygon')
    return `footprint is a ${String((e.geometry as { type?: unknown }).type)}, not a polygon`;
  return undefined;
}

/** Throws `INVALID_ARGUMENT` unless the AOI bounds are finite degrees with south < north. */
function checkAoiBounds(aoi: MatchAoi): void {
  const b = aoi.bounds;
  const ok =
    Array.isArray(b) &&
    b.length === 4 &&
    b.every((x) => typeof x === 'number' && Number.isFinite(x)) &&
    b[0] >= -180 &&
    b[2] <= 180 &&
    b[0] <= 180 &&
    b[2] >= -180 &&
    b[1] >= -90 &&
    b[3] <= 90 &&
    b[1] < b[3];
  if (!ok)
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `AOI ${aoi.name} bounds ${JSON.stringify(b)} are not [minLon, minLat, maxLon, maxLat] in degrees with minLat < maxLat`,
    );
}

const DAY_MS = 86_400_000;

/**
 * Parses an ISO-8601 date or datetime (no day-first guessing, unlike upstream).
 *
 * @param value - `2021-03-22`, `2021-03-22T10:30:00Z` or a Date
 * @returns the UTC calendar day as ms since epoch (midnight)
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` for anything else, including days not on the calendar
 *   (`2021-02-30`)
 */
export function utcDay(value: string | Date): number {
  if (value instanceof Date) {
    const t = value.getTime();
    if (Number.isNaN(t))
      throw new EoFetchError('INVALID_ARGUMENT', `date ${String(value)} is not a valid date`);
    return Math.floor(t / DAY_MS) * DAY_MS;
  }
  try {
    return parseIsoDay(value, { allowTime: true });
  } catch (err) {
    if (err instanceof CoreError) throw new EoFetchError('INVALID_ARGUMENT', err.message, { cause: err });
    throw err;
  }
}

/**
 * 1-based ascending ranks with ties given their average rank (pandas `rank(method='average')`).
 *
 * @param values - numbers
 * @returns ranks in input order
 * @example
 * ```ts
 * averageRanks([10, 20, 10]); // [1.5, 3, 1.5]
 * ```
 */
export function averageRanks(values: readonly number[]): number[] {
  const idx = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && values[idx[j + 1]] === values[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k]] = r;
    i = j + 1;
  }
  return ranks;
}

function sameAcquisition(
  a: CatalogueEntry,
  b: CatalogueEntry,
  windowMs: number,
): DuplicateAcquisition['reason'] | null {
  if (a.datatakeId && b.datatakeId) return a.datatakeId === b.datatakeId ? 'datatake-id' : null;
  if ((a.platform ?? '') !== (b.platform ?? '')) return null;
  if (a.relativeOrbit !== undefined && b.relativeOrbit !== undefined && a.relativeOrbit !== b.relativeOrbit)
    return null;
  return Math.abs(timeOf(a) - timeOf(b)) <= windowMs ? 'same-time' : null;
}

/**
 * Whether a footprint covers an AOI. Upstream's rule (spec §11): the intersection's area rounded to 2 decimals
 * (its `area` column) > `minCoverage` × the AOI's nominal area, so a 2.5 km² AOI keeps footprints that leave up to
 * ≈ 0.2 % of it uncovered. A box smaller than its nominal area (3×3 tiles near the poles) could never pass that
 * test, even fully covered, so a footprint covering more than `minCoverage` of the box itself is kept too.
 *
 * @param cov - {@link footprintCoverage} of the footprint and the AOI's bounds.
 * @param aoi - the AOI (`areaKm2`: nominal area; default the box's geodesic area).
 * @param minCoverage - the factor (0.999 by default).
 * @returns true when the footprint is kept.
 */
export function coversAoi(
  cov: { areaKm2: number; aoiAreaKm2: number; coverage: number },
  aoi: Pick<MatchAoi, 'areaKm2'>,
  minCoverage: number,
): boolean {
  const aoiArea = typeof aoi.areaKm2 === 'number' && aoi.areaKm2 > 0 ? aoi.areaKm2 : cov.aoiAreaKm2;
  return pythonRound2(cov.areaKm2) > minCoverage * aoiArea || cov.coverage > minCoverage;
}

interface Candidate {
  entry: CatalogueEntry;
  deltaDays: number;
  areaKm2: number;
  coverage: number;
}

/**
 * Selects and numbers revisits per AOI, deterministically.
 * Ties in rank are broken by |Δdays|, then
 * cloud cover, then acquisition time, then id. Entries with an unknown cloud cover come after every entry with
 * one (and are listed in `unknownCloudCover`); unusable entries (footprints outside lon/lat ranges, non-finite
 * values, bad dates or cloud cover) are skipped and listed in `invalid`.
 *
 * @param aois - AOIs (unique names)
 * @param catalogue - entries per AOI name (a Map or record), or one list checked against every AOI
 * @param options - target date, N, coverage threshold, weights, hard limits, duplicate handling
 * @returns selected revisits, duplicates dropped, shortfalls
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` (duplicate AOI names, bad AOI bounds, missing/non-ISO target date),
 *   `NO_MATCHES` when no AOI keeps any revisit
 * @example
 * ```ts
 * const { byAoi } = matchRevisits([aoi], entries, { targetDate: '2021-03-21', nRevisits: 16 });
 * for (const r of byAoi.get(aoi.name)!) console.log(r.n, r.entry.id, r.deltaDays, r.entry.cloudCover);
 * ```
 */
export function matchRevisits(
  aois: readonly MatchAoi[],
  catalogue:
    | readonly CatalogueEntry[]
    | ReadonlyMap<string, readonly CatalogueEntry[]>
    | Readonly<Record<string, readonly CatalogueEntry[]>>,
  options: MatchRevisitsOptions = {},
): MatchResult {
  const fn = 'matchRevisits';
  checkAois(fn, 'aois', aois);
  if (catalogue === null || typeof catalogue !== 'object')
    invalidArgument(
      fn,
      'catalogue',
      'an array of entries, or a Map or object of them per AOI name',
      catalogue,
    );
  checkOptions(fn, options);
  for (const k of ['minCoverage', 'deltaImportance', 'cloudImportance', 'duplicateWindowMs'] as const)
    checkNumber(fn, `options.${k}`, options[k], { optional: true });
  for (const k of ['maxCloudCover', 'maxDeltaDays'] as const)
    checkNumber(fn, `options.${k}`, options[k], { optional: true, infinite: true });
  const opts = { ...DEFAULT_MATCH_REVISITS, ...options };
  if (!Number.isInteger(opts.nRevisits) || opts.nRevisits < 1)
    throw new EoFetchError('INVALID_ARGUMENT', `nRevisits must be a positive integer, got ${opts.nRevisits}`);
  const names = new Set<string>();
  for (const a of aois) {
    if (names.has(a.name))
      throw new EoFetchError(
        'INVALID_ARGUMENT',
        `AOI name ${a.name} is not unique; every AOI needs its own name`,
      );
    names.add(a.name);
  }
  const entriesFor = (name: string): readonly CatalogueEntry[] =>
    Array.isArray(catalogue)
      ? catalogue
      : catalogue instanceof Map
        ? (catalogue.get(name) ?? [])
        : ((catalogue as Record<string, readonly CatalogueEntry[]>)[name] ?? []);

  const result: MatchResult = {
    revisits: [],
    byAoi: new Map(),
    duplicates: [],
    shortfalls: [],
    notCovering: new Map(),
    invalid: [],
    unknownCloudCover: [],
  };
  for (const aoi of aois) checkAoiBounds(aoi);
  for (const aoi of aois) {
    const target = aoi.targetDate ?? opts.targetDate;
    if (target === undefined)
      throw new EoFetchError(
        'INVALID_ARGUMENT',
        `AOI ${aoi.name} has no targetDate; set aoi.targetDate or options.targetDate`,
      );
    const targetDay = utcDay(target);
    // 1–4: coverage, delta, hard filters
    let cands: Candidate[] = [];
    let notCovering = 0;
    for (const entry of entriesFor(aoi.name)) {
      const why = invalidEntry(entry);
      if (why) {
        result.invalid.push({ aoi: aoi.name, id: String(entry?.id), reason: why });
        continue;
      }
      let cov: ReturnType<typeof footprintCoverage>;
      try {
        cov = footprintCoverage(entry.geometry, aoi.bounds);
      } catch (err) {
        // turf throws plain errors on self-intersecting or degenerate rings
        result.invalid.push({ aoi: aoi.name, id: entry.id, reason: `footprint: ${(err as Error).message}` });
        continue;
      }
      if (!coversAoi(cov, aoi, opts.minCoverage)) {
        notCovering++;
        continue;
      }
      const deltaDays = Math.round((utcDay(entry.datetime) - targetDay) / DAY_MS);
      if (opts.maxDeltaDays !== undefined && Math.abs(deltaDays) > opts.maxDeltaDays) continue;
      if (entry.cloudCover === null) {
        const excluded = opts.maxCloudCover !== undefined;
        result.unknownCloudCover.push({ aoi: aoi.name, id: entry.id, excluded });
        if (excluded) continue;
      } else if (opts.maxCloudCover !== undefined && entry.cloudCover > opts.maxCloudCover) continue;
      cands.push({ entry, deltaDays, areaKm2: pythonRound2(cov.areaKm2), coverage: cov.coverage });
    }
    result.notCovering.set(aoi.name, notCovering);
    // duplicates: keep the less cloudy view of each acquisition
    if (opts.dropDuplicates) {
      const sorted = [...cands].sort(
        (a, b) => cloudKey(a.entry) - cloudKey(b.entry) || a.entry.id.localeCompare(b.entry.id),
      );
      const kept: Candidate[] = [];
      for (const c of sorted) {
        let dup: { k: Candidate; reason: DuplicateAcquisition['reason'] } | undefined;
        for (const k of kept) {
          const reason = sameAcquisition(k.entry, c.entry, opts.duplicateWindowMs);
          if (reason) {
            dup = { k, reason };
            break;
          }
        }
        if (dup)
          result.duplicates.push({
            aoi: aoi.name,
            kept: dup.k.entry.id,
            dropped: c.entry.id,
            reason: dup.reason,
          });
        else kept.push(c);
      }
      cands = kept;
    }
    // 5: ranks
    const rd = averageRanks(cands.map((c) => Math.abs(c.deltaDays)));
    const rc = averageRanks(cands.map((c) => cloudKey(c.entry)));
    // upstream gives an AOI with a single candidate rank 1 (not wΔ + wc)
    const ranked = cands.map((c, i) => ({
      c,
      rank: cands.length === 1 ? 1 : rd[i] * opts.deltaImportance + rc[i] * opts.cloudImportance,
    }));
    ranked.sort(
      (a, b) =>
        Number(a.c.entry.cloudCover === null) - Number(b.c.entry.cloudCover === null) ||
        a.rank - b.rank ||
        Math.abs(a.c.deltaDays) - Math.abs(b.c.deltaDays) ||
        cloudKey(a.c.entry) - cloudKey(b.c.entry) ||
        timeOf(a.c.entry) - timeOf(b.c.entry) ||
        a.c.entry.id.localeCompare(b.c.entry.id),
    );
    const top = ranked.slice(0, opts.nRevisits);
    if (top.length < opts.nRevisits)
      result.shortfalls.push({ aoi: aoi.name, found: top.length, wanted: opts.nRevisits });
    // 6: numbering by rank
    const targetDate = new Date(targetDay).toISOString().slice(0, 10);
    const selected = top.map(({ c, rank }, i) => ({
      aoi: aoi.name,
      n: i + 1,
      entry: c.entry,
      deltaDays: c.deltaDays,
      rank,
      areaKm2: c.areaKm2,
      coverage: c.coverage,
      targetDate,
    }));
    result.byAoi.set(aoi.name, selected);
    result.revisits.push(...selected);
  }
  if (result.revisits.length === 0 && aois.length > 0)
    throw new EoFetchError(
      'NO_MATCHES',
      'no AOI kept any revisit; check the catalogue dates, maxCloudCover/maxDeltaDays, and that footprints cover the AOIs',
    );
  return result;
}

/**
 * Re-ranks selected revisits with the cloud fraction measured inside each AOI (from the downloaded mask)
 * instead of the whole-tile cloud cover, and renumbers them 1..N. Revisits without a measurement keep their
 * tile cloud cover.
 *
 * @param result - output of {@link matchRevisits}
 * @param measured - cloud fraction in [0, 1] for a revisit, or undefined
 * @param options - the weights used for matching
 * @returns a new result (entries keep their tile cloud cover; `rank` and `n` change)
 * @example
 * ```ts
 * const reranked = rerankByCloudFraction(result, (r) => fractions.get(`${r.aoi}/${r.entry.id}`));
 * ```
 */
export function rerankByCloudFraction(
  result: MatchResult,
  measured: (r: MatchedRevisit) => number | undefined,
  options: Pick<MatchRevisitsOptions, 'deltaImportance' | 'cloudImportance'> = {},
): MatchResult {
  const fn = 'rerankByCloudFraction';
  checkObject(fn, 'result', result);
  if (!(result.byAoi instanceof Map)) invalidArgument(fn, 'result.byAoi', 'a Map', result.byAoi);
  checkFunction(fn, 'measured', measured);
  checkOptions(fn, options);
  for (const k of ['deltaImportance', 'cloudImportance'] as const)
    checkNumber(fn, `options.${k}`, options[k], { optional: true });
  const wd = options.deltaImportance ?? 1;
  const wc = options.cloudImportance ?? 1;
  const byAoi = new Map<string, MatchedRevisit[]>();
  const revisits: MatchedRevisit[] = [];
  for (const [aoi, list] of result.byAoi) {
    const cloud = list.map((r) => {
      const f = measured(r);
      return f === undefined ? cloudKey(r.entry) : f * 100;
    });
    const rd = averageRanks(list.map((r) => Math.abs(r.deltaDays)));
    const rc = averageRanks(cloud);
    const order = list
      .map((r, i) => ({ r, rank: rd[i] * wd + rc[i] * wc, cloud: cloud[i] }))
      .sort(
        (a, b) =>
          Number(a.cloud === UNKNOWN_CLOUD) - Number(b.cloud === UNKNOWN_CLOUD) ||
          a.rank - b.rank ||
          Math.abs(a.r.deltaDays) - Math.abs(b.r.deltaDays) ||
          a.cloud - b.cloud ||
          timeOf(a.r.entry) - timeOf(b.r.entry) ||
          a.r.entry.id.localeCompare(b.r.entry.id),
      );
    const renumbered = order.map(({ r, rank }, i) => ({ ...r, rank, n: i + 1 }));
    byAoi.set(aoi, renumbered);
    revisits.push(...renumbered);
  }
  return { ...result, byAoi, revisits };
}

/**
 * Cloud fraction of a Sentinel-2 scene classification (SCL) window.
 * Pixels of classes 3 (cloud shadow),
 * 8, 9 (cloud medium/high probability) and 10 (thin cirrus) over all valid pixels (class 0 = no data excluded).
 *
 * @param scl - SCL values
 * @param cloudClasses - classes counted as cloud (default [3, 8, 9, 10])
 * @returns fraction in [0, 1], or undefined when no pixel is valid
 */
export function cloudFractionFromScl(
  scl: ArrayLike<number>,
  cloudClasses: readonly number[] = [3, 8, 9, 10],
): number | undefined {
  checkNumberArray('cloudFractionFromScl', 'scl', scl);
  checkNumberArray('cloudFractionFromScl', 'cloudClasses', cloudClasses);
  const cloudy = new Set(cloudClasses);
  let valid = 0;
  let cloud = 0;
  for (let i = 0; i < scl.length; i++) {
    const v = scl[i];
    if (v === 0) continue;
    valid++;
    if (cloudy.has(v)) cloud++;
  }
  return valid ? cloud / valid : undefined;
}

/**
 * Cloud fraction of a SentinelHub CLM mask (0 clear, 1 cloud, 255 no data).
 *
 * @param clm - CLM values
 * @returns fraction in [0, 1], or undefined when no pixel is valid
 */
export function cloudFractionFromClm(clm: ArrayLike<number>): number | undefined {
  checkNumberArray('cloudFractionFromClm', 'clm', clm);
  let valid = 0;
  let cloud = 0;
  for (let i = 0; i < clm.length; i++) {
    const v = clm[i];
    if (v === 255 || Number.isNaN(v)) continue;
    valid++;
    if (v === 1) cloud++;
  }
  return valid ? cloud / valid : undefined;
}
