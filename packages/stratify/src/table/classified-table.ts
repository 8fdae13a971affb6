import { toCsv } from '@worldstrat/core';
import { Float64, Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import type { ClassColumns } from '../lookup/classify-points.js';

/** A classified point as produced by `classifyPoints` (an `id` is used as the CSV index when present). */
export type ClassifiedPoint = { lon: number; lat: number; id?: number } & ClassColumns;

const COLUMNS = ['lon', 'lat', 'landcover_id', 'LCCS', 'IPCC', 'SMOD_id', 'SMOD'] as const;

/**
 * Classified points as CSV in upstream's `sampled_points.csv` layout: an unnamed index column (the point `id`,
 * else the row number), then `lon, lat, landcover_id, LCCS, IPCC, SMOD_id, SMOD`; `null` values are empty cells.
 * @param rows classified points.
 * @returns CSV text with `\n` line ends.
 * @example
 * classifiedPointsToCsv(await classifyPoints(points, { landcover, smod }));
 */
export function classifiedPointsToCsv(rows: readonly ClassifiedPoint[]): string {
  return toCsv(
    ['', ...COLUMNS],
    rows.map((r, i) => [r.id ?? i, ...COLUMNS.map((c) => r[c])]),
  );
}

/**
 * Classified points as an apache-arrow `Table`: `id` (int32, the point id or row number), `lon`, `lat`
 * (float64), `landcover_id`, `SMOD_id` (int32, nullable), `LCCS`, `IPCC`, `SMOD` (utf8, nullable).
 * @param rows classified points.
 * @returns the table.
 * @example
 * classifiedPointsToTable(rows).getChild('IPCC');
 */
export function classifiedPointsToTable(rows: readonly ClassifiedPoint[]): Table {
  return new Table({
    id: vectorFromArray(
      rows.map((r, i) => r.id ?? i),
      new Int32(),
    ),
    lon: vectorFromArray(
      rows.map((r) => r.lon),
      new Float64(),
    ),
    lat: vectorFromArray(
      rows.map((r) => r.lat),
      new Float64(),
    ),
    landcover_id: vectorFromArray(
      rows.map((r) => r.landcover_id),
      new Int32(),
    ),
    LCCS: vectorFromArray(
      rows.map((r) => r.LCCS),
      new Utf8(),
    ),
    IPCC: vectorFromArray(
      rows.map((r) => r.IPCC),
      new Utf8(),
    ),
    SMOD_id: vectorFromArray(
      rows.map((r) => r.SMOD_id),
      new Int32(),
    ),
    SMOD: vectorFromArray(
      rows.map((r) => r.SMOD),
      new Utf8(),
    ),
  });
}
