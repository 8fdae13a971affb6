// Member-by-member checks of JSON the app reads back from files and Redis (matches files, saved rebuild plans,
// unit results, queue job payloads): a hostile or corrupted document fails with a WorldStratError naming its
// source and the member (`revisits.L2A[3].entry.datetime`), never a TypeError deep in a pipeline, a folder
// outside the dataset root, or NaN where a count belongs. The checks only read: callers keep the document
// itself, so hashes of unit parameters stay what the coordinator computed.
import { isAbsolute } from 'node:path';
import type { BBox } from '@worldstrat/core';
import { CoreError, describeValue, parseIsoDay } from '@worldstrat/core';
import {
  catalogueEntryFromStacItem,
  EoFetchError,
  type MatchAoi,
  type MatchedRevisit,
  type S2Level,
  type StacItem,
} from '@worldstrat/eo-fetch';
import { WorldStratError, type WorldStratErrorCode } from '../errors.js';

/** Where a document came from and the code its problems are reported with. */
export interface DocumentSource {
  /** Names the document in messages: `matches file m.json`, `rebuild-download job A-1.0123…`. */
  source: string;
  code: WorldStratErrorCode;
}

/** Most entries of one list (a million revisits is about what a 512 MB matches file can hold). */
export const MAX_LIST_LENGTH = 1_000_000;
/** Longest text member (names, ids, URLs, messages). */
const MAX_TEXT = 4096;

/** The value as a short quote for messages. */
const shown = (v: unknown): string => describeValue(v, 40);

/** Throw the document's typed error for the member `at`. */
export function bad(doc: DocumentSource, at: string, what: string): never {
  throw new WorldStratError(doc.code, `${doc.source}: ${at} ${what}`);
}

/** A JSON object (not null, not an array). */
export function record(doc: DocumentSource, v: unknown, at: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(doc, at, `${shown(v)} is not an object`);
  return v as Record<string, unknown>;
}

/** An array of at most `max` entries. */
export function list(doc: DocumentSource, v: unknown, at: string, max = MAX_LIST_LENGTH): unknown[] {
  if (!Array.isArray(v)) bad(doc, at, `${shown(v)} is not a list`);
  if (v.length > max) bad(doc, at, `has ${v.length} entries, more than ${max}`);
  return v;
}

/** A string of at most `max` characters (non-empty unless `allowEmpty`). */
export function text(
  doc: DocumentSource,
  v: unknown,
  at: string,
  max = MAX_TEXT,
  allowEmpty = false,
): string {
  if (typeof v !== 'string') bad(doc, at, `${shown(v)} is not a string`);
  if (!allowEmpty && v.length === 0) bad(doc, at, 'is empty');
  if (v.length > max) bad(doc, at, `is ${v.length} characters long, more than ${max}`);
  return v;
}

/** A finite number in [min, max]. */
export function finite(doc: DocumentSource, v: unknown, at: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    bad(doc, at, `${shown(v)} is not a number in [${min}, ${max}]`);
  return v;
}

/** An integer in [min, max]. */
export function integer(doc: DocumentSource, v: unknown, at: string, min: number, max: number): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
    bad(doc, at, `${shown(v)} is not an integer in [${min}, ${max}]`);
  return v as number;
}

/** A boolean. */
export function flag(doc: DocumentSource, v: unknown, at: string): boolean {
  if (typeof v !== 'boolean') bad(doc, at, `${shown(v)} is not true or false`);
  return v;
}

/** An ISO-8601 day, or a date-time when `allowTime` (a real calendar day either way). */
export function isoDate(doc: DocumentSource, v: unknown, at: string, allowTime = false): string {
  const s = text(doc, v, at, 64);
  try {
    parseIsoDay(s, { allowTime });
  } catch (e) {
    if (e instanceof CoreError) bad(doc, at, `${shown(s)} is not an ISO-8601 ${allowTime ? 'date' : 'day'}`);
    throw e;
  }
  if (allowTime && Number.isNaN(Date.parse(s))) bad(doc, at, `${shown(s)} is not an ISO-8601 date`);
  return s;
}

/** An AOI name that is usable as one folder name under the dataset root. */
export function aoiName(doc: DocumentSource, v: unknown, at: string): string {
  const s = text(doc, v, at, 256);
  if (/[/\\\0]/.test(s) || s === '.' || s === '..')
    bad(doc, at, `${shown(s)} cannot be used as a folder name`);
  return s;
}

/** `[minLon, minLat, maxLon, maxLat]` in degrees (`minLon > maxLon` across the antimeridian). */
export function lonLatBox(doc: DocumentSource, v: unknown, at: string): BBox {
  const b = list(doc, v, at, 4);
  if (b.length !== 4) bad(doc, at, `has ${b.length} numbers, not 4`);
  for (const i of [0, 2]) finite(doc, b[i], `${at}[${i}]`, -180, 180);
  for (const i of [1, 3]) finite(doc, b[i], `${at}[${i}]`, -90, 90);
  if ((b[1] as number) > (b[3] as number)) bad(doc, at, `${shown(b)}: minLat is above maxLat`);
  return b as BBox;
}

/** Absent (undefined), or what `check` accepts. */
export function optional<T>(v: unknown, check: (v: unknown) => T): T | undefined {
  return v === undefined ? undefined : check(v);
}

const LEVELS: readonly S2Level[] = ['L2A', 'L1C'];

/** A Sentinel-2 level. */
export function level(doc: DocumentSource, v: unknown, at: string): S2Level {
  if (!LEVELS.includes(v as S2Level)) bad(doc, at, `${shown(v)} is not L2A or L1C`);
  return v as S2Level;
}

/** A non-empty list of distinct levels. */
export function levels(doc: DocumentSource, v: unknown, at: string): S2Level[] {
  const ls = list(doc, v, at, LEVELS.length).map((l, i) => level(doc, l, `${at}[${i}]`));
  if (ls.length === 0 || new Set(ls).size !== ls.length) bad(doc, at, `${shown(ls)}: give L2A, L1C or both`);
  return ls;
}

/** The AOI fields matching and downloads use. */
export function matchAoi(doc: DocumentSource, v: unknown, at: string): MatchAoi {
  const a = record(doc, v, at);
  aoiName(doc, a.name, `${at}.name`);
  lonLatBox(doc, a.bounds, `${at}.bounds`);
  optional(a.areaKm2, (x) => finite(doc, x, `${at}.areaKm2`, 0, 1e8));
  optional(a.targetDate, (x) => isoDate(doc, x, `${at}.targetDate`, true));
  return a as unknown as MatchAoi;
}

/** A list of AOIs with distinct names; returns the names. */
export function matchAois(doc: DocumentSource, v: unknown, at: string): Set<string> {
  const names = new Set<string>();
  for (const [i, x] of list(doc, v, at).entries()) {
    const name = matchAoi(doc, x, `${at}[${i}]`).name;
    if (names.has(name)) bad(doc, `${at}[${i}].name`, `${shown(name)} names two AOIs`);
    names.add(name);
  }
  return names;
}

/** A catalogue entry; a STAC item in it must still be one eo-fetch accepts. */
function catalogueEntry(doc: DocumentSource, v: unknown, at: string): void {
  const e = record(doc, v, at);
  text(doc, e.id, `${at}.id`);
  text(doc, e.source, `${at}.source`);
  isoDate(doc, e.datetime, `${at}.datetime`, true);
  if (e.cloudCover !== null) finite(doc, e.cloudCover, `${at}.cloudCover`, 0, 100);
  const g = record(doc, e.geometry, `${at}.geometry`);
  if (g.type !== 'Polygon' && g.type !== 'MultiPolygon')
    bad(doc, `${at}.geometry.type`, `${shown(g.type)} is not Polygon or MultiPolygon`);
  list(doc, g.coordinates, `${at}.geometry.coordinates`);
  for (const k of ['datatakeId', 'platform'] as const) optional(e[k], (x) => text(doc, x, `${at}.${k}`));
  optional(e.relativeOrbit, (x) => integer(doc, x, `${at}.relativeOrbit`, 0, 1e6));
  optional(e.extra, (x) => record(doc, x, `${at}.extra`));
  if (e.item === undefined) return;
  try {
    catalogueEntryFromStacItem(record(doc, e.item, `${at}.item`) as unknown as StacItem);
  } catch (err) {
    if (err instanceof EoFetchError) bad(doc, `${at}.item`, `is not a usable STAC item (${err.message})`);
    throw err;
  }
}

/** One matched revisit of an AOI in `names`. */
export function matchedRevisit(
  doc: DocumentSource,
  v: unknown,
  at: string,
  names: ReadonlySet<string>,
): MatchedRevisit {
  const r = record(doc, v, at);
  const aoi = aoiName(doc, r.aoi, `${at}.aoi`);
  if (!names.has(aoi)) bad(doc, `${at}.aoi`, `${shown(aoi)} is not one of the AOIs`);
  integer(doc, r.n, `${at}.n`, 1, 100_000);
  catalogueEntry(doc, r.entry, `${at}.entry`);
  integer(doc, r.deltaDays, `${at}.deltaDays`, -1e6, 1e6);
  finite(doc, r.rank, `${at}.rank`, -1e12, 1e12); // weights may be any finite numbers
  finite(doc, r.areaKm2, `${at}.areaKm2`, 0, 1e8);
  finite(doc, r.coverage, `${at}.coverage`, 0, 1.001);
  isoDate(doc, r.targetDate, `${at}.targetDate`, true);
  return r as unknown as MatchedRevisit;
}

/** Matched revisits per level, each of an AOI in `names`, `(aoi, n)` distinct within a level. */
export function revisitsByLevel(
  doc: DocumentSource,
  v: unknown,
  at: string,
  names: ReadonlySet<string>,
): Partial<Record<S2Level, MatchedRevisit[]>> {
  const byLevel = record(doc, v, at);
  for (const [l, xs] of Object.entries(byLevel)) {
    level(doc, l, `${at} key`);
    const seen = new Set<string>();
    for (const [i, x] of list(doc, xs, `${at}.${l}`).entries()) {
      const r = matchedRevisit(doc, x, `${at}.${l}[${i}]`, names);
      const key = `${r.aoi}\0${r.n}`;
      if (seen.has(key)) bad(doc, `${at}.${l}[${i}]`, `repeats revisit ${r.n} of ${shown(r.aoi)}`);
      seen.add(key);
    }
  }
  return byLevel as Partial<Record<S2Level, MatchedRevisit[]>>;
}

/** A provider as files and queues record it: kind, URLs, a STAC provider id; no credentials in it. */
export function provider(doc: DocumentSource, v: unknown, at: string): void {
  const p = record(doc, v, at);
  if (p.kind === 'stac') {
    optional(p.url, (x) => httpUrl(doc, x, `${at}.url`));
    // a registry id, or the provider itself (the region pipeline queues its resolved STAC provider)
    optional(p.provider, (x) =>
      typeof x === 'string' ? text(doc, x, `${at}.provider`, 64) : stacProvider(doc, x, `${at}.provider`),
    );
  } else if (p.kind === 'sentinelhub') {
    optional(p.baseUrl, (x) => httpUrl(doc, x, `${at}.baseUrl`));
    optional(p.configPath, (x) => text(doc, x, `${at}.configPath`));
    if (p.credentials !== undefined)
      bad(doc, `${at}.credentials`, 'must not be stored (workers load their own)');
    // the secret is posted to the token endpoint: a job must not choose where
    if (p.tokenUrl !== undefined)
      bad(doc, `${at}.tokenUrl`, 'must not be given (workers use their own service)');
  } else bad(doc, `${at}.kind`, `${shown(p.kind)} is not stac or sentinelhub`);
}

/** A STAC provider description: id, API root, collection per level and asset key per band (all text). */
function stacProvider(doc: DocumentSource, v: unknown, at: string): void {
  const p = record(doc, v, at);
  text(doc, p.id, `${at}.id`, 64);
  httpUrl(doc, p.url, `${at}.url`);
  for (const k of ['collections', 'assetKeys'] as const)
    for (const [key, x] of Object.entries(record(doc, p[k], `${at}.${k}`)))
      text(doc, x, `${at}.${k}.${key}`, 256);
  optional(p.requiresSigning, (x) => flag(doc, x, `${at}.requiresSigning`));
  optional(p.description, (x) => text(doc, x, `${at}.description`));
}

/** An http(s) URL. */
function httpUrl(doc: DocumentSource, v: unknown, at: string): string {
  const s = text(doc, v, at);
  let protocol = '';
  try {
    protocol = new URL(s).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'http:' && protocol !== 'https:') bad(doc, at, `${shown(s)} is not an http(s) URL`);
  return s;
}

/** Partial raster-io read limits: positive numbers. */
export function readLimits(doc: DocumentSource, v: unknown, at: string): void {
  for (const [k, x] of Object.entries(record(doc, v, at)))
    finite(doc, x, `${at}.${k}`, 1, Number.MAX_SAFE_INTEGER);
}

/** An absolute path (units run in other processes: a relative one would resolve elsewhere). */
export function absolutePath(doc: DocumentSource, v: unknown, at: string): string {
  const s = text(doc, v, at);
  if (!isAbsolute(s) || s.includes('\0')) bad(doc, at, `${shown(s)} is not an absolute path`);
  return s;
}

/** `[start, end]` ISO days, start not after end. */
export function dayRange(doc: DocumentSource, v: unknown, at: string): [string, string] {
  const r = list(doc, v, at, 2);
  if (r.length !== 2) bad(doc, at, `has ${r.length} dates, not 2`);
  const [a, b] = r.map((x, i) => isoDate(doc, x, `${at}[${i}]`, true));
  if (Date.parse(a) > Date.parse(b)) bad(doc, at, `${shown(r)}: start is after end`);
  return [a, b];
}

/** Per-level, per-AOI shortfalls of matching (`{ level, aoi, found, wanted }`). */
export function matchShortfalls(doc: DocumentSource, v: unknown, at: string): void {
  for (const [i, s] of list(doc, v, at).entries()) {
    const r = record(doc, s, `${at}[${i}]`);
    level(doc, r.level, `${at}[${i}].level`);
    text(doc, r.aoi, `${at}[${i}].aoi`, 256);
    integer(doc, r.found, `${at}[${i}].found`, 0, 1e6);
    integer(doc, r.wanted, `${at}[${i}].wanted`, 0, 1e6);
  }
}

/** Failures as units report them (`{ aoi, code, message }` and, per revisit, `level` and `n`). */
export function unitFailures(doc: DocumentSource, v: unknown, at: string, perRevisit: boolean): void {
  for (const [i, f] of list(doc, v, at).entries()) {
    const r = record(doc, f, `${at}[${i}]`);
    text(doc, r.aoi, `${at}[${i}].aoi`, 256, true);
    text(doc, r.code, `${at}[${i}].code`, 64);
    text(doc, r.message, `${at}[${i}].message`, 1_000_000, true);
    if (!perRevisit) continue;
    level(doc, r.level, `${at}[${i}].level`);
    integer(doc, r.n, `${at}[${i}].n`, 0, 100_000);
  }
}
