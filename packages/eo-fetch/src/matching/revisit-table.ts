// Selected revisits as a table (upstream `filtered_catalogue` columns): apache-arrow in memory, CSV on disk.
import { toCsv } from '@worldstrat/core';
import { Table as ArrowTable, Float64, type Table, Utf8, vectorFromArray } from 'apache-arrow';
import { checkArray, checkRevisitRow } from '../internal/check-arguments.js';
import type { MatchedRevisit } from './match-revisits.js';

const COLUMNS = [
  'name',
  'n',
  'product_id',
  'source',
  'datetime',
  'cloud_cover',
  'area',
  'delta',
  'rank',
  'target_date',
  'coverage',
] as const;

/**
 * Selected revisits as an apache-arrow `Table` with upstream's column names.
 * Columns: `name` (AOI), `n`, `product_id`, `source`, `datetime` (ISO-8601), `cloud_cover`, `area` (km²),
 * `delta` (days), `rank`, `target_date`, `coverage`.
 *
 * @param revisits - `matchRevisits(...).revisits`
 * @returns the table
 * @example
 * ```ts
 * revisitsToTable(match.revisits).numRows;
 * ```
 */
export function revisitsToTable(revisits: readonly MatchedRevisit[]): Table {
  checkRevisitRows('revisitsToTable', revisits);
  const utf8 = (f: (r: MatchedRevisit) => string) => vectorFromArray(revisits.map(f), new Utf8());
  const f64 = (f: (r: MatchedRevisit) => number) => vectorFromArray(Float64Array.from(revisits, f));
  // unknown cloud cover stays null in the table, never 0
  const f64OrNull = (f: (r: MatchedRevisit) => number | null) =>
    vectorFromArray(revisits.map(f), new Float64());
  const i32 = (f: (r: MatchedRevisit) => number) => vectorFromArray(Int32Array.from(revisits, f));
  return new ArrowTable({
    name: utf8((r) => r.aoi),
    n: i32((r) => r.n),
    product_id: utf8((r) => r.entry.id),
    source: utf8((r) => r.entry.source),
    datetime: utf8((r) => r.entry.datetime),
    cloud_cover: f64OrNull((r) => r.entry.cloudCover),
    area: f64((r) => r.areaKm2),
    delta: i32((r) => r.deltaDays),
    rank: f64((r) => r.rank),
    target_date: utf8((r) => r.targetDate),
    coverage: f64((r) => r.coverage),
  });
}

/**
 * Selected revisits as CSV text (same columns as {@link revisitsToTable}, RFC 4180 quoting).
 *
 * @param revisits - `matchRevisits(...).revisits`
 * @returns CSV with a header line
 */
export function revisitsToCsv(revisits: readonly MatchedRevisit[]): string {
  checkRevisitRows('revisitsToCsv', revisits);
  const rows = revisits.map((r) => [
    r.aoi,
    r.n,
    r.entry.id,
    r.entry.source,
    r.entry.datetime,
    r.entry.cloudCover,
    r.areaKm2,
    r.deltaDays,
    r.rank,
    r.targetDate,
    r.coverage,
  ]);
  return toCsv(COLUMNS, rows);
}

/** Every revisit of a table, each column of its type. */
function checkRevisitRows(fn: string, revisits: unknown): void {
  checkArray(fn, 'revisits', revisits);
  for (const [i, r] of (revisits as unknown[]).entries()) checkRevisitRow(fn, `revisits[${i}]`, r);
}
