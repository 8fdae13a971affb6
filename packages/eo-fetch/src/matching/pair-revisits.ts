// Revisits of a second processing level: selection is done once (on L2A, spec §12) and every other level gets
// the same acquisitions, found in its own catalogue by MGRS tile and datatake / acquisition time, keeping `n`.
import { parseIsoTime, pythonRound2 } from '@worldstrat/core';
import type { CatalogueEntry } from './catalogue-entry.js';
import { footprintCoverage } from './geodesic-area.js';
import { coversAoi, DEFAULT_MATCH_REVISITS, type MatchAoi, type MatchedRevisit } from './match-revisits.js';

/** A selected revisit whose acquisition another level's catalogue does not hold. */
export interface UnpairedRevisit {
  aoi: string;
  /** The selected revisit's number: this level has no file for it. */
  n: number;
  /** Id and acquisition time of the selected (L2A) scene. */
  id: string;
  datetime: string;
}

/** Options of {@link pairRevisits}. */
export interface PairRevisitsOptions {
  /** Coverage factor a counterpart must pass, as in matching (default 0.999). */
  minCoverage?: number;
  /** Largest time difference of one acquisition without datatake ids on both sides (default 5 s). */
  timeWindowMs?: number;
}

/** Default {@link PairRevisitsOptions.timeWindowMs}: the two levels' items carry one sensing time. */
const PAIR_WINDOW_MS = 5_000;

/** `s2:datatake_id` without its processing-baseline suffix (`_N05.09`): the levels may be processed apart. */
const datatakeOf = (e: CatalogueEntry) => e.datatakeId?.replace(/_N\d{2}\.\d{2}$/, '');

/**
 * The MGRS tile of an entry (`31UDQ`): `s2:mgrs_tile` (Planetary Computer), `mgrs:*` (Earth Search v1),
 * `sentinel:*` (Earth Search v0), else a `_31UDQ_` / `_T31UDQ_` part of the id; undefined when none says.
 */
export function mgrsTileOf(e: CatalogueEntry): string | undefined {
  const p = (e.item?.properties ?? {}) as Record<string, unknown>;
  const tile = p['s2:mgrs_tile'];
  if (typeof tile === 'string' && tile) return tile.toUpperCase().replace(/^T/, '');
  for (const ns of ['mgrs', 'sentinel']) {
    const zone = p[`${ns}:utm_zone`];
    const band = p[`${ns}:latitude_band`];
    const square = p[`${ns}:grid_square`];
    if (
      (typeof zone === 'number' || typeof zone === 'string') &&
      typeof band === 'string' &&
      typeof square === 'string'
    )
      return `${String(zone).padStart(2, '0')}${band}${square}`.toUpperCase();
  }
  return /(?:^|_)T?(\d{2}[C-HJ-NP-X][A-HJ-NP-Z]{2})(?=_|$)/.exec(e.id)?.[1];
}

/** Whether two entries are one acquisition: same datatake when both name one, else sensing times within `windowMs`. */
function sameAcquisition(a: CatalogueEntry, b: CatalogueEntry, windowMs: number): boolean {
  const da = datatakeOf(a);
  const db = datatakeOf(b);
  if (da && db && da !== db) return false;
  return Math.abs(parseIsoTime(a.datetime) - parseIsoTime(b.datetime)) <= windowMs;
}

/** The counterpart of a selected revisit among one AOI's entries of another level, or undefined. */
function counterpart(
  r: MatchedRevisit,
  aoi: MatchAoi,
  entries: readonly CatalogueEntry[],
  opts: Required<PairRevisitsOptions>,
): { entry: CatalogueEntry; cov: ReturnType<typeof footprintCoverage> } | undefined {
  const tile = mgrsTileOf(r.entry);
  const t = parseIsoTime(r.entry.datetime);
  let best: { entry: CatalogueEntry; cov: ReturnType<typeof footprintCoverage>; dt: number } | undefined;
  for (const e of entries) {
    const other = mgrsTileOf(e);
    if (tile && other && tile !== other) continue;
    if (!sameAcquisition(r.entry, e, opts.timeWindowMs)) continue;
    let cov: ReturnType<typeof footprintCoverage>;
    try {
      cov = footprintCoverage(e.geometry, aoi.bounds);
    } catch {
      continue; // an unusable footprint cannot be this AOI's file
    }
    if (!coversAoi(cov, aoi, opts.minCoverage)) continue;
    const dt = Math.abs(parseIsoTime(e.datetime) - t);
    if (!best || dt < best.dt || (dt === best.dt && e.id < best.entry.id)) best = { entry: e, cov, dt };
  }
  return best;
}

/**
 * Maps revisits selected on one level to another level's items of the same acquisitions: same MGRS tile (when
 * both entries name one), same datatake (`s2:datatake_id` without its baseline suffix, when both have one) or
 * else sensing times within `timeWindowMs`, and a footprint that covers the AOI. `n`, Δdays and rank are the
 * selected revisit's; the entry is the other level's item, with the selected scene's cloud cover (the sidecar's
 * `cloud_cover`, as upstream and the SentinelHub path write it). A revisit without a counterpart is listed in
 * `unpaired`, never replaced by another scene.
 *
 * @param aois - the AOIs the revisits were selected for.
 * @param selected - the selected revisits (e.g. L2A's `matchRevisits(...).revisits`).
 * @param catalogue - the other level's entries per AOI name.
 * @param options - coverage factor, time window.
 * @returns the paired revisits (selected order) and the unpaired ones.
 * @example
 * ```ts
 * const { revisits, unpaired } = pairRevisits(aois, l2a.revisits, l1cEntriesByAoi);
 * ```
 */
export function pairRevisits(
  aois: readonly MatchAoi[],
  selected: readonly MatchedRevisit[],
  catalogue: ReadonlyMap<string, readonly CatalogueEntry[]>,
  options: PairRevisitsOptions = {},
): { revisits: MatchedRevisit[]; unpaired: UnpairedRevisit[] } {
  const opts = {
    minCoverage: options.minCoverage ?? DEFAULT_MATCH_REVISITS.minCoverage,
    timeWindowMs: options.timeWindowMs ?? PAIR_WINDOW_MS,
  };
  const byName = new Map(aois.map((a) => [a.name, a]));
  const revisits: MatchedRevisit[] = [];
  const unpaired: UnpairedRevisit[] = [];
  for (const r of selected) {
    const aoi = byName.get(r.aoi);
    const found = aoi && counterpart(r, aoi, catalogue.get(r.aoi) ?? [], opts);
    if (!found) {
      unpaired.push({ aoi: r.aoi, n: r.n, id: r.entry.id, datetime: r.entry.datetime });
      continue;
    }
    revisits.push({
      ...r,
      entry: { ...found.entry, cloudCover: r.entry.cloudCover },
      areaKm2: pythonRound2(found.cov.areaKm2),
      coverage: found.cov.coverage,
    });
  }
  return { revisits, unpaired };
}
