// SPOT search hits as catalogue entries (the columns upstream's SPOT search table has).
import { EoFetchError } from '../errors.js';
import type { CatalogueEntry } from '../matching/catalogue-entry.js';
import { invalidGeometry } from '../stac/validate-item.js';
import type { SpotFeature } from './sentinel-hub-client.js';

/**
 * Turns a dataimport SPOT feature into a {@link CatalogueEntry} (`source` = `SPOT`).
 * Incidence, azimuths,
 * resolution (kept, unlike upstream) and quicklook/thumbnail links go to `extra`.
 *
 * @param f - a SPOT feature
 * @returns the entry (`cloudCover` null when the feature has none)
 * @throws {@link EoFetchError} `INVALID_ITEM` for a feature without id, date or a valid polygon footprint
 * @example
 * ```ts
 * const entries = spotFeatures.map(catalogueEntryFromSpotFeature);
 * const best = matchRevisits(aois, entries, { targetDate: '2021-03-21', nRevisits: 1 });
 * ```
 */
export function catalogueEntryFromSpotFeature(f: SpotFeature): CatalogueEntry {
  const p = f?.properties;
  const bad = (why: string) => new EoFetchError('INVALID_ITEM', `SPOT feature ${String(p?.id)}: ${why}`);
  if (!p || typeof p.id !== 'string' || !p.id) throw bad('no string id');
  const t = typeof p.acquisitionDate === 'string' ? Date.parse(p.acquisitionDate) : Number.NaN;
  if (Number.isNaN(t)) throw bad(`acquisitionDate ${JSON.stringify(p.acquisitionDate)} is not a date`);
  const cc = p.cloudCover;
  if (cc !== undefined && cc !== null && (typeof cc !== 'number' || !(cc >= 0 && cc <= 100)))
    throw bad(`cloudCover ${JSON.stringify(cc)} is not a number in [0, 100]`);
  const why = invalidGeometry(f.geometry);
  if (why || (f.geometry.type !== 'Polygon' && f.geometry.type !== 'MultiPolygon'))
    throw bad(why ?? `footprint is a ${f.geometry.type}, not a polygon`);
  return {
    id: p.id,
    source: 'SPOT',
    datetime: new Date(t).toISOString(),
    cloudCover: typeof cc === 'number' ? cc : null,
    geometry: f.geometry,
    ...(p.constellation ? { platform: String(p.constellation) } : {}),
    extra: {
      incidence: p.incidenceAngle,
      resolution: p.resolution,
      view_azimuth: p.azimuthAngle,
      sun_azimuth: p.illuminationAzimuthAngle,
      sun_elevation: p.illuminationElevationAngle,
      'quicklook.href': f._links?.quicklook?.href,
      'thumbnail.href': f._links?.thumbnail?.href,
    },
  };
}
