// Catalogue rows: the provider-neutral view of a search hit that temporal matching works on.
import { EoFetchError } from '../errors.js';
import type { StacGeometry, StacItem } from '../stac/stac-types.js';
import {
  describeItemId,
  type InvalidItem,
  invalidItemReport,
  quoted,
  rfc3339Ms,
  validateStacItem,
} from '../stac/validate-item.js';

/** A GeoJSON footprint (lon/lat degrees). */
export type Footprint =
  | { type: 'Polygon'; coordinates: number[][][] }
  | { type: 'MultiPolygon'; coordinates: number[][][][] };

/** One catalogue hit (upstream columns `product_id, source, datetime, coordinates, cloud_cover`). */
export interface CatalogueEntry {
  /** Product / item id. */
  id: string;
  /** `Sentinel2`, `SPOT`, or a provider name. */
  source: string;
  /** Acquisition time, ISO-8601 UTC. */
  datetime: string;
  /** Cloud cover of the whole tile/scene, 0–100; null when the catalogue did not give one (ranked last). */
  cloudCover: number | null;
  /** Footprint. */
  geometry: Footprint;
  /** Datatake identifier when the catalogue gives one (Sentinel-2 `s2:datatake_id`). */
  datatakeId?: string;
  /** Platform (`sentinel-2a`, `SPOT6`, ...), used to recognise duplicates without a datatake id. */
  platform?: string;
  /** Relative orbit, when known (duplicates share it). */
  relativeOrbit?: number;
  /** The raw STAC item, when the entry came from one. */
  item?: StacItem;
  /** Anything else the source gave (SPOT incidence, sun angles...). */
  extra?: Record<string, unknown>;
}

function asFootprint(g: StacGeometry | null, id: string): Footprint {
  if (g && (g.type === 'Polygon' || g.type === 'MultiPolygon')) return g as Footprint;
  throw new EoFetchError(
    'INVALID_ITEM',
    `catalogue item ${id} has no Polygon/MultiPolygon footprint (got ${g?.type ?? 'null'})`,
  );
}

/** An optional string property: absent stays absent, anything but a non-empty string is refused. */
function optionalText(p: Record<string, unknown>, key: string, id: string): string | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > 1024)
    throw new EoFetchError(
      'INVALID_ITEM',
      `catalogue item ${id}: properties.${key} ${quoted(v)} is not a string`,
    );
  return v || undefined;
}

/** `sat:relative_orbit` when given: a positive integer (Sentinel-2 has 143 orbits). */
function relativeOrbitOf(p: Record<string, unknown>, id: string): number | undefined {
  const v = p['sat:relative_orbit'];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw new EoFetchError(
      'INVALID_ITEM',
      `catalogue item ${id}: properties.sat:relative_orbit ${quoted(v)} is not a positive integer`,
    );
  return v;
}

/**
 * Turns a STAC item (Earth Search, Planetary Computer, SentinelHub Catalog) into a {@link CatalogueEntry}.
 * A missing `eo:cloud_cover` becomes `cloudCover: null` (unknown), never 0.
 *
 * @param item - the item (needs a valid footprint and `properties.datetime`)
 * @param source - the `source` column (default `Sentinel2`)
 * @returns the entry
 * @throws {@link EoFetchError} `INVALID_ITEM` for items that fail `validateStacItem`, have no Polygon/MultiPolygon
 *   footprint or no datetime, or whose `s2:datatake_id`/`platform` is not a string or `sat:relative_orbit` not a
 *   positive integer
 * @example
 * ```ts
 * const entries = (await stac.search(params)).map((it) => catalogueEntryFromStacItem(it));
 * ```
 */
export function catalogueEntryFromStacItem(item: StacItem, source = 'Sentinel2'): CatalogueEntry {
  const why = validateStacItem(item);
  if (why) throw new EoFetchError('INVALID_ITEM', `catalogue item ${describeItemId(item)}: ${why}`);
  const id = describeItemId(item);
  const p = item.properties;
  const time = rfc3339Ms(p.datetime);
  if (time === undefined)
    throw new EoFetchError('INVALID_ITEM', `catalogue item ${id} has no properties.datetime`);
  const cc = p['eo:cloud_cover'];
  const datatakeId = optionalText(p, 's2:datatake_id', id);
  const platform = optionalText(p, 'platform', id);
  const relativeOrbit = relativeOrbitOf(p, id);
  return {
    id: item.id,
    source,
    datetime: new Date(time).toISOString(),
    cloudCover: typeof cc === 'number' ? cc : null,
    geometry: asFootprint(item.geometry, id),
    ...(datatakeId ? { datatakeId } : {}),
    ...(platform ? { platform: platform.toLowerCase() } : {}),
    ...(relativeOrbit !== undefined ? { relativeOrbit } : {}),
    item,
  };
}

/**
 * Converts many STAC items, skipping and reporting the ones {@link catalogueEntryFromStacItem} rejects.
 *
 * @param items - search hits
 * @param source - the `source` column (default `Sentinel2`)
 * @returns `{ entries, invalidItems }`
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` when `items` is not an array
 * @example
 * ```ts
 * const { entries, invalidItems } = catalogueEntriesFromStacItems(await stac.search(params));
 * ```
 */
export function catalogueEntriesFromStacItems(
  items: readonly StacItem[],
  source = 'Sentinel2',
): { entries: CatalogueEntry[]; invalidItems: InvalidItem[] } {
  if (!Array.isArray(items))
    throw new EoFetchError('INVALID_ARGUMENT', `catalogue items must be an array, got ${quoted(items)}`);
  const entries: CatalogueEntry[] = [];
  const invalidItems: InvalidItem[] = [];
  for (const [i, it] of items.entries()) {
    try {
      entries.push(catalogueEntryFromStacItem(it, source));
    } catch (err) {
      if (!(err instanceof EoFetchError)) throw err;
      invalidItems.push(invalidItemReport(it, err.message, `items[${i}]`));
    }
  }
  return { entries, invalidItems };
}
