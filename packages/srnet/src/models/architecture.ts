// The upstream state_dict layout of each architecture: every key in state_dict()
// order with its PyTorch shape, which stored tensor it shares (aliases), and whether the forward pass uses it.
import { SrnetError } from '../errors.js';
import { argumentError, checkNumber, checkObject, isRecord } from '../internal/check-arguments.js';
import { showValue } from '../internal/show-value.js';
import { MODEL_KINDS, type ModelConfig, resolveModelConfig } from './config.js';
import type { StateDict } from './state-dict.js';

/** What a parameter is: conv weight [out,in,kh,kw], bias [out] or PReLU slope [1]. */
export type ParamKind = 'conv' | 'bias' | 'prelu';

/** One entry of an architecture's state_dict. */
export interface ParamSpec {
  /** Upstream state_dict key (no `backbone.` prefix). */
  key: string;
  /** PyTorch shape. */
  shape: number[];
  kind: ParamKind;
  /** The first key of the shared tensor; equals `key` for a unique parameter. */
  canonical: string;
  /** false for the dead weights upstream carries (mask_encoder; SRCNN fusion in HighResNet). */
  used: boolean;
  /** cin·kh·kw of the conv this parameter belongs to (PyTorch default-init bound is 1/√fanIn). */
  fanIn: number;
}

function doubleConv(prefix: string, cin: number, cout: number, k: number, used: boolean): ParamSpec[] {
  const p = (key: string, shape: number[], kind: ParamKind, fanIn: number): ParamSpec => ({
    key: `${prefix}.${key}`,
    shape,
    kind,
    canonical: `${prefix}.${key}`,
    used,
    fanIn,
  });
  return [
    p('0.weight', [cout, cin, k, k], 'conv', cin * k * k),
    p('0.bias', [cout], 'bias', cin * k * k),
    p('2.weight', [1], 'prelu', 1),
    p('4.weight', [cout, cout, k, k], 'conv', cout * k * k),
    p('4.bias', [cout], 'bias', cout * k * k),
    p('6.weight', [1], 'prelu', 1),
  ];
}

function alias(specs: ParamSpec[], from: string, to: string): ParamSpec[] {
  return specs.map((s) => ({ ...s, key: to + s.key.slice(from.length) }));
}

/** Number of recursive fusion levels of HighResNet: ⌈log2 R⌉ (R padded to the next power of two). */
export function fusionLevels(revisits: number): number {
  checkNumber('fusionLevels', 'revisits', revisits, 'BAD_CONFIG', { integer: true, min: 0 });
  return revisits <= 1 ? 0 : Math.ceil(Math.log2(revisits));
}

/** Largest value of each integer field: a config read from a file must not ask for gigabytes of weights. */
const CONFIG_FIELD_MAX = {
  revisits: 256,
  inChannels: 1024,
  outChannels: 1024,
  hiddenChannels: 8192,
  residualLayers: 256,
  kernelSize: 63,
  zoomFactor: 16,
  srKernelSize: 63,
} as const;

/** Largest output side (pixels) a config may ask the final resize for. */
const MAX_OUTPUT_SIDE = 1 << 16;

/** Most parameters (float32 values) a config may describe: 512 MiB of weights, ~100× the paper's models. */
export const MAX_MODEL_PARAMETERS = 2 ** 27;

/** One thing wrong with a config: the field, its value and what it must be. */
export interface ModelConfigProblem {
  field: keyof ModelConfig;
  value: unknown;
  expected: string;
}

function integerProblem(config: ModelConfig): ModelConfigProblem | undefined {
  for (const [field, max] of Object.entries(CONFIG_FIELD_MAX) as [keyof typeof CONFIG_FIELD_MAX, number][]) {
    const v = config[field];
    const min = field === 'residualLayers' ? 0 : 1;
    if (!Number.isInteger(v) || v < min || v > max)
      return { field, value: v, expected: `an integer in ${min}..${max}` };
  }
  return undefined;
}

/**
 * The first problem of `config` (types, ranges, the constraints between fields, the parameter count), or
 * undefined when it is valid.
 *
 * @param options - `singleRevisitHighResNet`: accept HighResNet with R = 1 (ONNX graphs have no fusion level
 *   then; TF.js models need R ≥ 2).
 */
export function modelConfigProblem(
  config: ModelConfig,
  options: { singleRevisitHighResNet?: boolean } = {},
): ModelConfigProblem | undefined {
  if (!(MODEL_KINDS as readonly unknown[]).includes(config.kind))
    return { field: 'kind', value: config.kind, expected: "'srcnn' or 'highresnet'" };
  const bad = integerProblem(config);
  if (bad) return bad;
  for (const field of ['kernelSize', 'srKernelSize'] as const)
    if (config[field] % 2 === 0)
      return { field, value: config[field], expected: "an odd size ('same' padding)" };
  const z2 = config.zoomFactor * config.zoomFactor;
  if (config.hiddenChannels % z2 !== 0)
    return {
      field: 'hiddenChannels',
      value: config.hiddenChannels,
      expected: `a multiple of zoomFactor² = ${z2} (PixelShuffle)`,
    };
  if (config.kind === 'highresnet' && config.revisits < 2 && !options.singleRevisitHighResNet)
    return {
      field: 'revisits',
      value: config.revisits,
      expected: "≥ 2 for HighResNet (use kind 'srcnn' for R=1)",
    };
  const size = config.outputSize;
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !size.every((v) => Number.isInteger(v) && v > 0 && v <= MAX_OUTPUT_SIDE)
  )
    return { field: 'outputSize', value: size, expected: `two integers in 1..${MAX_OUTPUT_SIDE}` };
  if (!(typeof config.dropout === 'number' && config.dropout >= 0 && config.dropout < 1))
    return { field: 'dropout', value: config.dropout, expected: 'a number with 0 ≤ p < 1' };
  const parameters = specsOf(config).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  if (parameters > MAX_MODEL_PARAMETERS)
    return {
      field: 'hiddenChannels',
      value: config.hiddenChannels,
      expected: `a size whose model has at most ${MAX_MODEL_PARAMETERS} parameters (this one has ${parameters})`,
    };
  return undefined;
}

/**
 * Validate a model configuration.
 *
 * @throws SrnetError `BAD_CONFIG` naming the bad field
 */
export function validateModelConfig(config: ModelConfig): void {
  if (config === null || typeof config !== 'object')
    throw new SrnetError('BAD_CONFIG', `config = ${showValue(config)}; expected a ModelConfig object`);
  const p = modelConfigProblem(config);
  if (p)
    throw new SrnetError('BAD_CONFIG', `config.${p.field} = ${showValue(p.value)}; expected ${p.expected}`, {
      field: p.field,
    });
}

/**
 * Every key of the upstream state_dict for `config`, in `state_dict()` order.
 *
 * @param config - model configuration
 * @returns one {@link ParamSpec} per key (shared modules appear under each of their keys)
 * @example stateDictSpec(resolveModelConfig({ kind: 'highresnet' })).length // 57
 */
export function stateDictSpec(config: ModelConfig): ParamSpec[] {
  validateModelConfig(config);
  return specsOf(config);
}

/** The state_dict layout of a config whose fields are already checked. */
function specsOf(config: ModelConfig): ParamSpec[] {
  const {
    inChannels: c,
    hiddenChannels: h,
    outChannels: o,
    kernelSize: k,
    revisits: r,
    srKernelSize: sk,
  } = config;
  const hr = config.kind === 'highresnet';
  const out: ParamSpec[] = [];
  out.push(...doubleConv('encoder.doubleconv2d', c, h, k, true));
  out.push(...doubleConv('mask_encoder.1.doubleconv2d', 1, 1, k, false));
  const dc = doubleConv('doubleconv2d.doubleconv2d', r * h, h, k, !hr);
  out.push(...dc);
  const res: ParamSpec[] = [];
  for (let i = 0; i < config.residualLayers; i++) {
    res.push(...doubleConv(`residualblocks.${i}.residualblock.doubleconv2d`, h, h, k, !hr));
  }
  out.push(...res);
  if (!hr) {
    out.push(...alias(dc, 'doubleconv2d.doubleconv2d', 'fusion.0.doubleconv2d'));
    out.push(...alias(res, 'residualblocks', 'fusion.1'));
  } else {
    const f0: ParamSpec[] = [
      ...doubleConv('fusion.fusion.0.fuse.0.residualblock.doubleconv2d', 2 * h, 2 * h, k, true),
      {
        key: 'fusion.fusion.0.fuse.1.weight',
        shape: [h, 2 * h, k, k],
        kind: 'conv',
        canonical: 'fusion.fusion.0.fuse.1.weight',
        used: true,
        fanIn: 2 * h * k * k,
      },
      {
        key: 'fusion.fusion.0.fuse.1.bias',
        shape: [h],
        kind: 'bias',
        canonical: 'fusion.fusion.0.fuse.1.bias',
        used: true,
        fanIn: 2 * h * k * k,
      },
      {
        key: 'fusion.fusion.0.fuse.3.weight',
        shape: [1],
        kind: 'prelu',
        canonical: 'fusion.fusion.0.fuse.3.weight',
        used: true,
        fanIn: 1,
      },
    ];
    out.push(...f0);
    for (let l = 1; l < fusionLevels(r); l++) out.push(...alias(f0, 'fusion.fusion.0', `fusion.fusion.${l}`));
  }
  const m = h / (config.zoomFactor * config.zoomFactor);
  const sr = (key: string, shape: number[], kind: ParamKind, fanIn: number): ParamSpec => ({
    key: `sr.upsample.${key}`,
    shape,
    kind,
    canonical: `sr.upsample.${key}`,
    used: true,
    fanIn,
  });
  out.push(
    sr('1.weight', [m, m, sk, sk], 'conv', m * sk * sk),
    sr('1.bias', [m], 'bias', m * sk * sk),
    sr('3.weight', [1], 'prelu', 1),
    sr('4.weight', [o, m, sk, sk], 'conv', m * sk * sk),
    sr('4.bias', [o], 'bias', m * sk * sk),
    sr('6.weight', [1], 'prelu', 1),
  );
  return out;
}

/** Unique parameters (first key of each shared tensor), in state_dict order. */
export function uniqueParamSpecs(config: ModelConfig): ParamSpec[] {
  return stateDictSpec(config).filter((s) => s.key === s.canonical);
}

/**
 * Count of unique parameters and of those the forward pass uses (upstream shares some modules under two keys,
 * and some parameters exist in state_dict but never take part in forward).
 */
export function countParameters(config: ModelConfig): { unique: number; used: number } {
  let unique = 0;
  let used = 0;
  for (const s of uniqueParamSpecs(config)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    unique += n;
    if (s.used) used += n;
  }
  return { unique, used };
}

/**
 * Detect the architecture of a state_dict from its keys and shapes: `fusion.fusion.N.*` keys mean
 * HighResNet; otherwise SRCNN with R = in-channels of `doubleconv2d.doubleconv2d.0.weight` / hidden. Residual
 * layers: 1 + the largest K of any `residualblocks.K.*` / `fusion.1.K.*` key (checkStateDict then names any
 * tensor of those blocks that is missing). Keys may carry the Lightning `backbone.` prefix.
 *
 * @param shapes - key → PyTorch shape (a StateDict works too)
 * @param overrides - fields that cannot be detected (outputSize, dropout)
 * @returns the detected configuration
 * @throws SrnetError `MISSING_WEIGHTS` when the keys needed for detection are absent
 * @example detectArchitecture(stateDict).kind // 'highresnet'
 */
export function detectArchitecture(
  shapes: Record<string, number[] | { shape: number[] }>,
  overrides: Partial<Pick<ModelConfig, 'outputSize' | 'dropout'>> = {},
): ModelConfig {
  checkObject('detectArchitecture', 'shapes', shapes, 'MISSING_WEIGHTS');
  if (overrides !== undefined && overrides !== null)
    checkObject('detectArchitecture', 'overrides', overrides, 'BAD_CONFIG');
  const get = (key: string): number[] | undefined => {
    const name = shapes[key] ? key : `backbone.${key}`;
    const v = shapes[name];
    if (!v) return undefined;
    const shape = Array.isArray(v) ? v : isRecord(v) ? v.shape : undefined;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new SrnetError(
        'MISSHAPED_WEIGHTS',
        `cannot detect the architecture: "${name}" has shape ${showValue(shape ?? v)}; expected whole numbers`,
        { misshaped: [name] },
      );
    return shape;
  };
  const need = (key: string): number[] => {
    const s = get(key);
    if (!s) {
      throw new SrnetError(
        'MISSING_WEIGHTS',
        `cannot detect the architecture: key "${key}" is missing (is this a WorldStrat SRCNN/HighResNet state_dict?)`,
        { missing: [key] },
      );
    }
    return s;
  };
  const keys = Object.keys(shapes).map((k) => (k.startsWith('backbone.') ? k.slice(9) : k));
  const enc = need('encoder.doubleconv2d.0.weight');
  const [hidden, inChannels, kernelSize] = enc as [number, number, number];
  const dc = need('doubleconv2d.doubleconv2d.0.weight');
  const revisits = (dc[1] as number) / hidden;
  const sr1 = need('sr.upsample.1.weight');
  const sr4 = need('sr.upsample.4.weight');
  const zoomFactor = Math.round(Math.sqrt(hidden / (sr1[1] as number)));
  const residualLayers = residualLayerCount(keys);
  const isHr = keys.some((k) => k.startsWith('fusion.fusion.0.'));
  return resolveModelConfig({
    kind: isHr ? 'highresnet' : 'srcnn',
    revisits: Number.isInteger(revisits) ? revisits : 0,
    inChannels,
    outChannels: sr4[0] as number,
    hiddenChannels: hidden,
    residualLayers,
    kernelSize,
    zoomFactor,
    srKernelSize: sr1[2] as number,
    ...overrides,
  });
}

/**
 * Residual blocks a state_dict's keys ask for: one more than the largest block index of any `residualblocks.K.*` or
 * (SRCNN's alias) `fusion.1.K.*` key. A block missing some or all of its tensors then shows up as missing weights,
 * not as a smaller model.
 */
function residualLayerCount(keys: readonly string[]): number {
  let count = 0;
  for (const k of keys) {
    const m = /^(?:residualblocks|fusion\.1)\.(\d+)\./.exec(k);
    if (m) count = Math.max(count, Number(m[1]) + 1);
  }
  return count;
}

/**
 * Check a state_dict against `config`: every key present (directly, via `backbone.` or via an alias) with the
 * right shape, as many values as the shape holds, Float32Array data, equal copies of each shared module, and only
 * finite values (a NaN or ±Inf weight turns every
 * output into NaN, i.e. an all-nodata product).
 *
 * @param stateDict - the weights
 * @param config - the architecture they must describe
 * @param source - file or URL the weights came from, named in error messages
 * @throws SrnetError `MISSING_WEIGHTS` listing missing keys, `MISSHAPED_WEIGHTS` listing key: got vs expected
 *   (or naming both keys of a shared module whose copies differ), `WEIGHTS_DTYPE_MISMATCH` naming the first tensor
 *   whose data is not a Float32Array, `NON_FINITE_WEIGHTS` naming the first tensor and index holding NaN/±Inf
 */
export function checkStateDict(stateDict: StateDict, config: ModelConfig, source?: string): void {
  checkObject('checkStateDict', 'stateDict', stateDict, 'MISSING_WEIGHTS');
  if (source !== undefined && typeof source !== 'string')
    argumentError('checkStateDict', 'source', 'a string', source, 'BAD_CONFIG');
  const where = source ? `${source}: ` : '';
  const missing: string[] = [];
  const misshaped: string[] = [];
  for (const s of stateDictSpec(config)) {
    const t = stateDict[s.key] ?? stateDict[s.canonical];
    if (!t) {
      missing.push(s.key);
      continue;
    }
    if (!isRecord(t) || !Array.isArray(t.shape) || !t.shape.every((v) => typeof v === 'number')) {
      misshaped.push(`${s.key}: ${showValue(t)} is not a { shape, data } tensor`);
      continue;
    }
    if (t.shape.length !== s.shape.length || t.shape.some((v, i) => v !== s.shape[i])) {
      misshaped.push(`${s.key}: got [${t.shape}], expected [${s.shape}]`);
    } else if (
      t.data === null ||
      typeof t.data !== 'object' ||
      t.data.length !== s.shape.reduce((a, b) => a * b, 1)
    ) {
      const n = (t.data as { length?: unknown } | null)?.length;
      misshaped.push(`${s.key}: shape [${t.shape}] but ${typeof n === 'number' ? n : 'no'} values`);
    }
  }
  if (missing.length > 0) {
    throw new SrnetError(
      'MISSING_WEIGHTS',
      `${where}state_dict lacks ${missing.length} tensor(s) of ${config.kind} R=${config.revisits}: ${missing.join(', ')}`,
      { missing, ...(source ? { file: source } : {}) },
    );
  }
  if (misshaped.length > 0) {
    throw new SrnetError(
      'MISSHAPED_WEIGHTS',
      `${where}state_dict has ${misshaped.length} mis-shaped tensor(s) for ${config.kind} R=${config.revisits}: ${misshaped.join('; ')}`,
      { misshaped, ...(source ? { file: source } : {}) },
    );
  }
  checkWeightTypes(stateDict, config, source);
  checkSharedCopies(stateDict, config, source);
  checkFiniteWeights(stateDict, config, source);
}

/** The name of an array's type for messages (`Float64Array`, `Array`). */
function arrayType(d: unknown): string {
  return (d as { constructor?: { name?: unknown } }).constructor?.name?.toString() ?? typeof d;
}

/**
 * Throws `WEIGHTS_DTYPE_MISMATCH` at the first tensor whose data is not a Float32Array: TF.js and ONNX take
 * float32 weights, and converting here would turn a Float64 past float32's range into ±Inf or a string into NaN
 * somewhere downstream (`stateDictFromSafetensors` converts F64/F16/BF16 files itself).
 */
function checkWeightTypes(stateDict: StateDict, config: ModelConfig, source?: string): void {
  for (const s of stateDictSpec(config)) {
    const t = stateDict[s.key] ?? stateDict[s.canonical];
    if (!t || t.data instanceof Float32Array) continue;
    throw new SrnetError(
      'WEIGHTS_DTYPE_MISMATCH',
      `${source ? `${source}: ` : ''}weight tensor "${s.key}" has ${arrayType(t.data)} data; weights must be a Float32Array (convert with Float32Array.from after checking the values fit float32)`,
      {
        tensor: s.key,
        dtype: arrayType(t.data),
        expected: 'Float32Array',
        ...(source ? { file: source } : {}),
      },
    );
  }
}

/** Index of the first value where two equal-length arrays differ (NaN equals NaN), or -1. */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) return i;
  }
  return -1;
}

/**
 * Throws `MISSHAPED_WEIGHTS` when a shared module's copies differ (`fusion.0.*` vs `doubleconv2d.*`, one
 * HighResNet fusion level vs another): upstream stores them as one tensor, so differing copies mean a corrupt or
 * foreign state_dict, and which copy a consumer used would decide the output.
 */
function checkSharedCopies(stateDict: StateDict, config: ModelConfig, source?: string): void {
  for (const s of stateDictSpec(config)) {
    const copy = stateDict[s.key];
    const canon = stateDict[s.canonical];
    if (s.key === s.canonical || !copy || !canon || copy === canon) continue;
    const i = firstDifference(copy.data, canon.data);
    if (i < 0) continue;
    throw new SrnetError(
      'MISSHAPED_WEIGHTS',
      `${source ? `${source}: ` : ''}"${s.key}" and "${s.canonical}" are one shared tensor upstream but differ at flat index ${i} (${copy.data[i]} vs ${canon.data[i]}); keep one copy or make them equal`,
      { conflicting: [s.key, s.canonical], index: i, ...(source ? { file: source } : {}) },
    );
  }
}

/** Throws `NON_FINITE_WEIGHTS` at the first NaN/±Inf of any tensor of `config` (checked once per shared tensor). */
function checkFiniteWeights(stateDict: StateDict, config: ModelConfig, source?: string): void {
  const seen = new Set<unknown>();
  for (const s of stateDictSpec(config)) {
    const t = stateDict[s.key] ?? stateDict[s.canonical];
    if (!t || seen.has(t)) continue;
    seen.add(t);
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i] as number;
      if (v - v !== 0) {
        throw new SrnetError(
          'NON_FINITE_WEIGHTS',
          `${source ? `${source}: ` : ''}weight tensor "${s.key}" holds ${v} at flat index ${i}; the file is corrupt or the training diverged — use another checkpoint`,
          { tensor: s.key, index: i, ...(source ? { file: source } : {}) },
        );
      }
    }
  }
}
