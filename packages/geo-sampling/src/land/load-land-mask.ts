import type { Position } from 'geojson';
import { GeoSamplingError } from '../errors.js';
import { checkOptions } from '../internal/check-arguments.js';
import { describeValue } from '../internal/geometry-checks.js';
import {
  createLandMask,
  type LandGeometryInput,
  topojsonToFeatures,
  type VectorLandMask,
} from './land-mask.js';

/** Natural Earth scales shipped by the `world-atlas` package. */
export type NaturalEarthScale = '10m' | '50m' | '110m';

/** Options of {@link loadLandMask}. */
export interface LoadLandMaskOptions {
  /** Natural Earth scale (default '10m', 1:10 000 000, ≈410 k vertices). */
  scale?: NaturalEarthScale;
  /** Grid resolution (default 30 cells per degree). */
  cellsPerDegree?: number;
}

/**
 * Natural Earth ≥ 4.0 ships "Null Island", a fictitious ≈1 km² island at (0°, 0°) used to catch geocoding
 * errors; it is not land, so it is dropped from the embedded mask.
 */
function withoutNullIsland(topo: LandGeometryInput): LandGeometryInput {
  const fc = topojsonToFeatures(topo);
  const polygons: Position[][][] = [];
  for (const f of fc.features) {
    const g = f.geometry;
    const list = g?.type === 'Polygon' ? [g.coordinates] : g?.type === 'MultiPolygon' ? g.coordinates : [];
    for (const poly of list) {
      const outer = poly[0];
      const isNullIsland = outer.every(([x, y]) => Math.abs(x) < 0.01 && Math.abs(y) < 0.01);
      if (!isNullIsland) polygons.push(poly);
    }
  }
  return { type: 'MultiPolygon', coordinates: polygons };
}

const cache = new Map<string, Promise<VectorLandMask>>();
let defaultMask: VectorLandMask | undefined;

async function importTopology(scale: NaturalEarthScale): Promise<LandGeometryInput> {
  // Static specifiers so bundlers can see (and split out) the JSON; Node needs the `type: 'json'` attribute.
  let mod: { default: unknown };
  if (scale === '10m') mod = await import('world-atlas/land-10m.json', { with: { type: 'json' } });
  else if (scale === '50m') mod = await import('world-atlas/land-50m.json', { with: { type: 'json' } });
  else if (scale === '110m') mod = await import('world-atlas/land-110m.json', { with: { type: 'json' } });
  else {
    throw new GeoSamplingError(
      'INVALID_ARGUMENT',
      `unknown Natural Earth scale '${String(scale)}'; use '10m', '50m' or '110m'`,
    );
  }
  return (mod.default ?? mod) as LandGeometryInput;
}

/**
 * Loads the embedded land mask: Natural Earth land polygons (public domain, via the `world-atlas` package)
 * rasterised into a bit grid with an exact point-in-polygon fallback on coastline cells (see
 * {@link createLandMask}). Lakes and inland seas enclosed by land polygons count as land, like upstream's
 * GLOBE-derived mask. Results are cached per (scale, resolution); the first call with the defaults also makes
 * {@link isLand} usable.
 * @param options scale and grid resolution.
 * @returns the mask.
 * @throws GeoSamplingError `INVALID_ARGUMENT` for `options` that is not an object, an unknown scale or a
 *   `cellsPerDegree` that is not an integer in [1, 240].
 * @example
 * const mask = await loadLandMask();
 * mask.isLand(2.35, 48.85); // Paris → true
 */
export function loadLandMask(options?: LoadLandMaskOptions): Promise<VectorLandMask> {
  try {
    options = checkOptions('loadLandMask', options);
  } catch (err) {
    return Promise.reject(err);
  }
  const scale = options.scale ?? '10m';
  const cellsPerDegree = options.cellsPerDegree ?? 30;
  // Checked before the (slow) topology import; a string such as '30' must not alias the cache key of 30.
  if (
    typeof cellsPerDegree !== 'number' ||
    !Number.isInteger(cellsPerDegree) ||
    cellsPerDegree < 1 ||
    cellsPerDegree > 240
  ) {
    return Promise.reject(
      new GeoSamplingError(
        'INVALID_ARGUMENT',
        `cellsPerDegree must be an integer in [1, 240], got ${describeValue(cellsPerDegree)}`,
      ),
    );
  }
  if (scale !== '10m' && scale !== '50m' && scale !== '110m') {
    return Promise.reject(
      new GeoSamplingError(
        'INVALID_ARGUMENT',
        `unknown Natural Earth scale ${describeValue(scale)}; use '10m', '50m' or '110m'`,
      ),
    );
  }
  const key = `${scale}/${cellsPerDegree}`;
  let p = cache.get(key);
  if (!p) {
    p = importTopology(scale).then((topo) => {
      const mask = createLandMask(withoutNullIsland(topo), {
        cellsPerDegree,
        source: `Natural Earth land 1:${scale.replace('m', '')}m (world-atlas 2), ${cellsPerDegree} cells/°`,
      });
      if (scale === '10m' && cellsPerDegree === 30) defaultMask = mask;
      return mask;
    });
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

/**
 * True when (lon, lat) is on land according to the default embedded mask (Natural Earth 1:10m).
 * @param lon longitude in degrees, [−180, 180].
 * @param lat latitude in degrees, [−90, 90].
 * @returns whether the point is land (lakes count as land).
 * @throws GeoSamplingError `LAND_MASK_NOT_LOADED` until `await loadLandMask()` has completed once;
 *   `INVALID_LONGITUDE` / `INVALID_LATITUDE` for bad coordinates.
 * @example
 * await loadLandMask();
 * isLand(0, 0); // Gulf of Guinea → false
 */
export function isLand(lon: number, lat: number): boolean {
  if (!defaultMask) {
    throw new GeoSamplingError(
      'LAND_MASK_NOT_LOADED',
      'the default land mask is not loaded yet; call `await loadLandMask()` once before isLand()',
    );
  }
  return defaultMask.isLand(lon, lat);
}
