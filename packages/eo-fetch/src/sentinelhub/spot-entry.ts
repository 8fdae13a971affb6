// SPOT search hits as catalogue entries (the columns upstream's SPOT search table has).
import { EoFetchError } from '../errors.js';
import type { CatalogueEntry } from '../matching/catalogue-entry.js';
import { invalidGeometry, quoted, rfc3339Ms } from '../stac/validate-item.js';
import type { SpotFeature } from './sentinel-hub-client.js';

/**
 * Turns a dataimport SPOT feature into a {@link CatalogueEntry} (`source` = `SPOT`).
 * Incidence, azimuths,
 * resolution (kept, unlike upstream) and quicklook/thumbnail links go to `extra`.
 *
 * @param f - a SPOT feature
 * @returns the entry (`cloudCover` null when the feature has none)
 * @throws {@link EoFetchError} `INVALID_ITEM` for a feature without id, date or a valid polygon footprint, or
 *   whose angles, resolution, constellation or links are not of their type and range
 * @example
 * ```ts
 * const entries = spotFeatures.map(catalogueEntryFromSpotFeature);
 * const best = matchRevisits(aois, entries, { targetDate: '2021-03-21', nRevisits: 1 });
 * ```
 */
export function catalogueEntryFromSpotFeature(f: SpotFeature): CatalogueEntry {
  const p = f?.properties;
  const bad = (why: string) => new EoFetchError('INVALID_ITEM', `SPOT feature ${quoted(p?.id)}: ${why}`);
  if (!p || typeof p !== 'object' || typeof p.id !== 'string' || !p.id) throw bad('no string properties.id');
  const t = rfc3339Ms(p.acquisitionDate);
  if (t === undefined)
    throw bad(`properties.acquisitionDate ${quoted(p.acquisitionDate)} is not an RFC 3339 date-time`);
  const cc = p.cloudCover;
  if (cc !== undefined && cc !== null && (typeof cc !== 'number' || !(cc >= 0 && cc <= 100)))
    throw bad(`properties.cloudCover ${quoted(cc)} is not a number in [0, 100]`);
  const why = invalidGeometry(f.geometry);
  if (why || (f.geometry.type !== 'Polygon' && f.geometry.type !== 'MultiPolygon'))
    throw bad(why ?? `footprint is a ${f.geometry.type}, not a polygon`);
  if (p.constellation !== undefined && p.constellation !== null && typeof p.constellation !== 'string')
    throw bad(`properties.constellation ${quoted(p.constellation)} is not a string`);
  const angle = (key: string, min: number, max: number) => {
    const v = p[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !(v >= min && v <= max))
      throw bad(`properties.${key} ${quoted(v)} is not a number in [${min}, ${max}]`);
    return v;
  };
  const href = (key: 'quicklook' | 'thumbnail') => {
    const links: unknown = f._links;
    const link = links && typeof links === 'object' ? (links as Record<string, unknown>)[key] : undefined;
    const v = link && typeof link === 'object' ? (link as { href?: unknown }).href : undefined;
    if (v !== undefined && typeof v !== 'string')
      throw bad(`_links.${key}.href ${quoted(v)} is not a string`);
    return v;
  };
  return {
    id: p.id,
    source: 'SPOT',
    datetime: new Date(t).toISOString(),
    cloudCover: typeof cc === 'number' ? cc : null,
    geometry: f.geometry,
    ...(p.constellation ? { platform: p.constellation } : {}),
    extra: {
      incidence: angle('incidenceAngle', 0, 90),
      resolution: angle('resolution', Number.MIN_VALUE, 1000),
      view_azimuth: angle('azimuthAngle', -360, 360),
      sun_azimuth: angle('illuminationAzimuthAngle', -360, 360),
      sun_elevation: angle('illuminationElevationAngle', -90, 90),
      'quicklook.href': href('quicklook'),
      'thumbnail.href': href('thumbnail'),
    },
  };
}
