// Third-party SR models described by a STAC Machine Learning Model (MLM) extension document: parse and validate
// the parts inference needs (bands, input/output tensors, value scaling or its pre-1.3 norm_* form) into one
// flat, checked descriptor.
import { SrnetError } from '../errors.js';
import { showValue } from '../internal/show-value.js';

/** Largest descriptor document accepted (a STAC Item with MLM fields is a few KiB). */
export const MAX_DESCRIPTOR_BYTES = 1 << 20;
/** Largest band count a descriptor may list. */
const MAX_BANDS = 64;

/** Per-band affine step `(x − offset) / scale`, then a clip to `[min, max]`, all in model-input units. */
export interface BandScaling {
  offset: number;
  scale: number;
  min: number;
  max: number;
}

/** What srnet needs to run a third-party SR model, read from an MLM document. */
export interface SrModelDescriptor {
  /** `mlm:name`. */
  name: string;
  /** Band names in model channel order (`mlm:input[0].bands`). */
  bands: string[];
  /** ONNX input name (`mlm:input[0].name`). */
  inputName: string;
  /** `bchw` (single image) or `btchw` (a time/revisit axis after the batch). */
  layout: 'bchw' | 'btchw';
  /** Revisits the model takes (1 for `bchw`). */
  revisits: number;
  /** Input tile size in LR pixels (height = width), null when the model takes any size (-1). */
  tileSize: number | null;
  /** ONNX output name (`mlm:output[0].name`). */
  outputName: string;
  /** Output channels. */
  outChannels: number;
  /** Output pixels per input pixel, from the input and result shapes (null when both are variable). */
  scale: number | null;
  /** One entry per input band (`value_scaling` or pre-1.3 `norm_type` + `statistics`; one entry is broadcast). */
  scaling: BandScaling[];
  /** `href` of the asset with role `mlm:model` (resolved by the caller against the document's location). */
  modelHref: string | null;
  /** Where the document came from (named in every error). */
  source: string;
}

type Json = Record<string, unknown>;

function fail(source: string, where: string, message: string): never {
  throw new SrnetError('BAD_MODEL_DESCRIPTOR', `${source}: ${where}: ${message}`, { source, where });
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shapeOf(source: string, where: string, struct: unknown): { shape: number[]; dims: string[] } {
  if (!isObject(struct)) fail(source, where, 'must be an object with shape, dim_order and data_type');
  const { shape, dim_order: dims, data_type: dataType } = struct;
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 8)
    fail(source, `${where}.shape`, `must be an array of 1..8 integers, got ${showValue(shape)}`);
  for (const d of shape)
    if (!Number.isInteger(d) || (d < 1 && d !== -1) || d > 1 << 20)
      fail(
        source,
        `${where}.shape`,
        `entries must be -1 or integers in 1..${1 << 20}, got ${showValue(shape)}`,
      );
  if (!Array.isArray(dims) || dims.length !== shape.length || dims.some((d) => typeof d !== 'string'))
    fail(
      source,
      `${where}.dim_order`,
      `must name each of the ${shape.length} dimensions, got ${showValue(dims)}`,
    );
  if (dataType !== 'float32')
    fail(source, `${where}.data_type`, `only float32 models run here, got ${showValue(dataType)}`);
  return { shape: shape as number[], dims: dims as string[] };
}

const CHANNEL_DIMS = new Set(['channel', 'bands', 'band', 'channels']);
const TIME_DIMS = new Set(['time', 'revisit', 'revisits']);

/** Classifies a dim_order as `bchw` or `btchw`. */
function layoutOf(source: string, where: string, dims: string[]): 'bchw' | 'btchw' {
  const d = dims.map((x) => x.toLowerCase());
  const hw = d.at(-2) === 'height' && d.at(-1) === 'width';
  if (d.length === 4 && d[0] === 'batch' && CHANNEL_DIMS.has(d[1] as string) && hw) return 'bchw';
  if (
    d.length === 5 &&
    d[0] === 'batch' &&
    TIME_DIMS.has(d[1] as string) &&
    CHANNEL_DIMS.has(d[2] as string) &&
    hw
  )
    return 'btchw';
  return fail(
    source,
    where,
    `dim_order ${showValue(dims)} is not [batch, channel, height, width] or [batch, time, channel, height, width]`,
  );
}

function finiteField(source: string, where: string, o: Json, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail(source, `${where}.${key}`, `must be a finite number, got ${showValue(v)}`);
  return v;
}

/** One MLM Value Scaling Object as an affine step plus clip. */
function scalingOf(source: string, where: string, v: unknown): BandScaling {
  const id: BandScaling = { offset: 0, scale: 1, min: -Infinity, max: Infinity };
  if (v === null) return id;
  if (!isObject(v)) fail(source, where, 'must be a Value Scaling Object or null');
  const divisor = (value: number, key: string): number => {
    if (value === 0) fail(source, `${where}.${key}`, 'would divide by zero');
    return value;
  };
  switch (v.type) {
    case null:
      return id;
    case 'z-score': {
      const stddev = divisor(finiteField(source, where, v, 'stddev'), 'stddev');
      if (stddev < 0) fail(source, `${where}.stddev`, `must be > 0, got ${stddev}`);
      return { ...id, offset: finiteField(source, where, v, 'mean'), scale: stddev };
    }
    case 'min-max': {
      const lo = finiteField(source, where, v, 'minimum');
      const range = divisor(finiteField(source, where, v, 'maximum') - lo, 'maximum');
      // maximum ≤ minimum flips or zeroes the data; a range past float64 (±1e308) divides everything to 0
      if (!(range > 0 && Number.isFinite(range)))
        fail(source, `${where}.maximum`, `must be above minimum by a finite range, got ${showValue(v)}`);
      return { ...id, offset: lo, scale: range };
    }
    case 'offset':
      return { ...id, offset: finiteField(source, where, v, 'value') };
    case 'scale': {
      // a negative divisor flips the data's sign, which no reflectance model expects (z-score stddev alike)
      const value = divisor(finiteField(source, where, v, 'value'), 'value');
      if (value < 0) fail(source, `${where}.value`, `must be > 0, got ${value}`);
      return { ...id, scale: value };
    }
    case 'clip': {
      const min = finiteField(source, where, v, 'minimum');
      const max = finiteField(source, where, v, 'maximum');
      if (min > max) fail(source, `${where}.maximum`, `must be ≥ minimum ${min}, got ${max}`);
      return { ...id, min, max };
    }
    case 'clip-min':
      return { ...id, min: finiteField(source, where, v, 'minimum') };
    case 'clip-max':
      return { ...id, max: finiteField(source, where, v, 'maximum') };
    default:
      // 'processing' (custom code) and unknown types cannot be reproduced faithfully: refuse, never guess.
      return fail(
        source,
        `${where}.type`,
        `value scaling ${showValue(v.type)} is not supported (supported: z-score, min-max, offset, scale, clip, clip-min, clip-max, null)`,
      );
  }
}

/** Pre-1.3 `norm_type` values srnet reproduces exactly (with `statistics`); the others are refused. */
const LEGACY_NORM_TYPES = ['z-score', 'min-max'] as const;

/**
 * MLM < 1.3 input normalisation (`norm_type`, `norm_by_channel`, `statistics`, `norm_clip`) as one scaling per
 * band, or null when `norm_type` is absent or null (no normalisation). z-score and min-max with global or per-band
 * statistics are the same affine steps as their `value_scaling` forms; every other type (l1, l2, clip, …) and
 * anything ambiguous is refused rather than skipped.
 */
function legacyScaling(source: string, inp: Json, bandCount: number): BandScaling[] | null {
  const where = 'mlm:input[0]';
  const type = inp.norm_type;
  if (type === undefined || type === null) return null;
  if (inp.value_scaling !== undefined && inp.value_scaling !== null)
    fail(
      source,
      `${where}.norm_type`,
      'both value_scaling and the pre-1.3 norm_type are given; keep one of them',
    );
  if (!(LEGACY_NORM_TYPES as readonly unknown[]).includes(type))
    fail(
      source,
      `${where}.norm_type`,
      `normalisation ${showValue(type)} cannot be reproduced exactly here (supported: ${LEGACY_NORM_TYPES.join(', ')} with statistics; or describe it as value_scaling)`,
    );
  const clip = inp.norm_clip;
  if (clip !== undefined && clip !== null && !(Array.isArray(clip) && clip.length === 0))
    fail(
      source,
      `${where}.norm_clip`,
      `is defined for norm_type "clip" only; cannot tell how it applies to ${type}`,
    );
  const byChannel = inp.norm_by_channel;
  if (byChannel !== undefined && byChannel !== null && typeof byChannel !== 'boolean')
    fail(source, `${where}.norm_by_channel`, `must be a boolean, got ${showValue(byChannel)}`);
  const stats = inp.statistics;
  // one statistics object for all bands, or (norm_by_channel) one per band in band order
  const counts = byChannel === true ? [bandCount] : byChannel === false ? [1] : [1, bandCount];
  if (!Array.isArray(stats) || !counts.includes(stats.length))
    fail(
      source,
      `${where}.statistics`,
      `${type} with norm_by_channel ${showValue(byChannel ?? null)} needs ${counts.join(' or ')} statistics object(s) for ${bandCount} band(s), got ${showValue(stats)}`,
    );
  return Array.from({ length: bandCount }, (_, b) => {
    const i = stats.length === 1 ? 0 : b;
    const st: unknown = stats[i];
    const at = `${where}.statistics[${i}]`;
    if (!isObject(st)) fail(source, at, `must be a Statistics Object, got ${showValue(st)}`);
    return type === 'z-score'
      ? scalingOf(source, at, { type, mean: st.mean, stddev: st.stddev })
      : scalingOf(source, at, { type, minimum: st.minimum, maximum: st.maximum });
  });
}

function bandNames(source: string, bands: unknown): string[] {
  if (!Array.isArray(bands) || bands.length < 1 || bands.length > MAX_BANDS)
    fail(source, 'mlm:input[0].bands', `must list 1..${MAX_BANDS} bands, got ${showValue(bands)}`);
  const seen = new Map<string, number>();
  return bands.map((b, i) => {
    const name = typeof b === 'string' ? b : isObject(b) ? b.name : undefined;
    if (typeof name !== 'string' || name.length === 0 || name.length > 64)
      fail(source, `mlm:input[0].bands[${i}]`, 'must be a band name or a Model Band Object with a name');
    // null is how MLM documents write an absent field (as for pre_processing_function)
    if (isObject(b) && b.expression !== undefined && b.expression !== null)
      fail(
        source,
        `mlm:input[0].bands[${i}]`,
        `derived band expressions are not supported (${showValue(b.format)})`,
      );
    // scene bands are found by name, case-insensitively: a repeated name feeds one band into two channels
    const first = seen.get(name.toLowerCase());
    if (first !== undefined)
      fail(
        source,
        `mlm:input[0].bands[${i}]`,
        `band ${showValue(name)} is listed twice (also bands[${first}])`,
      );
    seen.set(name.toLowerCase(), i);
    return name;
  });
}

function modelHrefOf(source: string, doc: Json): string | null {
  const assets = isObject(doc.assets) ? doc.assets : {};
  // MLM documents may offer one model in several artifacts (torch.export.save, onnx, …): take the ONNX one,
  // not the first (a .pt listed before the .onnx used to make the whole document unusable)
  let other: [string, unknown] | undefined;
  for (const [key, a] of Object.entries(assets)) {
    if (!isObject(a) || !Array.isArray(a.roles) || !a.roles.includes('mlm:model')) continue;
    if (typeof a.href !== 'string' || a.href.length === 0)
      fail(source, `assets.${key}.href`, 'must be a non-empty string');
    const type = a['mlm:artifact_type'];
    if (type !== undefined && type !== null && !(typeof type === 'string' && /onnx/i.test(type))) {
      other ??= [key, type];
      continue;
    }
    return a.href;
  }
  if (other)
    fail(source, `assets.${other[0]}.mlm:artifact_type`, `${showValue(other[1])} is not an ONNX artifact`);
  return null;
}

/**
 * Parse and validate a STAC Item (or bare properties object) using the MLM extension that describes a
 * super-resolution model: the first `mlm:input` (bands, `input` shape/dim_order, `value_scaling`, or before MLM
 * 1.3 `norm_type` z-score / min-max with `statistics`) and the first `mlm:output` (`result` shape), plus the
 * `mlm:model` asset. Custom `pre_processing_function`, `post_processing_function`, `processing` value scaling,
 * other pre-1.3 norm types and band expressions are refused rather than skipped.
 *
 * @param input - the JSON text or the parsed document.
 * @param source - the file or URL it came from, named in every error.
 * @returns the flat descriptor srnet's runner uses.
 * @throws SrnetError `BAD_MODEL_DESCRIPTOR` naming the source and the offending field.
 * @example
 * const d = parseMlmDescriptor(readFileSync('model.json', 'utf8'), 'model.json'); // d.bands, d.scale
 */
export function parseMlmDescriptor(input: string | unknown, source = '<descriptor>'): SrModelDescriptor {
  try {
    return parseDocument(input, source);
  } catch (cause) {
    if (cause instanceof SrnetError) throw cause;
    // a parsed document passed in may hold getters that throw or be a Proxy: still a typed error naming it
    throw new SrnetError(
      'BAD_MODEL_DESCRIPTOR',
      `${source}: document: cannot be read (${(cause as Error)?.message ?? showValue(cause)})`,
      { source, where: 'document' },
      { cause },
    );
  }
}

function parseDocument(input: unknown, source: string): SrModelDescriptor {
  let doc: unknown = input;
  if (typeof input === 'string') {
    if (input.length > MAX_DESCRIPTOR_BYTES)
      fail(source, 'document', `larger than ${MAX_DESCRIPTOR_BYTES} bytes`);
    try {
      doc = JSON.parse(input);
    } catch (cause) {
      fail(source, 'document', `not JSON (${(cause as Error).message})`);
    }
  }
  if (!isObject(doc)) fail(source, 'document', 'must be a JSON object (a STAC Item with mlm:* properties)');
  const props = isObject(doc.properties) ? doc.properties : doc;
  const inputs = props['mlm:input'];
  const outputs = props['mlm:output'];
  if (!Array.isArray(inputs) || inputs.length !== 1 || !isObject(inputs[0]))
    fail(source, 'mlm:input', 'must hold exactly one Model Input Object (single-input SR models)');
  if (!Array.isArray(outputs) || outputs.length < 1 || !isObject(outputs[0]))
    fail(source, 'mlm:output', 'must hold at least one Model Output Object');
  const inp = inputs[0] as Json;
  const out = outputs[0] as Json;
  for (const [where, v] of [
    ['mlm:input[0].pre_processing_function', inp.pre_processing_function],
    ['mlm:output[0].post_processing_function', out.post_processing_function],
  ] as const) {
    if (v !== undefined && v !== null) fail(source, where, `custom code (${showValue(v)}) cannot run here`);
  }
  if (typeof inp.name !== 'string' || !inp.name)
    fail(source, 'mlm:input[0].name', 'must be the ONNX input name');
  if (typeof out.name !== 'string' || !out.name)
    fail(source, 'mlm:output[0].name', 'must be the ONNX output name');
  const bands = bandNames(source, inp.bands);
  const i = shapeOf(source, 'mlm:input[0].input', inp.input);
  const o = shapeOf(source, 'mlm:output[0].result', out.result);
  const layout = layoutOf(source, 'mlm:input[0].input.dim_order', i.dims);
  const outLayout = layoutOf(source, 'mlm:output[0].result.dim_order', o.dims);
  // srnet takes one SR image per input; a time axis in the output is fine only at size 1
  if (outLayout === 'btchw' && o.shape[1] !== 1 && o.shape[1] !== -1)
    fail(source, 'mlm:output[0].result.shape', `the time axis must be 1 (one SR image), got ${o.shape[1]}`);
  const rank = i.shape.length;
  const chanIn = i.shape[rank - 3] as number;
  if (chanIn !== -1 && chanIn !== bands.length)
    fail(source, 'mlm:input[0].input.shape', `has ${chanIn} channels but ${bands.length} bands are listed`);
  const revisits = layout === 'btchw' ? (i.shape[1] as number) : 1;
  if (revisits < 1) fail(source, 'mlm:input[0].input.shape', 'the time axis must have a fixed size');
  const [ih, iw] = i.shape.slice(-2) as [number, number];
  const [oh, ow] = o.shape.slice(-2) as [number, number];
  if (ih !== iw || oh !== ow)
    fail(source, 'shape', `only square tiles are supported (input ${ih}×${iw}, output ${oh}×${ow})`);
  const outChannels = o.shape[o.shape.length - 3] as number;
  // the scene output is allocated per channel before the model runs: bound it like the input bands
  if (outChannels < 1 || outChannels > MAX_BANDS)
    fail(source, 'mlm:output[0].result.shape', `the channel axis must have a fixed size in 1..${MAX_BANDS}`);
  let scale: number | null = null;
  if (ih > 0 && oh > 0) {
    scale = oh / ih;
    if (scale < 1)
      fail(source, 'shape', `output ${oh} px is smaller than input ${ih} px: not a super-resolution model`);
  } else if (ih > 0 !== oh > 0)
    fail(source, 'shape', 'input and output tile sizes must both be fixed or both be -1');
  const vs = inp.value_scaling;
  const legacy = legacyScaling(source, inp, bands.length);
  let scaling: BandScaling[];
  if (legacy) scaling = legacy;
  else if (vs === undefined || vs === null) scaling = bands.map(() => scalingOf(source, '', null));
  else if (!Array.isArray(vs) || (vs.length !== 1 && vs.length !== bands.length))
    fail(source, 'mlm:input[0].value_scaling', `must hold 1 or ${bands.length} objects (one per band)`);
  else
    scaling = bands.map((_, b) =>
      scalingOf(
        source,
        `mlm:input[0].value_scaling[${vs.length === 1 ? 0 : b}]`,
        vs[vs.length === 1 ? 0 : b],
      ),
    );
  return {
    name: typeof props['mlm:name'] === 'string' ? props['mlm:name'] : (inp.name as string),
    bands,
    inputName: inp.name as string,
    layout,
    revisits,
    tileSize: ih > 0 ? ih : null,
    outputName: out.name as string,
    outChannels,
    scale,
    scaling: scaling!,
    modelHref: modelHrefOf(source, doc),
    source,
  };
}
