// SPOT search hits as catalogue entries (upstream columns of §9.2).
import type { CatalogueEntry } from '../matching/catalogue-entry.js';
import type { SpotFeature } from './sentinel-hub-client.js';

/**
 * Turns a dataimport SPOT feature into a {@link CatalogueEntry} (`source` = `SPOT`).
 * Incidence, azimuths,
 * resolution (kept, unlike upstream) and quicklook/thumbnail links go to `extra`.
 *
 * @param f - a SPOT feature
 * @returns the entry
 * @example
 * ```ts
 * const entries = spotFeatures.map(catalogueEntryFromSpotFeature);
 * const best = matchRevisits(aois, entries, { targetDate: '2021-03-21', nRevisits: 1 });
 * ```
 */
export function catalogueEntryFromSpotFeature(f: SpotFeature): CatalogueEntry {
  const p = f.properties;
  return {
    id: p.id,
    source: 'SPOT',
    datetime: new Date(p.acquisitionDate).toISOString(),
    cloudCover: Number(p.cloudCover ?? 0),
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
