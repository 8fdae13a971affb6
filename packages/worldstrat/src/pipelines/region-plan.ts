// Region-scale super-resolution plan: the region's LR grid (10 m, UTM zone of the region's centre) and its
// split into tiles with overlap. A region spanning several UTM zones still gets one mosaic on the centre
// zone's grid (the revisits are warped onto it); the side limit keeps that distortion small, the pixel limit
// keeps the run and the mosaic COG (classic TIFF, under 4 GiB) bounded. The mosaic itself is streamed.
import type { BBox, GeoTransform } from '@worldstrat/raster-io';
import { transformCoords, utmEpsgForLonLat } from '@worldstrat/raster-io';
import { WorldStratError } from '../errors.js';
import { checkOptionalString, checkString } from '../internal/check-arguments.js';

/** LR ground resolution of the region grid (Sentinel-2's 10 m bands). */
export const REGION_LR_M = 10;
/** Default largest region side in LR pixels (≈ 82 km: the centre zone's UTM grid stays close to true). */
export const DEFAULT_MAX_REGION_SIDE_PX = 8192;
/**
 * Default largest region area in LR pixels (4096², ≈ 1,680 km²): at srnet's ×3.12 a 4-band float32 mosaic is
 * then ≈ 2.6 GB even uncompressed, inside a classic TIFF's 4 GiB.
 */
export const DEFAULT_MAX_REGION_PIXELS = 4096 * 4096;
/** Default tile core side and overlap in LR pixels. */
export const DEFAULT_REGION_TILE_PX = 200;
export const DEFAULT_REGION_TILE_OVERLAP_PX = 100;
/** Largest GeoJSON region file (bytes) and vertex count read. */
const MAX_GEOJSON_BYTES = 16 * 1024 * 1024;
const MAX_GEOJSON_VERTICES = 1_000_000;
/** Feature / FeatureCollection / GeometryCollection nesting a region file may use (real files use 2–3). */
const MAX_GEOJSON_NESTING = 32;

/** A pixel window on the region's LR grid. */
export interface LrWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One tile: its core (where it wins the blend) and its padded window (what it super-resolves). */
export interface RegionTile {
  name: string;
  row: number;
  col: number;
  core: LrWindow;
  padded: LrWindow;
  /** Lon/lat box whose revisits cover the padded window (with a margin). */
  bbox: BBox;
}

/** The region's LR grid and its tiles. */
export interface RegionPlan {
  region: BBox;
  epsg: number;
  /** LR grid: origin at the top-left corner, 10 m pixels. */
  transform: GeoTransform;
  width: number;
  height: number;
  tileSizePx: number;
  overlapPx: number;
  tiles: RegionTile[];
}

/** Options of {@link planRegion}. */
export interface RegionPlanOptions {
  tileSizePx?: number;
  overlapPx?: number;
  maxSidePx?: number;
  /** Largest region area in LR pixels (width × height; default {@link DEFAULT_MAX_REGION_PIXELS}). */
  maxPixels?: number;
  /**
   * Grid alignment in LR px: the grid's size, tile size and overlap are multiples of it (the SR model's chip,
   * so every tile's chips fall where a single run's would). Default 1.
   */
  alignPx?: number;
}

const bad = (msg: string): never => {
  throw new WorldStratError('INVALID_ARGUMENT', msg);
};

function checkRegion(b: BBox): void {
  if (!Array.isArray(b) || b.length !== 4 || b.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
    bad(`region ${JSON.stringify(b)}: expected [minLon, minLat, maxLon, maxLat] in degrees`);
  const [w, s, e, n] = b;
  if (w < -180 || e > 180 || s < -80 || n > 84)
    bad(`region ${JSON.stringify(b)} is outside lon [-180, 180] / lat [-80, 84] (the UTM range)`);
  if (!(w < e && s < n))
    bad(`region ${JSON.stringify(b)} needs minLon < maxLon and minLat < maxLat (split antimeridian regions)`);
}

/** Points along the box outline (edges bend in UTM). */
function outline(b: BBox, perEdge = 16): [number, number][] {
  const [w, s, e, n] = b;
  const pts: [number, number][] = [];
  for (let i = 0; i <= perEdge; i++) {
    const t = i / perEdge;
    const lon = w + (e - w) * t;
    const lat = s + (n - s) * t;
    pts.push([lon, s], [lon, n], [w, lat], [e, lat]);
  }
  return pts;
}

function envelope(pts: readonly (readonly [number, number])[]): BBox {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of pts) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return [x0, y0, x1, y1];
}

function checkTiling(tile: number, overlap: number, maxSide: number, maxPixels: number, align: number): void {
  if (!(Number.isInteger(align) && align >= 1 && align <= 1024))
    bad(`alignment ${align} must be an integer in [1, 1024]`);
  if (tile % align !== 0 || overlap % align !== 0)
    bad(`tile size ${tile} and overlap ${overlap} LR px must be multiples of ${align} (the model's chip)`);
  if (!(Number.isInteger(tile) && tile >= 16 && tile <= 2048))
    bad(`tile size ${tile} LR px must be an integer in [16, 2048]`);
  if (!(Number.isInteger(overlap) && overlap >= 0 && overlap % 2 === 0 && overlap <= tile))
    bad(`tile overlap ${overlap} LR px must be an even integer in [0, tile size ${tile}]`);
  if (!(Number.isInteger(maxSide) && maxSide >= 1)) bad(`max region side ${maxSide} must be an integer ≥ 1`);
  if (!(Number.isInteger(maxPixels) && maxPixels >= 1))
    bad(`max region pixels ${maxPixels} must be an integer ≥ 1`);
}

/**
 * Refuse a tile overlap that cannot blend: the outer half of each padding is discarded (where a tile's
 * convolutions saw its edge), so below one chip the feathered mosaic keeps a seam at every tile border.
 * A single tile has no seam, so any overlap (0 included) is fine there.
 */
function checkSeams(overlap: number, align: number, tileCount: number): void {
  if (tileCount > 1 && overlap < align)
    bad(
      `tile overlap ${overlap} LR px is below one chip (${align} px) with ${tileCount} tiles: each tile's edge pixels would meet its neighbour's unblended, leaving a seam at every tile border; use an overlap of at least ${align} px (a multiple of ${align}) or one tile`,
    );
}

/** Tile starts along one axis: cores of `tile` px, the last one shorter. */
function cores(size: number, tile: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = 0; a < size; a += tile) out.push([a, Math.min(size, a + tile)]);
  return out;
}

/**
 * Plan a region: its 10 m grid in the UTM zone of its centre (snapped to whole 10 m), split into tiles of
 * `tileSizePx` LR px, each padded by `overlapPx` on every side that has a neighbour.
 *
 * @param region - `[minLon, minLat, maxLon, maxLat]`.
 * @param options - tile size, overlap, largest side.
 * @returns the plan.
 * @throws {WorldStratError} `INVALID_ARGUMENT` for a bad box or tiling (an overlap below `alignPx` with more
 *   than one tile would leave seams); `REGION_TOO_LARGE` beyond `maxSidePx` or `maxPixels`.
 * @example
 * ```ts
 * planRegion([8.53, 47.36, 8.55, 47.38]).tiles.length; // 2 (≈ 152 × 223 LR px, tiles of 200)
 * ```
 */
export function planRegion(region: BBox, options: RegionPlanOptions = {}): RegionPlan {
  checkRegion(region);
  const tile = options.tileSizePx ?? DEFAULT_REGION_TILE_PX;
  const overlap = options.overlapPx ?? DEFAULT_REGION_TILE_OVERLAP_PX;
  const maxSide = options.maxSidePx ?? DEFAULT_MAX_REGION_SIDE_PX;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_REGION_PIXELS;
  const align = options.alignPx ?? 1;
  checkTiling(tile, overlap, maxSide, maxPixels, align);
  const epsg = utmEpsgForLonLat((region[0] + region[2]) / 2, (region[1] + region[3]) / 2);
  const [x0, y0, x1, y1] = envelope(transformCoords(4326, epsg, outline(region)));
  const X0 = Math.floor(x0 / REGION_LR_M) * REGION_LR_M;
  const Y1 = Math.ceil(y1 / REGION_LR_M) * REGION_LR_M;
  const width = Math.ceil((x1 - X0) / REGION_LR_M / align) * align;
  const height = Math.ceil((Y1 - y0) / REGION_LR_M / align) * align;
  if (
    !(Number.isFinite(width) && Number.isFinite(height)) ||
    width > maxSide ||
    height > maxSide ||
    width * height > maxPixels
  )
    throw new WorldStratError(
      'REGION_TOO_LARGE',
      `region ${JSON.stringify(region)} is ${width} × ${height} px at 10 m in EPSG:${epsg} (limits: ${maxSide} px a side, ${maxPixels} px in all, maxSidePx / maxPixels); split it into smaller regions`,
    );
  checkSeams(overlap, align, Math.ceil(width / tile) * Math.ceil(height / tile));
  const transform: GeoTransform = [X0, REGION_LR_M, 0, Y1, 0, -REGION_LR_M];
  const tiles: RegionTile[] = [];
  const rows = cores(height, tile);
  const cols = cores(width, tile);
  for (const [row, [ya, yb]] of rows.entries())
    for (const [col, [xa, xb]] of cols.entries()) {
      const px = Math.max(0, xa - overlap);
      const py = Math.max(0, ya - overlap);
      const padded = {
        x: px,
        y: py,
        width: Math.min(width, xb + overlap) - px,
        height: Math.min(height, yb + overlap) - py,
      };
      tiles.push({
        name: `tile_${row}_${col}`,
        row,
        col,
        core: { x: xa, y: ya, width: xb - xa, height: yb - ya },
        padded,
        bbox: windowLonLat(epsg, transform, padded, 2),
      });
    }
  return { region, epsg, transform, width, height, tileSizePx: tile, overlapPx: overlap, tiles };
}

/** Lon/lat envelope of a window of the LR grid, grown by `marginPx` so warping it back has source pixels. */
function windowLonLat(epsg: number, t: GeoTransform, w: LrWindow, marginPx: number): BBox {
  const xa = t[0] + (w.x - marginPx) * t[1];
  const xb = t[0] + (w.x + w.width + marginPx) * t[1];
  const ya = t[3] + (w.y - marginPx) * t[5];
  const yb = t[3] + (w.y + w.height + marginPx) * t[5];
  const pts: [number, number][] = [];
  for (let i = 0; i <= 8; i++) {
    const u = i / 8;
    pts.push(
      [xa + (xb - xa) * u, ya],
      [xa + (xb - xa) * u, yb],
      [xa, ya + (yb - ya) * u],
      [xb, ya + (yb - ya) * u],
    );
  }
  const [w0, s0, e0, n0] = envelope(transformCoords(epsg, 4326, pts));
  return [w0, s0, e0, n0];
}

/**
 * The lon/lat box of a GeoJSON region (Polygon, MultiPolygon, Feature, FeatureCollection, or any geometry):
 * the envelope of every coordinate. The mosaic covers that box.
 *
 * @param text - the file's text.
 * @param file - its name, for messages.
 * @returns `[minLon, minLat, maxLon, maxLat]`.
 * @throws {WorldStratError} `INVALID_ARGUMENT` naming the file and what is wrong (not JSON, no coordinates,
 *   a non-numeric or out-of-range coordinate, too large).
 */
export function regionFromGeoJson(text: string, file: string): BBox {
  checkString('regionFromGeoJson', 'text', text);
  checkOptionalString('regionFromGeoJson', 'file', file);
  if (text.length > MAX_GEOJSON_BYTES)
    bad(`region file ${file} is ${text.length} bytes (limit ${MAX_GEOJSON_BYTES}); simplify the geometry`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return bad(`region file ${file} is not JSON: ${(err as Error).message}`);
  }
  const pts: [number, number][] = [];
  const visit = (coords: unknown, depth: number, where: string): void => {
    if (depth > 6) bad(`region file ${file}: coordinates nested too deep at ${where}`);
    if (!Array.isArray(coords)) bad(`region file ${file}: coordinates at ${where} are not an array`);
    const list = coords as unknown[];
    if (list.length >= 2 && typeof list[0] === 'number') {
      const [lon, lat] = list as number[];
      if (!(Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lon) <= 180 && Math.abs(lat) <= 90))
        bad(
          `region file ${file}: position ${JSON.stringify(coords)} at ${where} is not a lon/lat in degrees`,
        );
      if (pts.length >= MAX_GEOJSON_VERTICES)
        bad(`region file ${file} has more than ${MAX_GEOJSON_VERTICES} vertices; simplify it`);
      pts.push([lon, lat]);
      return;
    }
    for (const [i, c] of list.entries()) visit(c, depth + 1, `${where}[${i}]`);
  };
  // Features and collections nest by recursion: bounded, so a hostile file fails typed, not by stack overflow.
  const geometry = (g: unknown, where: string, depth = 0): void => {
    if (depth > MAX_GEOJSON_NESTING)
      bad(`region file ${file}: objects nested more than ${MAX_GEOJSON_NESTING} deep at ${where}`);
    const o = g as { type?: unknown; coordinates?: unknown; geometries?: unknown; geometry?: unknown };
    if (!o || typeof o !== 'object') bad(`region file ${file}: ${where} is not a GeoJSON object`);
    if (o.type === 'FeatureCollection') {
      const fs = (o as { features?: unknown }).features;
      if (!Array.isArray(fs)) bad(`region file ${file}: ${where}.features is not an array`);
      for (const [i, f] of (fs as unknown[]).entries()) geometry(f, `${where}.features[${i}]`, depth + 1);
    } else if (o.type === 'Feature') geometry(o.geometry, `${where}.geometry`, depth + 1);
    else if (o.type === 'GeometryCollection') {
      if (!Array.isArray(o.geometries)) bad(`region file ${file}: ${where}.geometries is not an array`);
      for (const [i, x] of (o.geometries as unknown[]).entries())
        geometry(x, `${where}.geometries[${i}]`, depth + 1);
    } else if (typeof o.type === 'string') visit(o.coordinates, 0, `${where}.coordinates`);
    else bad(`region file ${file}: ${where} has no GeoJSON "type"`);
  };
  geometry(doc, '$');
  if (pts.length === 0) bad(`region file ${file} has no coordinates`);
  return envelope(pts);
}
