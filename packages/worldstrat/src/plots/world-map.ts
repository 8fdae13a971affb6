// World map of points / AOIs coloured by class over Natural Earth land (world-atlas, public domain).
import type { BBox } from '@worldstrat/core';
import { feature } from 'topojson-client';
import land110m from 'world-atlas/land-110m.json';
import {
  argumentError,
  checkArray,
  checkFiniteNumber,
  checkObject,
  checkOptionalNumber,
  checkOptionalString,
  checkOptions,
} from '../internal/check-arguments.js';
import { colorForClass, escapeXml, svgDocument, svgText } from './svg.js';

/** A point (or AOI, when `bounds` is given) to draw. */
export interface MapPoint {
  lon: number;
  lat: number;
  /** Class label used for the colour and the legend. */
  label?: string;
  /** AOI box, drawn as a rectangle (visible when zoomed or large). */
  bounds?: BBox;
  /** Tooltip (SVG <title>). */
  title?: string;
}

/** Options of {@link worldMapSvg}. */
export interface WorldMapOptions {
  /** Width in px (height = width / 2 + legend). Default 1200. */
  width?: number;
  title?: string;
  /** Marker radius in px. Default 3. */
  radius?: number;
  /** Land / ocean colours. */
  landColor?: string;
  oceanColor?: string;
}

type Ring = number[][];

function landRings(): Ring[] {
  const fc = feature(land110m as any, (land110m as any).objects.land) as any;
  const rings: Ring[] = [];
  const features = fc.type === 'FeatureCollection' ? fc.features : [fc];
  for (const f of features) {
    const g = f.geometry;
    if (!g) continue;
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    for (const p of polys) for (const r of p) rings.push(r);
  }
  return rings;
}

let cachedLandPath: string | null = null;

/**
 * Most legend entries drawn (16 rows of 4): past it, the first 63 labels in sort order and one "+N more (M
 * points)" entry, so the map's height stays bounded however many distinct labels the points carry.
 */
const MAX_LEGEND_ENTRIES = 64;

/**
 * SVG world map (equirectangular) with Natural Earth 1:110m land, one marker per point coloured by label, AOI
 * boxes when `bounds` are given, and a legend with counts (at most 64 entries: past 64 labels, the first 63 in
 * sort order and a "+N more (M points)" entry).
 *
 * @param points - points or AOIs.
 * @param options - size, title, marker radius, colours.
 * @returns the SVG document.
 * @throws {WorldStratError} `INVALID_ARGUMENT` when `points` is not an array of `{ lon, lat }` with finite
 * coordinates (and a string label, four finite bounds, a string title where given), or an option has the wrong
 * type.
 * @example
 * ```ts
 * const svg = worldMapSvg(aois.map((a) => ({ lon: a.lon, lat: a.lat, label: a.ipcc, bounds: a.bounds })));
 * ```
 */
export function worldMapSvg(points: readonly MapPoint[], options?: WorldMapOptions): string {
  options = checkWorldMapArguments(points, options);
  const width = options.width ?? 1200;
  const mapH = width / 2;
  const top = options.title ? 36 : 8;
  // one counting pass: a filter per label was quadratic in the number of labels
  const counts = new Map<string, number>();
  for (const p of points) {
    const label = p.label ?? 'points';
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const labels = [...counts.keys()].sort();
  const shown = labels.length > MAX_LEGEND_ENTRIES ? labels.slice(0, MAX_LEGEND_ENTRIES - 1) : labels;
  const legendRows = Math.ceil(Math.min(labels.length, MAX_LEGEND_ENTRIES) / 4);
  const height = top + mapH + 16 + legendRows * 22;
  const sx = width / 360;
  const X = (lon: number) => (lon + 180) * sx;
  const Y = (lat: number) => top + (90 - lat) * sx;
  if (!cachedLandPath) {
    // Unwrap rings that cross the antimeridian (Fiji, Chukotka) and draw them again shifted by ∓360°;
    // the clip path trims what falls outside the map.
    const toPath = (r: Ring, shift: number) =>
      `M${r.map(([lon, lat]) => `${((lon + shift + 180) * 10).toFixed(0)},${((90 - lat) * 10).toFixed(0)}`).join('L')}Z`;
    const paths: string[] = [];
    for (const ring of landRings()) {
      const u: Ring = [ring[0]];
      for (let i = 1; i < ring.length; i++) {
        let lon = ring[i][0];
        const prev = u[i - 1][0];
        while (lon - prev > 180) lon -= 360;
        while (lon - prev < -180) lon += 360;
        u.push([lon, ring[i][1]]);
      }
      const lons = u.map((p) => p[0]);
      const min = Math.min(...lons);
      const max = Math.max(...lons);
      // A ring spanning the whole globe (Antarctica) is closed along the map edge instead.
      if (max - min >= 359) {
        paths.push(toPath([...ring.map((p) => [Math.max(-180, Math.min(180, p[0])), p[1]])], 0));
        continue;
      }
      paths.push(toPath(u, 0));
      if (max > 180) paths.push(toPath(u, -360));
      if (min < -180) paths.push(toPath(u, 360));
    }
    cachedLandPath = paths.join('');
  }
  const parts: string[] = [];
  parts.push(
    `<rect x="0" y="${top}" width="${width}" height="${mapH}" fill="${escapeXml(options.oceanColor ?? '#dfeaf3')}"/>`,
  );
  parts.push(`<clipPath id="map-clip"><rect x="0" y="${top}" width="${width}" height="${mapH}"/></clipPath>`);
  parts.push(
    `<g clip-path="url(#map-clip)"><path d="${cachedLandPath}" transform="translate(0 ${top}) scale(${sx / 10})" fill="${escapeXml(options.landColor ?? '#f4f1ea')}" stroke="#b9b2a4" stroke-width="${(10 * 0.6) / sx}" fill-rule="nonzero"/></g>`,
  );
  for (const lon of [-120, -60, 0, 60, 120]) {
    parts.push(
      `<line x1="${X(lon)}" y1="${top}" x2="${X(lon)}" y2="${top + mapH}" stroke="#c7d5e0" stroke-width="0.5"/>`,
    );
  }
  for (const lat of [-60, -30, 0, 30, 60]) {
    parts.push(
      `<line x1="0" y1="${Y(lat)}" x2="${width}" y2="${Y(lat)}" stroke="#c7d5e0" stroke-width="0.5"/>`,
    );
  }
  const r = options.radius ?? 3;
  for (const p of points) {
    const color = colorForClass(p.label ?? 'points');
    const title = p.title ? `<title>${escapeXml(p.title)}</title>` : '';
    if (p.bounds) {
      const [w, s, e, n] = p.bounds;
      parts.push(
        `<rect x="${X(w).toFixed(2)}" y="${Y(n).toFixed(2)}" width="${Math.max(0.5, X(e) - X(w)).toFixed(2)}" height="${Math.max(0.5, Y(s) - Y(n)).toFixed(2)}" fill="${color}" fill-opacity="0.35" stroke="${color}" stroke-width="0.5"/>`,
      );
    }
    parts.push(
      `<circle cx="${X(p.lon).toFixed(2)}" cy="${Y(p.lat).toFixed(2)}" r="${r}" fill="${color}" fill-opacity="0.85" stroke="#222" stroke-width="0.4">${title}</circle>`,
    );
  }
  if (options.title)
    parts.push(svgText(width / 2, 24, options.title, { size: 18, anchor: 'middle', weight: 'bold' }));
  const colW = width / 4;
  const legendAt = (i: number) => ({ x: 16 + (i % 4) * colW, y: top + mapH + 16 + Math.floor(i / 4) * 22 });
  shown.forEach((label, i) => {
    const { x, y } = legendAt(i);
    parts.push(
      `<circle cx="${x + 6}" cy="${y + 6}" r="6" fill="${colorForClass(label)}" stroke="#222" stroke-width="0.4"/>`,
    );
    parts.push(svgText(x + 18, y + 11, `${label} (${counts.get(label)})`, { size: 13 }));
  });
  if (shown.length < labels.length) {
    let rest = 0;
    for (let i = shown.length; i < labels.length; i++) rest += counts.get(labels[i]) ?? 0;
    const { x, y } = legendAt(shown.length);
    parts.push(
      svgText(x + 18, y + 11, `+${labels.length - shown.length} more (${rest} points)`, { size: 13 }),
    );
  }
  return svgDocument(width, height, parts.join(''));
}

/**
 * A longitude or latitude from a table cell: a finite number within ±`limit`, else undefined.
 *
 * @param cell - the cell's text.
 * @param limit - 180 for longitudes, 90 for latitudes.
 * @returns the number, or undefined.
 */
export function lonLatCell(cell: string | undefined, limit: number): number | undefined {
  if (cell === undefined || cell.trim() === '') return undefined;
  const v = Number(cell);
  return Number.isFinite(v) && Math.abs(v) <= limit ? v : undefined;
}

/**
 * An AOI's box from a table's `bounds` cell (`[minLon, minLat, maxLon, maxLat]` as JSON): four numbers in
 * degrees, else undefined (the point is drawn without its box; strings would be concatenated, not added).
 *
 * @param cell - the cell's text.
 * @returns the box, or undefined.
 */
export function boundsCell(cell: string | undefined): BBox | undefined {
  if (cell === undefined || cell.length > 1000) return undefined;
  let b: unknown;
  try {
    b = JSON.parse(cell);
  } catch {
    return undefined;
  }
  if (!Array.isArray(b) || b.length !== 4 || !b.every((x) => typeof x === 'number' && Number.isFinite(x)))
    return undefined;
  const [w, s, e, n] = b as number[];
  const inRange = [w, e].every((x) => Math.abs(x) <= 180) && [s, n].every((y) => Math.abs(y) <= 90);
  return inRange && s <= n ? (b as BBox) : undefined;
}

function checkWorldMapArguments(
  points: readonly MapPoint[],
  options: WorldMapOptions | undefined,
): WorldMapOptions {
  const fn = 'worldMapSvg';
  checkArray(fn, 'points', points);
  points.forEach((p, i) => {
    checkObject(fn, `points[${i}]`, p);
    checkFiniteNumber(fn, `points[${i}].lon`, p.lon);
    checkFiniteNumber(fn, `points[${i}].lat`, p.lat);
    checkOptionalString(fn, `points[${i}].label`, p.label);
    checkOptionalString(fn, `points[${i}].title`, p.title);
    const b = p.bounds as unknown;
    if (b !== undefined && b !== null) {
      const ok =
        (Array.isArray(b) || ArrayBuffer.isView(b)) &&
        (b as ArrayLike<unknown>).length === 4 &&
        Array.from(b as ArrayLike<unknown>).every((v) => typeof v === 'number' && Number.isFinite(v));
      if (!ok) throw argumentError(fn, `points[${i}].bounds`, '[west, south, east, north] finite numbers', b);
    }
  });
  const o = checkOptions(fn, options);
  checkOptionalNumber(fn, 'options.width', o.width, 1, 1e6);
  checkOptionalNumber(fn, 'options.radius', o.radius, 0, 1e6);
  for (const key of ['title', 'landColor', 'oceanColor'] as const)
    checkOptionalString(fn, `options.${key}`, o[key]);
  return o;
}
