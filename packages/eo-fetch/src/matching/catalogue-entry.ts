// Catalogue rows: the provider-neutral view of a search hit that temporal matching works on.
import { EoFetchError } from '../errors.js';
import type { StacGeometry, StacItem } from '../stac/stac-types.js';
import { type InvalidItem, validateStacItem } from '../stac/validate-item.js';

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

/**
 * Turns a STAC item (Earth Search, Planetary Computer, SentinelHub Catalog) into a {@link CatalogueEntry}.
 * A missing `eo:cloud_cover` becomes `cloudCover: null` (unknown), never 0.
 *
 * @param item - the item (needs a valid footprint and `properties.datetime`)
 * @param source - the `source` column (default `Sentinel2`)
 * @returns the entry
 * @throws {@link EoFetchError} `INVALID_ITEM` for items that fail `validateStacItem`, have no Polygon/MultiPolygon
 *   footprint or no datetime
 * @example
 * ```ts
 * const entries = (await stac.search(params)).map((it) => catalogueEntryFromStacItem(it));
 * ```
 */
export function catalogueEntryFromStacItem(item: StacItem, source = 'Sentinel2'): CatalogueEntry {
  const why = validateStacItem(item);
  if (why) throw new EoFetchError('INVALID_ITEM', `catalogue item ${String(item?.id)}: ${why}`);
  const p = item.properties;
  if (!p.datetime) throw new EoFetchError('INVALID_ITEM', `catalogue item ${item.id} has no datetime`);
  const cc = p['eo:cloud_cover'];
  return {
    id: item.id,
    source,
    datetime: new Date(p.datetime).toISOString(),
    cloudCover: typeof cc === 'number' ? cc : null,
    geometry: asFootprint(item.geometry, item.id),
    ...(p['s2:datatake_id'] ? { datatakeId: String(p['s2:datatake_id']) } : {}),
    ...(p.platform ? { platform: String(p.platform).toLowerCase() } : {}),
    ...(typeof p['sat:relative_orbit'] === 'number' ? { relativeOrbit: p['sat:relative_orbit'] } : {}),
    item,
  };
}

/**
 * Converts many STAC items, skipping and reporting the ones {@link catalogueEntryFromStacItem} rejects.
 *
 * @param items - search hits
 * @param source - the `source` column (default `Sentinel2`)
 * @returns `{ entries, invalidItems }`
 * @example
 * ```ts
 * const { entries, invalidItems } = catalogueEntriesFromStacItems(await stac.search(params));
 * ```
 */
export function catalogueEntriesFromStacItems(
  items: readonly StacItem[],
  source = 'Sentinel2',
): { entries: CatalogueEntry[]; invalidItems: InvalidItem[] } {
  const entries: CatalogueEntry[] = [];
  const invalidItems: InvalidItem[] = [];
  for (const it of items) {
    try {
      entries.push(catalogueEntryFromStacItem(it, source));
    } catch (err) {
      if (!(err instanceof EoFetchError)) throw err;
      invalidItems.push({ id: typeof it?.id === 'string' ? it.id : null, reason: err.message });
    }
  }
  return { entries, invalidItems };
}
