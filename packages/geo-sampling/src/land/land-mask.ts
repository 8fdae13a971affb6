import type { Feature, FeatureCollection, Geometry, MultiPolygon, Polygon, Position } from 'geojson';
import { feature as topoFeature } from 'topojson-client';
import { GeoSamplingError } from '../errors.js';
import { checkOptions } from '../internal/check-arguments.js';
import {
  checkArray,
  checkFiniteNumber,
  checkMultiPolygonCoordinates,
  checkPolygonCoordinates,
  checkRecord,
  describeValue,
  fail,
  isRecord,
  type Place,
} from '../internal/geometry-checks.js';
import { assertLatitude, assertLongitude } from '../internal/validate.js';

/** Anything that answers "is this lon/lat on land?" in O(1)-ish time. */
export interface LandMask {
  /** Human-readable origin of the mask ("Natural Earth land 1:10m, 30 cells/°", "raster 4320×2160"). */
  readonly source: string;
  /**
   * True when (lon, lat) is land.
   * @throws GeoSamplingError `INVALID_LONGITUDE` / `INVALID_LATITUDE` outside [−180, 180] / [−90, 90] or NaN.
   */
  isLand(lon: number, lat: number): boolean;
}

/** Statistics of a vector land mask, for documentation and benchmarks. */
export interface VectorLandMaskStats {
  cellsPerDegree: number;
  edges: number;
  /** Grid cells crossed by a coastline edge (answered with the exact point-in-polygon fallback). */
  mixedCells: number;
  totalCells: number;
  /** Milliseconds spent building the grid. */
  buildMs: number;
}

/** A land mask built from polygons: a bit grid plus an exact fallback on coastline cells. */
export interface VectorLandMask extends LandMask {
  readonly stats: VectorLandMaskStats;
  /**
   * How the grid answers this point: `'land'` / `'water'` straight from the bit grid, or `'coast'` when the
   * cell is crossed by a coastline and the exact test runs.
   */
  cellKind(lon: number, lat: number): 'land' | 'water' | 'coast';
}

/** Options of {@link createLandMask}. */
export interface CreateLandMaskOptions {
  /**
   * Grid resolution in cells per degree (default 30, i.e. 2′ cells: 10 800 × 5 400 cells, 2 × 7.3 MB of bits).
   * The answer is exact at any resolution; finer grids send fewer points to the slower exact test.
   */
  cellsPerDegree?: number;
  /** Label stored in `source`. */
  source?: string;
}

/** A TopoJSON topology (as accepted by topojson-client). */
export type Topology = Parameters<typeof topoFeature>[0];

/** Polygons a land mask can be built from. */
export type LandGeometryInput = Topology | FeatureCollection | Feature | Polygon | MultiPolygon;

const DEFAULT_CELLS_PER_DEGREE = 30;

/** Converts a TopoJSON topology (all objects) or GeoJSON input to a FeatureCollection. @internal */
export function topojsonToFeatures(input: LandGeometryInput): FeatureCollection {
  const obj = input as { type?: string };
  if (obj.type === 'Topology') {
    const topo = input as Topology & { objects: Record<string, unknown> };
    const features: Feature[] = [];
    for (const key of Object.keys(topo.objects)) {
      const f = topoFeature(topo, topo.objects[key] as never) as unknown as Feature | FeatureCollection;
      if (f.type === 'FeatureCollection')
        for (const g of f.features) features.push(g); // not spread: 10^5+ features
      else features.push(f);
    }
    return { type: 'FeatureCollection', features };
  }
  if (obj.type === 'FeatureCollection') return input as FeatureCollection;
  if (obj.type === 'Feature') return { type: 'FeatureCollection', features: [input as Feature] };
  return {
    type: 'FeatureCollection',
    features: [{ type: 'Feature', properties: {}, geometry: input as Geometry }],
  };
}

/** GeometryCollections nest at most this deep (RFC 7946 advises against nesting them at all). */
const MAX_COLLECTION_DEPTH = 16;

const maskPlace = (where: string): Place => ({ where: `land geometry ${where}`, code: 'INVALID_MASK' });

function notPolygon(type: unknown): never {
  throw new GeoSamplingError(
    'INVALID_MASK',
    `land geometry must be (Multi)Polygon, got ${describeValue(type)}`,
  );
}

/**
 * Checks the parts of a TopoJSON topology topojson-client dereferences (transform, arcs, arc indexes, nested
 * collections), so a broken topology fails here with its place instead of inside topojson-client.
 */
function checkTopology(topo: Record<string, unknown>): void {
  if (topo.transform !== undefined && topo.transform !== null) {
    const t = checkRecord(topo.transform, maskPlace('transform'), 'an object');
    for (const key of ['scale', 'translate']) checkNumbers(t[key], `transform.${key}`, 2, 2);
  }
  const arcs = checkArray(topo.arcs, maskPlace('arcs'), 'an array of arcs');
  for (let a = 0; a < arcs.length; a++) {
    const points = checkArray(arcs[a], maskPlace(`arcs[${a}]`), 'an array of positions');
    for (let k = 0; k < points.length; k++) checkNumbers(points[k], `arcs[${a}][${k}]`, 2, Infinity);
  }
  const objects = checkRecord(topo.objects, maskPlace('objects'), 'an object');
  for (const key of Object.keys(objects)) checkTopoGeometry(objects[key], `objects.${key}`, arcs.length, 0);
}

/** An array of `min`..`max` finite numbers (a TopoJSON position, a transform's scale). */
function checkNumbers(value: unknown, where: string, min: number, max: number): void {
  const ok =
    Array.isArray(value) &&
    value.length >= min &&
    value.length <= max &&
    value.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (ok) return;
  const v = checkArray(value, maskPlace(where), 'an array of numbers');
  if (v.length < min || v.length > max)
    fail(
      maskPlace(where),
      'INVALID_MASK',
      `must hold ${min === max ? min : `≥ ${min}`} numbers, got ${v.length}`,
    );
  for (let m = 0; m < v.length; m++) checkFiniteNumber(v[m], maskPlace(`${where}[${m}]`));
}

function checkTopoGeometry(o: unknown, where: string, nArcs: number, depth: number): void {
  const g = checkRecord(o, maskPlace(where), 'a TopoJSON geometry object');
  if (g.type === null || g.type === undefined) return;
  if (g.type === 'GeometryCollection') {
    if (depth >= MAX_COLLECTION_DEPTH)
      fail(maskPlace(where), 'INVALID_MASK', `nests GeometryCollections deeper than ${MAX_COLLECTION_DEPTH}`);
    const members = checkArray(g.geometries, maskPlace(`${where}.geometries`), 'an array');
    for (let i = 0; i < members.length; i++)
      checkTopoGeometry(members[i], `${where}.geometries[${i}]`, nArcs, depth + 1);
    return;
  }
  if (g.type !== 'Polygon' && g.type !== 'MultiPolygon') notPolygon(g.type);
  const polygons =
    g.type === 'Polygon' ? [g.arcs] : checkArray(g.arcs, maskPlace(`${where}.arcs`), 'an array');
  for (let p = 0; p < polygons.length; p++) {
    const at = g.type === 'Polygon' ? `${where}.arcs` : `${where}.arcs[${p}]`;
    const rings = checkArray(polygons[p], maskPlace(at), 'an array of rings');
    for (let r = 0; r < rings.length; r++) checkArcIndexes(rings[r], `${at}[${r}]`, nArcs);
  }
}

/** A ring of arc indexes: integers i (or ~i, reversed) with 0 ≤ i < nArcs. */
function checkArcIndexes(ring: unknown, where: string, nArcs: number): void {
  const indexes = checkArray(ring, maskPlace(where), 'an array of arc indexes');
  for (let k = 0; k < indexes.length; k++) {
    const i = indexes[k];
    const index = typeof i === 'number' && Number.isInteger(i) ? (i < 0 ? ~i : i) : -1;
    if (index < 0 || index >= nArcs) {
      fail(
        maskPlace(`${where}[${k}]`),
        'INVALID_MASK',
        `must be an arc index of the ${nArcs} arcs, got ${describeValue(i)}`,
      );
    }
  }
}

/** The polygons of land input, each checked (closed rings of ≥ 4 in-range positions). */
function collectPolygons(input: LandGeometryInput): Position[][][] {
  const polys: Position[][][] = [];
  const addGeometry = (g: unknown, where: string, depth: number): void => {
    if (g === null || g === undefined) return;
    const geometry = checkRecord(g, maskPlace(where), 'a GeoJSON geometry');
    const coordinates = maskPlace(`${where}.coordinates`);
    if (geometry.type === 'Polygon') {
      polys.push(checkPolygonCoordinates(geometry.coordinates, coordinates));
    } else if (geometry.type === 'MultiPolygon') {
      for (const p of checkMultiPolygonCoordinates(geometry.coordinates, coordinates)) polys.push(p);
    } else if (geometry.type === 'GeometryCollection') {
      if (depth >= MAX_COLLECTION_DEPTH)
        fail(
          maskPlace(where),
          'INVALID_MASK',
          `nests GeometryCollections deeper than ${MAX_COLLECTION_DEPTH}`,
        );
      const members = checkArray(geometry.geometries, maskPlace(`${where}.geometries`), 'an array');
      for (let i = 0; i < members.length; i++)
        addGeometry(members[i], `${where}.geometries[${i}]`, depth + 1);
    } else {
      notPolygon(geometry.type);
    }
  };
  const addFeatures = (features: unknown, where: string): void => {
    const list = checkArray(features, maskPlace(where), 'an array of Features');
    for (let i = 0; i < list.length; i++) {
      const f = checkRecord(list[i], maskPlace(`${where}[${i}]`), 'a Feature');
      addGeometry(f.geometry, `${where}[${i}].geometry`, 0);
    }
  };
  if (!isRecord(input)) {
    throw new GeoSamplingError(
      'INVALID_MASK',
      `land geometry must be a TopoJSON Topology or GeoJSON object, got ${describeValue(input)}`,
    );
  }
  if (input.type === 'Topology') {
    checkTopology(input);
    const topo = input as Topology;
    for (const key of Object.keys(topo.objects)) {
      const f = topoFeature(topo, topo.objects[key] as never) as unknown as Feature | FeatureCollection;
      if (f.type === 'FeatureCollection') addFeatures(f.features, `objects.${key}.geometries`);
      else addGeometry(f.geometry, `objects.${key}`, 0);
    }
  } else if (input.type === 'FeatureCollection') {
    addFeatures(input.features, 'features');
  } else if (input.type === 'Feature') {
    addGeometry(input.geometry, 'geometry', 0);
  } else if (input.type === 'Polygon' || input.type === 'MultiPolygon') {
    addGeometry(input, '(root)', 0);
  } else {
    throw new GeoSamplingError(
      'INVALID_MASK',
      `land geometry of type ${describeValue(input.type)} is not supported; pass a TopoJSON Topology or GeoJSON (Multi)Polygon`,
    );
  }
  return polys;
}

/**
 * Turns spherical rings (d3 / world-atlas convention: rings may cross the antimeridian, Antarctica circles the
 * South Pole without a closing edge) into planar edges inside [−180, 180) plus "closure" intervals on the
 * x = −180 meridian that give the even-odd parity there.
 */
function planarise(polys: Position[][][]): { edges: Float64Array; closures: number[] } {
  const e: number[] = [];
  const closures: number[] = [];
  const copyOf = (u: number): number => Math.floor((u + 180) / 360);
  for (const poly of polys) {
    for (const ring of poly) {
      if (ring.length < 3) continue;
      const crossings: number[] = [];
      let latSum = 0;
      let u1 = ring[0][0];
      let y1 = ring[0][1];
      for (let i = 1; i < ring.length; i++) {
        const x = ring[i][0];
        const y2 = ring[i][1];
        latSum += y2;
        let d = x - (u1 - 360 * copyOf(u1));
        if (d > 180) d -= 360;
        else if (d < -180) d += 360;
        const u2 = u1 + d;
        const k1 = copyOf(u1);
        const k2 = copyOf(u2);
        if (k1 === k2) {
          e.push(u1 - 360 * k1, y1, u2 - 360 * k2, y2);
        } else {
          const b = 360 * Math.max(k1, k2) - 180;
          const t = (b - u1) / (u2 - u1);
          const yb = y1 + t * (y2 - y1);
          e.push(u1 - 360 * k1, y1, b - 360 * k1, yb);
          e.push(b - 360 * k2, yb, u2 - 360 * k2, y2);
          crossings.push(yb);
        }
        u1 = u2;
        y1 = y2;
      }
      if (crossings.length === 0) continue;
      crossings.sort((a, b) => a - b);
      // Inside stretches of the x = -180 meridian alternate at crossings; an odd count means the ring
      // encloses a pole (Antarctica: the South Pole).
      if (crossings.length % 2 === 1) {
        if (latSum / (ring.length - 1) < 0) crossings.unshift(-90);
        else crossings.push(90);
      }
      for (let i = 0; i + 1 < crossings.length; i += 2) closures.push(crossings[i], crossings[i + 1]);
    }
  }
  return { edges: Float64Array.from(e), closures };
}

/**
 * Builds an exact land mask from land polygons in lon/lat degrees (e.g. world-atlas / Natural Earth TopoJSON,
 * whose rings are spherical: antimeridian-crossing rings and the open Antarctic ring are handled).
 * The polygons are rasterised once into a bit grid (cell-centre scanlines, even-odd rule); cells crossed by an
 * edge are flagged and answered by an exact even-odd ray test restricted to the edges of that grid row, so the
 * result equals a point-in-polygon test on the input polygons (up to floating-point ties on edges).
 * @param input a TopoJSON topology (all objects are used) or GeoJSON polygons.
 * @param options grid resolution and label.
 * @returns the mask; `stats` reports grid size, coastline cells and build time.
 * @throws GeoSamplingError `INVALID_MASK` for non-polygon input, a broken topology, rings that are not closed
 *   or hold fewer than 4 positions, coordinates outside [-180, 180] × [-90, 90], or a bad resolution;
 *   `INVALID_ARGUMENT` when `options` is not an object.
 * @example
 * const mask = createLandMask({ type: 'Polygon', coordinates: [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]] });
 * mask.isLand(5, 5); // true
 */
export function createLandMask(input: LandGeometryInput, options?: CreateLandMaskOptions): VectorLandMask {
  const opts = checkOptions('createLandMask', options);
  const t0 = typeof performance !== 'undefined' ? performance.now() : Date.now();
  const R = opts.cellsPerDegree ?? DEFAULT_CELLS_PER_DEGREE;
  if (!Number.isInteger(R) || R < 1 || R > 240) {
    throw new GeoSamplingError(
      'INVALID_MASK',
      `cellsPerDegree must be an integer in [1, 240], got ${String(R)}`,
    );
  }
  const { edges, closures } = planarise(collectPolygons(input));
  const grid: MaskGrid = { R, cols: 360 * R, rows: 180 * R };
  checkCoastPairCount(edges, grid);
  const land = rasteriseScanlines(edges, closures, grid);
  const coast = indexCoastCells(edges, grid);
  const exact = makeExactTest(edges, closures, grid, land, coast);
  const { cols, rows } = grid;
  const mixed = coast.mixed;
  const nEdges = edges.length / 4;
  const t1 = typeof performance !== 'undefined' ? performance.now() : Date.now();
  const stats: VectorLandMaskStats = {
    cellsPerDegree: R,
    edges: nEdges,
    mixedCells: coast.mixedCells.length,
    totalCells: rows * cols,
    buildMs: t1 - t0,
  };
  return {
    source: opts.source ?? `polygons (${nEdges} edges), ${R} cells/°`,
    stats,
    cellKind(lon: number, lat: number): 'land' | 'water' | 'coast' {
      assertLongitude(lon);
      assertLatitude(lat);
      const x = lon === 180 ? -180 : lon;
      const cell =
        Math.min(rows - 1, Math.floor((90 - lat) * R)) * cols + Math.min(cols - 1, Math.floor((x + 180) * R));
      if (bit(mixed, cell)) return 'coast';
      return bit(land, cell) ? 'land' : 'water';
    },
    isLand(lon: number, lat: number): boolean {
      assertLongitude(lon);
      assertLatitude(lat);
      const x = lon === 180 ? -180 : lon;
      const col = Math.min(cols - 1, Math.floor((x + 180) * R));
      const r = Math.min(rows - 1, Math.floor((90 - lat) * R));
      const cell = r * cols + col;
      if (!bit(mixed, cell)) return bit(land, cell) === 1;
      return exact(x, lat, r, col);
    },
  };
}

/** The mask's cell grid: `R` cells per degree, row 0 at 90° N, column 0 at 180° W. */
interface MaskGrid {
  R: number;
  cols: number;
  rows: number;
}

/** Coastline cells (bit set in `mixed`), sorted, with the edges crossing each (CSR: offsets into `edgeIds`). */
interface CoastIndex {
  mixed: Uint32Array;
  mixedCells: Float64Array;
  cellOffsets: Uint32Array;
  edgeIds: Uint32Array;
}

function bit(bits: Uint32Array, cell: number): number {
  return (bits[cell >>> 5] >>> (cell & 31)) & 1;
}

/** Even-odd parity at latitude `y` west of every edge: the closing stretches of the x = -180 meridian. */
function baseParity(closures: readonly number[], y: number): number {
  let p = 0;
  for (let i = 0; i < closures.length; i += 2) if (closures[i] > y !== closures[i + 1] > y) p ^= 1;
  return p;
}

/** Sets bits [from, to). */
function setRange(bits: Uint32Array, from: number, to: number): void {
  let i = from;
  while (i < to && i & 31) {
    bits[i >>> 5] |= 1 << (i & 31);
    i++;
  }
  while (i + 32 <= to) {
    bits[i >>> 5] = 0xffffffff;
    i += 32;
  }
  while (i < to) {
    bits[i >>> 5] |= 1 << (i & 31);
    i++;
  }
}

/** Stage 1: row-centre scanlines (even-odd rule) filled into a land bit grid. */
function rasteriseScanlines(edges: Float64Array, closures: readonly number[], grid: MaskGrid): Uint32Array {
  const { R, cols, rows } = grid;
  const nEdges = edges.length / 4;
  const land = new Uint32Array(Math.ceil((cols * rows) / 32));
  const rowCenter = (r: number): number => 90 - (r + 0.5) / R;
  const rowCount = new Uint32Array(rows + 1);
  const forEachCenterRow = (i: number, fn: (r: number) => void): void => {
    const y1 = edges[4 * i + 1];
    const y2 = edges[4 * i + 3];
    if (y1 === y2) return;
    const ylo = Math.min(y1, y2);
    const yhi = Math.max(y1, y2);
    const rFirst = Math.max(0, Math.floor((90 - yhi) * R - 0.5));
    const rLast = Math.min(rows - 1, Math.floor((90 - ylo) * R - 0.5) + 1);
    for (let r = rFirst; r <= rLast; r++) {
      const yc = rowCenter(r);
      if (ylo <= yc && yc < yhi) fn(r);
    }
  };
  // Crossing x positions of every row, bucketed by row (counting pass, then fill).
  for (let i = 0; i < nEdges; i++) forEachCenterRow(i, (r) => rowCount[r + 1]++);
  for (let r = 0; r < rows; r++) rowCount[r + 1] += rowCount[r];
  const xs = new Float64Array(rowCount[rows]);
  const fillPos = rowCount.slice(0, rows);
  for (let i = 0; i < nEdges; i++) {
    const x1 = edges[4 * i];
    const y1 = edges[4 * i + 1];
    const x2 = edges[4 * i + 2];
    const y2 = edges[4 * i + 3];
    forEachCenterRow(i, (r) => {
      const yc = rowCenter(r);
      xs[fillPos[r]++] = x1 + ((yc - y1) * (x2 - x1)) / (y2 - y1);
    });
  }
  const colStartAtOrAfter = (x: number): number =>
    Math.min(cols, Math.max(0, Math.ceil((x + 180) * R - 0.5)));
  for (let r = 0; r < rows; r++) {
    const row = xs.subarray(rowCount[r], rowCount[r + 1]).sort();
    let parity = baseParity(closures, rowCenter(r));
    let start = 0; // first column whose parity is `parity`
    for (let k = 0; k <= row.length; k++) {
      const end = k < row.length ? colStartAtOrAfter(row[k]) : cols;
      if (parity && end > start) setRange(land, r * cols + start, r * cols + end);
      if (end > start) start = end;
      parity ^= 1;
    }
  }
  return land;
}

/**
 * Most (coastline cell, edge) pairs a mask indexes. Natural Earth 1:10m needs ≈ 0.9 M at 30 cells/° and
 * ≈ 4.2 M at 240. A 400 kB polygon of 20 000 edges each 180° long needed 10^8 (36 s, 3 GB of heap); the cost
 * grows with the edges' length, not the input's size.
 */
const MAX_COAST_PAIRS = 2 ** 25;

/** Calls `fn(r, cA, cB)` for every grid row `r` edge `i` passes through, with the columns `cA..cB` it covers. */
function forEachEdgeRowSpan(
  edges: Float64Array,
  i: number,
  grid: MaskGrid,
  fn: (r: number, cA: number, cB: number) => void,
): void {
  const { R, cols, rows } = grid;
  const eps = 1e-9;
  const x1 = edges[4 * i];
  const y1 = edges[4 * i + 1];
  const x2 = edges[4 * i + 2];
  const y2 = edges[4 * i + 3];
  const rTop = Math.max(0, Math.floor((90 - Math.max(y1, y2)) * R - eps));
  const rBot = Math.min(rows - 1, Math.floor((90 - Math.min(y1, y2)) * R + eps));
  for (let r = rTop; r <= rBot; r++) {
    const yN = 90 - r / R;
    const yS = 90 - (r + 1) / R;
    let xa: number;
    let xb: number;
    if (y1 === y2) {
      xa = Math.min(x1, x2);
      xb = Math.max(x1, x2);
    } else {
      const ta = Math.min(1, Math.max(0, (yN - y1) / (y2 - y1)));
      const tb = Math.min(1, Math.max(0, (yS - y1) / (y2 - y1)));
      const xA = x1 + ta * (x2 - x1);
      const xB = x1 + tb * (x2 - x1);
      xa = Math.min(xA, xB);
      xb = Math.max(xA, xB);
    }
    fn(
      r,
      Math.max(0, Math.floor((xa + 180) * R - eps)),
      Math.min(cols - 1, Math.floor((xb + 180) * R + eps)),
    );
  }
}

/**
 * `INVALID_MASK` when indexing the coastline cells would take more than {@link MAX_COAST_PAIRS} pairs: counted
 * (each row at least once, which also bounds the scanline crossings) and stopped as soon as the bound is passed.
 */
function checkCoastPairCount(edges: Float64Array, grid: MaskGrid): void {
  let pairs = 0;
  const count = (_r: number, cA: number, cB: number): void => {
    pairs += Math.max(1, cB - cA + 1);
  };
  for (let i = 0; i < edges.length / 4 && pairs <= MAX_COAST_PAIRS; i++)
    forEachEdgeRowSpan(edges, i, grid, count);
  if (pairs > MAX_COAST_PAIRS)
    throw new GeoSamplingError(
      'INVALID_MASK',
      `land geometry edges cross more than ${MAX_COAST_PAIRS} grid cells at ${grid.R} cells/°: its edges are too long in all for one mask; lower cellsPerDegree or split the polygons`,
    );
}

/** Stage 2: every cell an edge passes through (conservative), with the edges that cross it. */
function indexCoastCells(edges: Float64Array, grid: MaskGrid): CoastIndex {
  const { cols, rows } = grid;
  const nEdges = edges.length / 4;
  const pairs: number[] = [];
  const EDGE_SPACE = 2 ** 21;
  if (nEdges >= EDGE_SPACE)
    throw new GeoSamplingError('INVALID_MASK', `too many edges (${nEdges}); simplify the polygons`);
  for (let i = 0; i < nEdges; i++)
    forEachEdgeRowSpan(edges, i, grid, (r, cA, cB) => {
      for (let c = cA; c <= cB; c++) pairs.push((r * cols + c) * EDGE_SPACE + i);
    });
  // (cell, edge) pairs packed in one number, sorted by cell, then split into a CSR index.
  const sorted = Float64Array.from(pairs).sort();
  const mixed = new Uint32Array(Math.ceil((cols * rows) / 32));
  const mixedCellsList: number[] = [];
  const offsets: number[] = [];
  const edgeIds = new Uint32Array(sorted.length);
  let last = -1;
  for (let k = 0; k < sorted.length; k++) {
    const cell = Math.floor(sorted[k] / EDGE_SPACE);
    edgeIds[k] = sorted[k] - cell * EDGE_SPACE;
    if (cell !== last) {
      mixedCellsList.push(cell);
      offsets.push(k);
      mixed[cell >>> 5] |= 1 << (cell & 31);
      last = cell;
    }
  }
  offsets.push(sorted.length);
  return {
    mixed,
    mixedCells: Float64Array.from(mixedCellsList),
    cellOffsets: Uint32Array.from(offsets),
    edgeIds,
  };
}

/**
 * Stage 3: the exact even-odd ray test for a point in a coastline cell: parity from the nearest non-coast cell
 * to the west (or the meridian closures), then the crossings of that cell's edges up to the point.
 */
function makeExactTest(
  edges: Float64Array,
  closures: readonly number[],
  grid: MaskGrid,
  land: Uint32Array,
  coast: CoastIndex,
): (lon: number, lat: number, r: number, col: number) => boolean {
  const { R, cols } = grid;
  const { mixed, mixedCells, cellOffsets, edgeIds } = coast;
  const findMixed = (cell: number): number => {
    let lo = 0;
    let hi = mixedCells.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = mixedCells[mid];
      if (v < cell) lo = mid + 1;
      else if (v > cell) hi = mid - 1;
      else return mid;
    }
    return -1;
  };
  return (lon, lat, r, col) => {
    const rowBase = r * cols;
    let c = col - 1;
    while (c >= 0 && bit(mixed, rowBase + c)) c--;
    let parity = c < 0 ? baseParity(closures, lat) : bit(land, rowBase + c);
    for (let cc = c + 1; cc <= col; cc++) {
      const m = findMixed(rowBase + cc);
      if (m < 0) continue;
      for (let k = cellOffsets[m]; k < cellOffsets[m + 1]; k++) {
        const i = edgeIds[k] * 4;
        const y1 = edges[i + 1];
        const y2 = edges[i + 3];
        if (y1 > lat === y2 > lat) continue;
        const x1 = edges[i];
        const xc = x1 + ((lat - y1) * (edges[i + 2] - x1)) / (y2 - y1);
        if (xc > lon) continue;
        const xcCol = Math.min(cols - 1, Math.max(0, Math.floor((xc + 180) * R)));
        if (xcCol === cc) parity ^= 1;
      }
    }
    return parity === 1;
  };
}
