// Typed STAC objects (the parts WorldStrat uses; everything else stays reachable through index signatures).
import type { BBox } from '@worldstrat/core';

/** A GeoJSON geometry as STAC uses it. */
export type StacGeometry =
  | { type: 'Polygon'; coordinates: number[][][] }
  | { type: 'MultiPolygon'; coordinates: number[][][][] }
  | { type: 'Point'; coordinates: number[] }
  | { type: string; coordinates: unknown };

/** A link; STAC API `next` links may carry a method, a body and `merge`. */
export interface StacLink {
  href: string;
  rel: string;
  type?: string;
  title?: string;
  method?: 'GET' | 'POST' | string;
  headers?: Record<string, string>;
  body?: Record<string, unknown>;
  merge?: boolean;
}

/** `raster:bands` entry (scale/offset turn DN into physical values). */
export interface StacRasterBand {
  scale?: number;
  offset?: number;
  nodata?: number;
  data_type?: string;
  spatial_resolution?: number;
}

/** An asset (a COG band, a thumbnail, metadata...). */
export interface StacAsset {
  href: string;
  type?: string;
  title?: string;
  roles?: string[];
  'eo:bands'?: { name?: string; common_name?: string; center_wavelength?: number }[];
  'raster:bands'?: StacRasterBand[];
  'file:size'?: number;
  'file:checksum'?: string;
  'proj:epsg'?: number;
  'proj:shape'?: number[];
  'proj:transform'?: number[];
  [key: string]: unknown;
}

/** Item properties used by WorldStrat (plus any other). */
export interface StacItemProperties {
  datetime: string | null;
  'eo:cloud_cover'?: number;
  platform?: string;
  'proj:epsg'?: number;
  's2:processing_baseline'?: string;
  's2:datatake_id'?: string;
  's2:mgrs_tile'?: string;
  'sat:relative_orbit'?: number;
  [key: string]: unknown;
}

/** A STAC item (GeoJSON Feature). */
export interface StacItem {
  type: 'Feature';
  stac_version?: string;
  id: string;
  collection?: string;
  geometry: StacGeometry | null;
  bbox?: number[];
  properties: StacItemProperties;
  assets: Record<string, StacAsset>;
  links?: StacLink[];
}

/** One page of search results. */
export interface StacItemCollection {
  type: 'FeatureCollection';
  features: StacItem[];
  links?: StacLink[];
  numberMatched?: number;
  numberReturned?: number;
  /** STAC API context extension; SentinelHub's Catalog API pages with `context.next`. */
  context?: { next?: string | number; returned?: number; matched?: number; limit?: number };
}

/** A collection document. */
export interface StacCollection {
  type?: 'Collection';
  id: string;
  title?: string;
  description?: string;
  extent?: unknown;
  links?: StacLink[];
  [key: string]: unknown;
}

/** `sortby` entry. */
export interface StacSortBy {
  field: string;
  direction: 'asc' | 'desc';
}

/** A datetime or interval: an RFC 3339 string (`a/b`, `../b`), a Date, or `[start, end]` with null for open. */
export type StacDatetime = string | Date | [Date | string | null, Date | string | null];

/** Parameters of `POST /search` (Item Search + query, filter, fields and sort extensions). */
export interface StacSearchParams {
  collections?: string[];
  ids?: string[];
  bbox?: BBox | number[];
  intersects?: StacGeometry;
  datetime?: StacDatetime;
  /** Query extension: `{ 'eo:cloud_cover': { lt: 20 } }`. */
  query?: Record<string, Record<string, unknown>>;
  /** CQL2 filter: text (`"eo:cloud_cover < 20"`) or JSON. */
  filter?: string | Record<string, unknown>;
  /** Defaults to `cql2-text` for strings and `cql2-json` for objects. */
  filterLang?: 'cql2-text' | 'cql2-json';
  fields?: { include?: string[]; exclude?: string[] };
  sortby?: StacSortBy[];
  /** Page size. */
  limit?: number;
  /** Anything else the server understands (sent as is). */
  [extra: string]: unknown;
}
