// STAC providers: where Sentinel-2 lives, how its collections are called and which asset key holds each band.
import {
  S2_BAND_RESOLUTION_M,
  S2_CANONICAL_BANDS,
  S2_L1C_BANDS,
  S2_L2A_BANDS,
  type S2Band,
} from '@worldstrat/core';
import { EoFetchError } from '../errors.js';
import { checkNonEmptyString, checkObject, checkOptions, checkString } from '../internal/check-arguments.js';
import type { StacAsset, StacItem } from './stac-types.js';
import { describeItemId, quoted } from './validate-item.js';

// The band orders and resolutions are defined once in @worldstrat/core; these are eo-fetch's names for them.

/** Our canonical Sentinel-2 band names (ESA's), plus the L2A scene classification layer. */
export const CANONICAL_BANDS = S2_CANONICAL_BANDS;
/** One canonical band name. */
export type CanonicalBand = S2Band;

/** WorldStrat L2A band order (12 bands, no B10), as in the release's `*-L2A_data.tiff`. */
export const L2A_BANDS = S2_L2A_BANDS;
/** WorldStrat L1C band order (13 bands), as in the release's `*-L1C_data.tiff`. */
export const L1C_BANDS = S2_L1C_BANDS;

/** Native ground sampling distance of each band in metres. */
export const BAND_RESOLUTION_M: Readonly<Record<CanonicalBand, number>> = S2_BAND_RESOLUTION_M;

/** Processing level. */
export type S2Level = 'L2A' | 'L1C';

/** How a provider serves Sentinel-2. */
export interface StacProvider {
  /** Registry key. */
  id: string;
  /** STAC API root. */
  url: string;
  /** Collection per level (missing: the provider does not serve that level as COGs). */
  collections: Partial<Record<S2Level, string>>;
  /** Asset key of each canonical band. */
  assetKeys: Partial<Record<CanonicalBand, string>>;
  /** Hrefs must be signed (Planetary Computer SAS tokens) before reading. */
  requiresSigning?: boolean;
  /** Free text shown in docs/CLI. */
  description?: string;
}

const COLOUR_KEYS: Partial<Record<CanonicalBand, string>> = {
  B01: 'coastal',
  B02: 'blue',
  B03: 'green',
  B04: 'red',
  B05: 'rededge1',
  B06: 'rededge2',
  B07: 'rededge3',
  B08: 'nir',
  B8A: 'nir08',
  B09: 'nir09',
  B10: 'cirrus',
  B11: 'swir16',
  B12: 'swir22',
  SCL: 'scl',
};

/**
 * Element 84 Earth Search v1 (`sentinel-2-l2a`, `sentinel-2-l1c`).
 * `sentinel-2-l2a` (COGs; DN with the ≥ 04.00 offset unless
 * `earthsearch:boa_offset_applied`), `sentinel-2-l1c` (JPEG 2000, not COG: listed for search only).
 * Assets are named by colour (`nir08` = B8A, `swir16` = B11).
 */
export const earthSearch: StacProvider = {
  id: 'earth-search',
  url: 'https://earth-search.aws.element84.com/v1',
  collections: { L2A: 'sentinel-2-l2a', L1C: 'sentinel-2-l1c' },
  assetKeys: COLOUR_KEYS,
  description: 'Element 84 Earth Search v1 (AWS open data, no key)',
};

/** Earth Search v1 `sentinel-2-c1-l2a` (Collection 1 reprocessing; `raster:bands` scale/offset per asset). */
export const earthSearchC1: StacProvider = {
  id: 'earth-search-c1',
  url: 'https://earth-search.aws.element84.com/v1',
  collections: { L2A: 'sentinel-2-c1-l2a' },
  assetKeys: COLOUR_KEYS,
  description: 'Element 84 Earth Search v1, Sentinel-2 Collection 1 L2A',
};

/** Microsoft Planetary Computer `sentinel-2-l2a`: assets `B01`…`B12`, `B8A`, `SCL`; hrefs need a SAS token. */
export const planetaryComputer: StacProvider = {
  id: 'planetary-computer',
  url: 'https://planetarycomputer.microsoft.com/api/stac/v1',
  collections: { L2A: 'sentinel-2-l2a' },
  assetKeys: Object.fromEntries(CANONICAL_BANDS.filter((b) => b !== 'B10').map((b) => [b, b])) as Partial<
    Record<CanonicalBand, string>
  >,
  requiresSigning: true,
  description: 'Microsoft Planetary Computer (Azure; SAS-signed hrefs)',
};

const BUILT_IN: Readonly<Record<string, StacProvider>> = {
  'earth-search': earthSearch,
  'earth-search-c1': earthSearchC1,
  'planetary-computer': planetaryComputer,
};
const registered = new Map<string, StacProvider>();

/**
 * Registers a provider (e.g. a private STAC mirror).
 *
 * @param provider - provider description
 * @param options - `override` to replace an existing id
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` when the id is taken and `override` is not set
 * @example
 * ```ts
 * registerStacProvider({ ...earthSearch, id: 'mirror', url: 'https://stac.example.org' });
 * ```
 */
export function registerStacProvider(provider: StacProvider, options: { override?: boolean } = {}): void {
  const fn = 'registerStacProvider';
  checkObject(fn, 'provider', provider);
  checkNonEmptyString(fn, 'provider.id', provider.id);
  checkString(fn, 'provider.url', provider.url);
  checkObject(fn, 'provider.collections', provider.collections);
  checkObject(fn, 'provider.assetKeys', provider.assetKeys);
  checkOptions(fn, options);
  if ((registered.has(provider.id) || provider.id in BUILT_IN) && !options.override)
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `STAC provider ${provider.id} already exists; pass { override: true }`,
    );
  registered.set(provider.id, provider);
}

/**
 * Looks a provider up by id.
 *
 * @param id - `earth-search`, `earth-search-c1`, `planetary-computer` or a registered id
 * @returns the provider
 * @throws {@link EoFetchError} `UNKNOWN_PROVIDER`; `INVALID_ARGUMENT` when `id` is not a string
 */
export function getStacProvider(id: string): StacProvider {
  // an id of another type (a cyclic object, a BigInt) is no provider name; JSON.stringify would throw on it
  checkString('getStacProvider', 'id', id);
  const p = registered.get(id) ?? (Object.hasOwn(BUILT_IN, id) ? BUILT_IN[id] : undefined);
  if (!p)
    throw new EoFetchError(
      'UNKNOWN_PROVIDER',
      `no STAC provider ${JSON.stringify(id)}; known: ${[...Object.keys(BUILT_IN), ...registered.keys()].join(', ')}`,
    );
  return p;
}

/**
 * The asset of `item` that holds a canonical band for this provider.
 *
 * @param item - a STAC item of the provider
 * @param provider - the provider (asset-key table)
 * @param band - canonical band name (`B8A`, `SCL`, ...)
 * @returns the asset key and asset
 * @throws {@link EoFetchError} `UNKNOWN_BAND` when the provider or the item lacks the band; `INVALID_ITEM` when
 *   the item has no `assets` object or the asset has no href
 * @example
 * ```ts
 * const { asset } = bandAsset(item, earthSearch, 'B8A'); // item.assets.nir08
 * ```
 */
export function bandAsset(
  item: StacItem,
  provider: StacProvider,
  band: CanonicalBand,
): { key: string; asset: StacAsset } {
  checkObject('bandAsset', 'provider', provider);
  checkObject('bandAsset', 'provider.assetKeys', provider.assetKeys);
  checkString('bandAsset', 'band', band);
  const key: unknown = provider.assetKeys[band];
  if (typeof key !== 'string' || !key)
    throw new EoFetchError('UNKNOWN_BAND', `provider ${provider.id} has no asset for band ${band}`);
  const assets = itemAssets(item);
  const asset = Object.hasOwn(assets, key) ? assets[key] : undefined;
  if (!asset)
    throw new EoFetchError(
      'UNKNOWN_BAND',
      `item ${describeItemId(item)} has no asset ${JSON.stringify(key)} (band ${band}); it has: ${Object.keys(assets).join(', ') || 'none'}`,
    );
  if (!asset || typeof asset !== 'object' || typeof asset.href !== 'string' || asset.href === '')
    throw new EoFetchError(
      'INVALID_ITEM',
      `item ${describeItemId(item)} asset ${JSON.stringify(key)} has no href`,
    );
  return { key, asset };
}

/**
 * The `assets` object of an item, or a typed error (a `fields` search or a broken catalogue can drop it).
 *
 * @param item - the item
 * @returns its assets
 * @throws {@link EoFetchError} `INVALID_ITEM`
 */
export function itemAssets(item: StacItem): Record<string, StacAsset> {
  const a = (item as { assets?: unknown } | null)?.assets;
  if (!a || typeof a !== 'object' || Array.isArray(a))
    throw new EoFetchError(
      'INVALID_ITEM',
      `item ${describeItemId(item)} has no assets object (a fields-filtered search drops it; search without excluding assets)`,
    );
  return a as Record<string, StacAsset>;
}

/** The processing baseline (Earth Search v1/PC `s2:`, Earth Search v0 `sentinel:`), as a number. */
function processingBaseline(item: StacItem): { text: string | undefined; value: number | undefined } {
  const p: unknown = item?.properties;
  if (!p || typeof p !== 'object' || Array.isArray(p))
    throw new EoFetchError('INVALID_ITEM', `item ${describeItemId(item)}: properties is not an object`);
  const props = p as StacItem['properties'];
  const raw = props['s2:processing_baseline'] ?? props['sentinel:processing_baseline'];
  if (raw === undefined || raw === null) return { text: undefined, value: undefined };
  const m = typeof raw === 'string' ? /^N?(\d{2})\.?(\d{2})$/.exec(raw.trim()) : null;
  if (!m)
    throw new EoFetchError(
      'INVALID_ITEM',
      `item ${describeItemId(item)}: processing baseline ${quoted(raw)} is not NN.NN; cannot tell whether DNs carry the 04.00 offset`,
    );
  const text = raw as string;
  return { text, value: Number(m[1]) + Number(m[2]) / 100 };
}

/** Where {@link reflectanceScaling} took its offset from. */
export type ScalingSource = 'boa-offset-applied' | 'raster:bands' | 'processing-baseline';

/**
 * Linear scaling from stored DN to harmonised reflectance: `refl = DN·scale + offset`.
 * Surface or top-of-atmosphere reflectance, equal to what SentinelHub serves as `REFLECTANCE` (values
 * harmonised to processing baselines < 04.00). The rule, in order:
 * 1. `earthsearch:boa_offset_applied` (v0: `sentinel:boa_offset_applied`) true: Element 84 already added the
 *    baseline-04.00 offset (−1000 DN) to the stored DNs, so `DN / 10000` is reflectance; offset 0, even when
 *    `raster:bands` also says −0.1 (applying it would subtract the offset twice).
 * 2. the asset's `raster:bands` scale/offset (Collection 1, Planetary Computer mirrors that set them);
 * 3. 1/10000 and, for processing baseline ≥ 04.00 (`s2:` or Earth Search v0 `sentinel:processing_baseline`),
 *    −0.1; else 0.
 *
 * @param item - the STAC item (for the baseline and the offset flag)
 * @param asset - the band asset
 * @returns `{ scale, offset, baseline, source }`
 * @throws {@link EoFetchError} `INVALID_ITEM` for an unreadable processing baseline or non-finite scale/offset
 * @example
 * ```ts
 * const { scale, offset } = reflectanceScaling(item, item.assets.red); // 0.0001, -0.1 for a 2023 scene
 * ```
 */
export function reflectanceScaling(
  item: StacItem,
  asset: StacAsset,
): { scale: number; offset: number; baseline: string | undefined; source: ScalingSource } {
  const { text: baseline, value } = processingBaseline(item);
  const rb = Array.isArray(asset?.['raster:bands']) ? asset['raster:bands'][0] : undefined;
  const num = (v: unknown, name: string, fallback: number) => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || (name === 'scale' && v === 0))
      throw new EoFetchError(
        'INVALID_ITEM',
        `item ${describeItemId(item)}: raster:bands ${name} ${quoted(v)} is not usable`,
      );
    return v;
  };
  const scale = num(rb?.scale, 'scale', 1e-4);
  const p = item.properties;
  if (p['earthsearch:boa_offset_applied'] === true || p['sentinel:boa_offset_applied'] === true)
    return { scale, offset: 0, baseline, source: 'boa-offset-applied' };
  if (rb && (rb.scale !== undefined || rb.offset !== undefined))
    return { scale, offset: num(rb.offset, 'offset', 0), baseline, source: 'raster:bands' };
  return {
    scale,
    offset: value !== undefined && value >= 4 ? -0.1 : 0,
    baseline,
    source: 'processing-baseline',
  };
}
