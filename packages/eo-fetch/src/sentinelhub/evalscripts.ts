// Evalscripts (VERSION=3) of the WorldStrat requests and the Process API request bodies.
import { type BBox, CoreError, describeValue, parseIsoTime } from '@worldstrat/core';
import { EoFetchError } from '../errors.js';
import {
  checkArray,
  checkNumber,
  checkNumberArray,
  checkString,
  invalidArgument,
} from '../internal/check-arguments.js';
import type { CanonicalBand, S2Level } from '../stac/providers.js';
import { L1C_BANDS, L2A_BANDS } from '../stac/providers.js';

/** CRS URI of EPSG:4326 as SentinelHub expects it. */
export const CRS_WGS84 = 'http://www.opengis.net/def/crs/EPSG/0/4326';

/** Extra per-revisit layers SentinelHub can serve next to the bands. */
export type S2ExtraLayer =
  | 'CLM'
  | 'CLP'
  | 'dataMask'
  | 'sunAzimuthAngles'
  | 'sunZenithAngles'
  | 'viewAzimuthMean'
  | 'viewZenithMean';

const LAYER_UNITS: Record<S2ExtraLayer, { units: string; sampleType: 'UINT8' | 'FLOAT32' }> = {
  CLM: { units: 'DN', sampleType: 'UINT8' },
  CLP: { units: 'DN', sampleType: 'UINT8' },
  dataMask: { units: 'DN', sampleType: 'UINT8' },
  sunAzimuthAngles: { units: 'DEGREES', sampleType: 'FLOAT32' },
  sunZenithAngles: { units: 'DEGREES', sampleType: 'FLOAT32' },
  viewAzimuthMean: { units: 'DEGREES', sampleType: 'FLOAT32' },
  viewZenithMean: { units: 'DEGREES', sampleType: 'FLOAT32' },
};

const ident = (s: string) => {
  if (typeof s !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(s))
    throw new EoFetchError('INVALID_ARGUMENT', `band/layer name ${describeValue(s)} is not valid`);
  return s;
};

/**
 * Evalscript returning Sentinel-2 bands as FLOAT32 reflectance, one output of `bands.length` bands.
 *
 * @param bands - bands in output order (default: the release's 12 L2A bands)
 * @returns the evalscript text
 * @example
 * ```ts
 * s2BandsEvalscript(L1C_BANDS); // 13-band L1C script
 * ```
 */
export function s2BandsEvalscript(bands: readonly CanonicalBand[] = L2A_BANDS): string {
  checkArray('s2BandsEvalscript', 'bands', bands);
  const names = bands.map(ident);
  return `//VERSION=3
function setup() {
  return {
    input: [{ bands: ${JSON.stringify(names)}, units: "REFLECTANCE" }],
    output: { id: "default", bands: ${names.length}, sampleType: "FLOAT32" }
  };
}
function evaluatePixel(sample) {
  return [${names.map((b) => `sample.${b}`).join(', ')}];
}
`;
}

/**
 * Evalscript returning one extra layer (CLM, CLP, dataMask as UINT8; angles as FLOAT32 degrees).
 *
 * @param layer - the layer
 * @returns the evalscript text
 */
export function s2LayerEvalscript(layer: S2ExtraLayer): string {
  // own keys only (`constructor` is no layer), and the value described: a Symbol cannot be interpolated
  const spec =
    typeof layer === 'string' && Object.hasOwn(LAYER_UNITS, layer) ? LAYER_UNITS[layer] : undefined;
  if (!spec)
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `unknown layer ${describeValue(layer)}; use one of ${Object.keys(LAYER_UNITS).join(', ')}`,
    );
  return `//VERSION=3
function setup() {
  return {
    input: [{ bands: ["${ident(layer)}"], units: "${spec.units}" }],
    output: { id: "default", bands: 1, sampleType: "${spec.sampleType}" }
  };
}
function evaluatePixel(sample) {
  return [sample.${layer}];
}
`;
}

/**
 * SPOT evalscripts (DN, UINT16): `RGBN` returns `[B2, B1, B0, B3]` (file order R, G, B, NIR); `PAN` returns `[PAN]`.
 *
 * @param kind - `RGBN` or `PAN`
 * @returns the evalscript text
 */
export function spotEvalscript(kind: 'RGBN' | 'PAN'): string {
  checkSpotKind('spotEvalscript', kind);
  const bands = kind === 'RGBN' ? ['B0', 'B1', 'B2', 'B3'] : ['PAN'];
  const ret = kind === 'RGBN' ? '[sample.B2, sample.B1, sample.B0, sample.B3]' : '[sample.PAN]';
  return `//VERSION=3
function setup() {
  return {
    input: [{ bands: ${JSON.stringify(bands)}, units: "DN" }],
    output: { bands: ${bands.length}, sampleType: "UINT16" }
  };
}
function evaluatePixel(sample) {
  return ${ret};
}
`;
}

/** `RGBN` or `PAN` (anything else would silently get the PAN script). */
function checkSpotKind(fn: string, kind: unknown): void {
  if (kind !== 'RGBN' && kind !== 'PAN') invalidArgument(fn, 'kind', '"RGBN" or "PAN"', kind);
}

/** A Process API request body. */
export interface ProcessRequest {
  input: {
    bounds: { bbox: number[]; properties?: { crs: string } };
    data: { type: string; dataFilter?: Record<string, unknown>; processing?: Record<string, unknown> }[];
  };
  output: { width: number; height: number; responses: { identifier: string; format: { type: string } }[] };
  evalscript: string;
}

/** Options of {@link s2ProcessRequest}. */
export interface S2ProcessRequestOptions {
  /** Output size in pixels (see `aoiPixelSize`). */
  width: number;
  height: number;
  /** Half-width of the time window around the acquisition (default 2 h, upstream's). */
  windowMs?: number;
  /** `bands` (default) or an extra layer. */
  layer?: 'bands' | S2ExtraLayer;
  /** Bands of the data file (default: the release's list for the level). */
  bands?: readonly CanonicalBand[];
}

/** An acquisition time as read strictly (no zone = UTC: `Date.parse` took it as the machine's local time). */
function acquisitionMs(datetime: string): number {
  try {
    return parseIsoTime(datetime, { what: 'acquisition datetime' });
  } catch (err) {
    if (err instanceof CoreError) throw new EoFetchError('INVALID_ARGUMENT', err.message, { cause: err });
    throw err;
  }
}

/**
 * Process API body for one Sentinel-2 acquisition over an AOI (the second step of upstream's per-AOI download).
 * EPSG:4326 bounds,
 * `timeRange` = acquisition ± 2 h, `maxCloudCoverage` 100, one TIFF output.
 *
 * @param bounds - AOI bounds
 * @param datetime - acquisition time (ISO-8601)
 * @param level - `L2A` or `L1C`
 * @param options - output size, window, layer, bands
 * @returns the request body
 */
export function s2ProcessRequest(
  bounds: BBox,
  datetime: string,
  level: S2Level,
  options: S2ProcessRequestOptions,
): ProcessRequest {
  const t = acquisitionMs(datetime);
  const w = options.windowMs ?? 2 * 3_600_000;
  const layer = options.layer ?? 'bands';
  const bands = options.bands ?? (level === 'L2A' ? L2A_BANDS : L1C_BANDS);
  return {
    input: {
      bounds: { bbox: [...bounds], properties: { crs: CRS_WGS84 } },
      data: [
        {
          type: level === 'L2A' ? 'sentinel-2-l2a' : 'sentinel-2-l1c',
          dataFilter: {
            timeRange: { from: new Date(t - w).toISOString(), to: new Date(t + w).toISOString() },
            maxCloudCoverage: 100,
          },
        },
      ],
    },
    output: {
      width: options.width,
      height: options.height,
      responses: [{ identifier: 'default', format: { type: 'image/tiff' } }],
    },
    evalscript: layer === 'bands' ? s2BandsEvalscript(bands) : s2LayerEvalscript(layer),
  };
}

/**
 * Processing units of a request by SentinelHub's published rule (an estimate).
 * (W·H / 512²) × (input bands / 3) × 2 for
 * FLOAT32 output, with a minimum of 0.005 PU. An estimate for dry runs, not a bill.
 *
 * @param width - output width
 * @param height - output height
 * @param inputBands - number of input bands
 * @param float32 - FLOAT32 output
 * @returns estimated PU
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` unless the sizes and band count are integers ≥ 1 and `float32`
 *   a boolean
 */
export function estimateProcessingUnits(
  width: number,
  height: number,
  inputBands: number,
  float32: boolean,
): number {
  // a NaN, a negative size or a numeric string would give NaN or an invented estimate
  const fn = 'estimateProcessingUnits';
  for (const [name, v] of [
    ['width', width],
    ['height', height],
    ['inputBands', inputBands],
  ] as const)
    checkNumber(fn, name, v, { integer: true, min: 1 });
  if (typeof float32 !== 'boolean') invalidArgument(fn, 'float32', 'true or false', float32);
  return Math.max(0.005, ((width * height) / (512 * 512)) * (inputBands / 3) * (float32 ? 2 : 1));
}

/**
 * SPOT output side lengths in pixels from an order's area.
 * side = √sqkm·1000 m; RGBN at 6 m and
 * PAN at 1.5 m, truncated (263 and 1 054 px for 2.5 km²).
 *
 * @param sqkm - the order's reported area in km²
 * @returns `{ rgbn, pan }` side lengths
 */
export function spotOutputSize(sqkm: number): { rgbn: number; pan: number } {
  if (!(sqkm > 0)) throw new EoFetchError('INVALID_ARGUMENT', `order area must be > 0 km², got ${sqkm}`);
  const side = Math.sqrt(sqkm) * 1000;
  return { rgbn: Math.trunc(side / 6), pan: Math.trunc(side / 1.5) };
}

/**
 * Process API body for a SPOT product delivered to a BYOC collection.
 *
 * @param collectionId - BYOC collection id
 * @param bbox - order bbox
 * @param kind - `RGBN` or `PAN`
 * @param size - output side in pixels
 * @param crs - order CRS (default EPSG:4326)
 * @returns the request body
 */
export function spotProcessRequest(
  collectionId: string,
  bbox: number[],
  kind: 'RGBN' | 'PAN',
  size: number,
  crs = CRS_WGS84,
): ProcessRequest {
  const fn = 'spotProcessRequest';
  checkString(fn, 'collectionId', collectionId);
  checkNumberArray(fn, 'bbox', bbox);
  checkSpotKind(fn, kind);
  checkNumber(fn, 'size', size, { integer: true, min: 1 });
  checkString(fn, 'crs', crs);
  return {
    input: { bounds: { properties: { crs }, bbox: [...bbox] }, data: [{ type: `byoc-${collectionId}` }] },
    output: {
      width: size,
      height: size,
      responses: [{ identifier: 'default', format: { type: 'image/tiff' } }],
    },
    evalscript: spotEvalscript(kind),
  };
}
