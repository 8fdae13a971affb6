import { toCsv } from '@worldstrat/core';
import { Float64, Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { checkArray, invalidArgument } from '../internal/check-arguments.js';
import type { ClassColumns } from '../lookup/classify-points.js';

/** A classified point as produced by `classifyPoints` (an `id` is used as the CSV index when present). */
export type ClassifiedPoint = { lon: number; lat: number; id?: number } & ClassColumns;

const COLUMNS = ['lon', 'lat', 'landcover_id', 'LCCS', 'IPCC', 'SMOD_id', 'SMOD'] as const;

/**
 * What each member of a {@link ClassifiedPoint} may hold (null/undefined allowed where noted). `int32`: an
 * integer in [−2^31, 2^31 − 1], what the Arrow table's int32 column holds and the CSV's integer column means.
 */
const MEMBER_TYPES: Record<
  (typeof COLUMNS)[number] | 'id',
  { type: 'int32' | 'finite' | 'string'; nullable: boolean }
> = {
  id: { type: 'int32', nullable: true },
  lon: { type: 'finite', nullable: false },
  lat: { type: 'finite', nullable: false },
  landcover_id: { type: 'int32', nullable: true },
  LCCS: { type: 'string', nullable: true },
  IPCC: { type: 'string', nullable: true },
  SMOD_id: { type: 'int32', nullable: true },
  SMOD: { type: 'string', nullable: true },
};

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** True when `v` may stand in a column of `type`. */
function fits(type: 'int32' | 'finite' | 'string', v: unknown): boolean {
  if (type === 'string') return typeof v === 'string';
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  return type === 'finite' || (Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX);
}

const WHAT = {
  int32: 'an integer in [-2^31, 2^31 - 1] (an int32 column)',
  finite: 'a finite number',
  string: 'a string',
} as const;

/**
 * The rows as they come in: an array of objects whose members have the types of {@link ClassifiedPoint}, so no
 * object is written as `[object Object]`, no string lands in a number column, and no number is changed on the
 * way into a column (an id past 2^31 − 1 wrapped negative, a code 12.7 became class 12, NaN became 0 or "NaN").
 */
function checkRows(fn: string, rows: unknown): asserts rows is readonly ClassifiedPoint[] {
  checkArray(fn, 'rows', rows as readonly unknown[]);
  (rows as readonly unknown[]).forEach((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r))
      throw invalidArgument(fn, `rows[${i}]`, 'a classified point object', r);
    for (const [key, { type, nullable }] of Object.entries(MEMBER_TYPES)) {
      const v: unknown = (r as Record<string, unknown>)[key];
      if (fits(type, v) || (nullable && v == null)) continue;
      throw invalidArgument(fn, `rows[${i}].${key}`, `${WHAT[type]}${nullable ? ' or null' : ''}`, v);
    }
  });
}

/**
 * Classified points as CSV in upstream's `sampled_points.csv` layout: an unnamed index column (the point `id`,
 * else the row number), then `lon, lat, landcover_id, LCCS, IPCC, SMOD_id, SMOD`; `null` values are empty cells.
 * @param rows classified points.
 * @returns CSV text with `\n` line ends.
 * @throws StratifyError `INVALID_ARGUMENT` naming the row or member that is not of a classified point's type
 *   (`id`, `landcover_id`, `SMOD_id`: int32 integers or null; `lon`, `lat`: finite numbers).
 * @example
 * classifiedPointsToCsv(await classifyPoints(points, { landcover, smod }));
 */
export function classifiedPointsToCsv(rows: readonly ClassifiedPoint[]): string {
  checkRows('classifiedPointsToCsv', rows);
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
 * @throws StratifyError `INVALID_ARGUMENT` naming the row or member that is not of a classified point's type
 *   (`id`, `landcover_id`, `SMOD_id`: int32 integers or null, never wrapped, truncated or NaN → 0; `lon`,
 *   `lat`: finite numbers).
 * @example
 * classifiedPointsToTable(rows).getChild('IPCC');
 */
export function classifiedPointsToTable(rows: readonly ClassifiedPoint[]): Table {
  checkRows('classifiedPointsToTable', rows);
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
