// Structural checks of catalogue items: what a search hit must satisfy before its footprint, time and cloud
// cover are trusted. Catalogues serve absurd values (lat 91, lon 500, 1e308, cloud cover "lots").

/** An item a search skipped, and why. */
export interface InvalidItem {
  /** Item id, or null when the item had none. */
  id: string | null;
  reason: string;
}

/** Coordinates walked per geometry before giving up (a footprint has tens to thousands). */
const MAX_COORDINATES = 1_000_000;

/**
 * Why a lon/lat position is unusable, or undefined when it is fine.
 *
 * @param p - `[lon, lat, ...]`
 * @returns the reason or undefined
 */
export function invalidPosition(p: unknown): string | undefined {
  if (!Array.isArray(p) || p.length < 2) return 'a position is not [lon, lat]';
  const [lon, lat] = p;
  if (typeof lon !== 'number' || typeof lat !== 'number' || !Number.isFinite(lon) || !Number.isFinite(lat))
    return `position ${JSON.stringify(p.slice(0, 2))} is not finite numbers`;
  if (lon < -180 || lon > 180) return `longitude ${lon} is outside [-180, 180]`;
  if (lat < -90 || lat > 90) return `latitude ${lat} is outside [-90, 90]`;
  return undefined;
}

/**
 * Why a GeoJSON geometry's coordinates are unusable, or undefined when they are fine.
 * Wrong nesting, non-finite or out-of-range degrees, rings with fewer than 4 positions.
 *
 * @param g - the geometry
 * @returns the reason or undefined
 */
export function invalidGeometry(g: unknown): string | undefined {
  if (!g || typeof g !== 'object') return 'geometry is not an object';
  const { type, coordinates } = g as { type?: unknown; coordinates?: unknown };
  const depth: Record<string, number> = {
    Point: 0,
    MultiPoint: 1,
    LineString: 1,
    MultiLineString: 2,
    Polygon: 2,
    MultiPolygon: 3,
  };
  if (typeof type !== 'string' || !(type in depth))
    return `geometry type ${JSON.stringify(type)} is not supported`;
  let seen = 0;
  const walk = (c: unknown, d: number): string | undefined => {
    if (d === 0) {
      if (++seen > MAX_COORDINATES) return `geometry has more than ${MAX_COORDINATES} positions`;
      return invalidPosition(c);
    }
    if (!Array.isArray(c) || c.length === 0) return `${type} coordinates are not nested arrays`;
    if (d === 1 && (type === 'Polygon' || type === 'MultiPolygon') && c.length < 4)
      return `${type} ring has ${c.length} positions (at least 4)`;
    for (const x of c) {
      const why = walk(x, d - 1);
      if (why) return why;
    }
    return undefined;
  };
  return walk(coordinates, depth[type]);
}

/**
 * Why a STAC item cannot be trusted, or undefined when it is fine.
 * No id, not a Feature, bad geometry or bbox, no parseable `datetime` (nor `start_datetime`/`end_datetime`), an
 * `eo:cloud_cover` that is not a number in [0, 100], or `assets` that is not an object. A missing `eo:cloud_cover` or missing `assets` is allowed (a
 * `fields` search may drop them); consumers treat them as unknown. With `partial` (a `fields` search), missing
 * `type`, `geometry`, `properties` and `datetime` are allowed too; what is present is still checked.
 *
 * @param item - anything a search returned
 * @param options - `partial` for items of a `fields` search
 * @returns the reason or undefined
 * @example
 * ```ts
 * validateStacItem({ type: 'Feature', id: 'x', geometry: null, properties: { datetime: 'soon' } });
 * // 'datetime "soon" is not RFC 3339'
 * ```
 */
export function validateStacItem(item: unknown, options: { partial?: boolean } = {}): string | undefined {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return 'item is not an object';
  const it = item as Record<string, unknown>;
  if (typeof it.id !== 'string' || it.id === '') return 'item has no string id';
  // a `fields` search returns only what was asked for: check what is there
  const absent = (k: string) => options.partial === true && it[k] === undefined;
  if (it.type !== 'Feature' && !absent('type')) return `type is ${JSON.stringify(it.type)}, not "Feature"`;
  if (it.geometry !== null && !absent('geometry')) {
    const why = invalidGeometry(it.geometry);
    if (why) return why;
  }
  if (it.bbox !== undefined) {
    const b = it.bbox;
    if (!Array.isArray(b) || (b.length !== 4 && b.length !== 6)) return 'bbox is not 4 or 6 numbers';
    const half = b.length / 2;
    const why = invalidPosition([b[0], b[1]]) ?? invalidPosition([b[half], b[half + 1]]);
    if (why) return `bbox: ${why}`;
  }
  if (absent('properties')) return validAssets(it);
  const p = it.properties;
  if (!p || typeof p !== 'object' || Array.isArray(p)) return 'properties is not an object';
  const props = p as Record<string, unknown>;
  const time = (k: string) => {
    const v = props[k];
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v)))
      return `${k} ${JSON.stringify(v)} is not RFC 3339`;
    return undefined;
  };
  if (props.datetime === undefined && options.partial) {
    // dropped by `fields`
  } else if (props.datetime === null || props.datetime === undefined) {
    const why = time('start_datetime') ?? time('end_datetime');
    if (why) return `datetime is null and ${why}`;
  } else {
    const why = time('datetime');
    if (why) return why;
  }
  const cc = props['eo:cloud_cover'];
  if (cc !== undefined && cc !== null && (typeof cc !== 'number' || !(cc >= 0 && cc <= 100)))
    return `eo:cloud_cover ${JSON.stringify(cc)} is not a number in [0, 100]`;
  return validAssets(it);
}

function validAssets(it: Record<string, unknown>): string | undefined {
  if (it.assets !== undefined && (!it.assets || typeof it.assets !== 'object' || Array.isArray(it.assets)))
    return 'assets is not an object';
  return undefined;
}
