// Weight IO: PyTorch state_dicts (safetensors) ↔ TF.js variables. Conv [out,in,kh,kw] ↔ [kh,kw,in,out].
import * as tf from '@tensorflow/tfjs-core';
import {
  encodeSafetensors,
  RasterIoError,
  readSafetensors,
  type SafetensorsTensor,
} from '@worldstrat/raster-io';
import { requireBackend } from '../backends/require-backend.js';
import { SrnetError } from '../errors.js';
import {
  argumentError,
  checkModel,
  checkObject,
  checkOptionalString,
  checkOptions,
  checkStateDictArgument,
  isRecord,
} from '../internal/check-arguments.js';
import {
  checkStateDict,
  detectArchitecture,
  modelConfigProblem,
  stateDictSpec,
  uniqueParamSpecs,
} from './architecture.js';
import { ARCHITECTURE_FIELDS, architectureDiff, MODEL_KINDS, type ModelConfig } from './config.js';
import { SrModel } from './sr-model.js';
import type { StateDict, StateTensor } from './state-dict.js';

/** Result of {@link stateDictFromSafetensors}. */
export interface LoadedStateDict {
  /** Every upstream key (aliases resolved to the same StateTensor), `backbone.` stripped. */
  stateDict: StateDict;
  /** Architecture detected from keys and shapes (outputSize from metadata `model_args` when present). */
  config: ModelConfig;
  /** The file's `__metadata__`. */
  metadata: Record<string, string>;
  /** Tensors in the file that are not weights (e.g. `input`, `output`, `shifter.*`), untouched. */
  extras: Record<string, SafetensorsTensor>;
}

/** Options of {@link stateDictFromSafetensors}. */
export interface StateDictFromSafetensorsOptions {
  /** Override detected fields that keys cannot tell (outputSize, dropout). */
  config?: Partial<Pick<ModelConfig, 'outputSize' | 'dropout'>>;
  /** File name or URL the bytes came from, named in every error. Default `'<bytes>'`. */
  name?: string;
}

/** Weight dtypes that widen or narrow to float32 by value; integer and bool tensors are never weights. */
const FLOAT_DTYPES: ReadonlySet<string> = new Set(['F32', 'F64', 'F16', 'BF16']);

/**
 * Read a PyTorch state_dict saved as safetensors. Accepts plain keys, Lightning `backbone.`-prefixed keys, the
 * full duplicated keys of shared modules, and the fixture form that stores a shared tensor once with a
 * `__metadata__.aliases` JSON table. Weights must be floating point: F32 is used as is, F16/BF16 widen exactly
 * and F64 rounds to float32; an integer or bool weight tensor is refused (never reinterpreted). Every weight
 * must be finite.
 *
 * @param bytes - safetensors file contents
 * @param options - file name for errors, config overrides
 * @returns state_dict, detected config, metadata and non-weight tensors
 * @throws SrnetError naming the file: `BAD_SAFETENSORS` (bad header, offsets, truncation; `X` and `backbone.X`
 *   with different values), `MISSING_WEIGHTS` (listing the keys, also those of residual blocks the file's
 *   `model_config` states), `MISSHAPED_WEIGHTS` (shapes of another architecture; differing copies of a shared
 *   module), `ARCHITECTURE_MISMATCH` (tensors contradicting the file's `model_config`), `WEIGHTS_DTYPE_MISMATCH`,
 *   `NON_FINITE_WEIGHTS`
 * @example const { stateDict, config } = stateDictFromSafetensors(bytes, { name: 'highresnet.safetensors' });
 */
export function stateDictFromSafetensors(
  bytes: Uint8Array,
  options: StateDictFromSafetensorsOptions = {},
): LoadedStateDict {
  const fn = 'stateDictFromSafetensors';
  const o = checkOptions(fn, options, 'BAD_SAFETENSORS');
  const name = checkOptionalString(fn, 'options.name', o.name, 'BAD_SAFETENSORS') ?? '<bytes>';
  if (o.config !== undefined) checkConfigOverrides(fn, o.config);
  options = o;
  try {
    return parseStateDict(bytes, name, options.config ?? {});
  } catch (err) {
    throw withFile(err, name);
  }
}

/** The caller's overrides decide the config, so unlike the file's informative metadata they must be valid. */
function checkConfigOverrides(fn: string, config: unknown): void {
  const c = checkObject<Record<string, unknown>>(fn, 'options.config', config, 'BAD_CONFIG');
  // the tensors fix the architecture: hiddenChannels 999 here was reported as misshaped weights of the file
  const other = Object.keys(c).find((key) => key !== 'outputSize' && key !== 'dropout');
  if (other !== undefined)
    argumentError(
      fn,
      `options.config.${other}`,
      'absent: options.config may set outputSize and dropout only (the tensors fix the architecture)',
      c[other],
      'BAD_CONFIG',
    );
  if (c.outputSize !== undefined && !validOutputSize(c.outputSize))
    argumentError(fn, 'options.config.outputSize', 'two integers in 1..65536', c.outputSize, 'BAD_CONFIG');
  if (c.dropout !== undefined && !(typeof c.dropout === 'number' && c.dropout >= 0 && c.dropout < 1))
    argumentError(fn, 'options.config.dropout', 'a number with 0 ≤ p < 1', c.dropout, 'BAD_CONFIG');
}

/** Re-throw errors from the safetensors reader and the architecture checks as SrnetErrors that name the file. */
function withFile(err: unknown, name: string): unknown {
  if (err instanceof RasterIoError || (err as { code?: unknown })?.code === 'INVALID_SAFETENSORS') {
    // raster-io already prefixes the file name
    return new SrnetError('BAD_SAFETENSORS', (err as Error).message, { file: name }, { cause: err });
  }
  if (!(err instanceof SrnetError))
    return new SrnetError(
      'BAD_SAFETENSORS',
      `${name}: cannot read weights (${err instanceof Error ? err.message : String(err)})`,
      { file: name },
      { cause: err },
    );
  if (err.details.file !== undefined) return err;
  const prefixed = err.message.startsWith(`${name}: `) ? err.message : `${name}: ${err.message}`;
  // Keys whose shapes fit no valid configuration are weights of another architecture, not a config mistake.
  const code = err.code === 'BAD_CONFIG' ? 'MISSHAPED_WEIGHTS' : err.code;
  return new SrnetError(code, prefixed, { ...err.details, file: name }, { cause: err });
}

function parseStateDict(
  bytes: Uint8Array,
  name: string,
  configOverrides: Partial<Pick<ModelConfig, 'outputSize' | 'dropout'>>,
): LoadedStateDict {
  const { tensors, metadata } = readSafetensors(bytes, { name });
  const stripPrefix = wrapperPrefixStripper(Object.keys(tensors));
  const byKey = tensorsByStrippedKey(tensors, stripPrefix);
  if (metadata.aliases) {
    let aliases: Record<string, string>;
    try {
      aliases = JSON.parse(metadata.aliases);
    } catch (cause) {
      throw new SrnetError(
        'BAD_SAFETENSORS',
        '__metadata__.aliases is not a JSON object of key → stored key',
        {},
        { cause },
      );
    }
    if (aliases === null || typeof aliases !== 'object' || Array.isArray(aliases))
      throw new SrnetError(
        'BAD_SAFETENSORS',
        '__metadata__.aliases is not a JSON object of key → stored key',
      );
    for (const [from, to] of Object.entries(aliases)) {
      const target = typeof to === 'string' ? byKey.get(stripPrefix(to)) : undefined;
      if (!target)
        throw new SrnetError(
          'MISSING_WEIGHTS',
          `alias "${from}" points at ${JSON.stringify(to)}, which the file does not hold`,
          { missing: [String(to)] },
        );
      if (!byKey.has(stripPrefix(from))) byKey.set(stripPrefix(from), target);
    }
  }
  const shapes: Record<string, number[]> = {};
  for (const [k, t] of byKey) shapes[k] = t.shape;
  const overrides: Partial<Pick<ModelConfig, 'outputSize' | 'dropout'>> = {};
  // Files we write carry the whole config: the output size and dropout the model was trained with.
  Object.assign(overrides, trainingFieldsFromModelConfig(metadata.model_config));
  const argsSize = outputSizeFromModelArgs(metadata.model_args);
  if (argsSize) overrides.outputSize = argsSize;
  const config = detectWithPrefixHint(shapes, { ...overrides, ...configOverrides }, Object.keys(tensors));
  const specs = stateDictSpec(config);
  const stateDict: StateDict = {};
  const extras: Record<string, SafetensorsTensor> = {};
  const known = new Set(specs.map((s) => s.key));
  const converted = new Map<SafetensorsTensor, StateTensor>();
  for (const s of specs) {
    const t = byKey.get(s.key) ?? byKey.get(s.canonical);
    if (!t) continue;
    let st = converted.get(t);
    if (!st) {
      if (!FLOAT_DTYPES.has(t.dtype))
        throw new SrnetError(
          'WEIGHTS_DTYPE_MISMATCH',
          `weight tensor "${s.key}" is ${t.dtype} but the model expects F32 (F64/F16/BF16 are converted); integer and bool tensors are not weights — was the header edited?`,
          { tensor: s.key, dtype: t.dtype, expected: 'F32' },
        );
      st = {
        shape: [...t.shape],
        data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>),
      };
      converted.set(t, st);
    }
    stateDict[s.key] = st;
  }
  for (const [k, t] of Object.entries(tensors)) if (!known.has(stripPrefix(k))) extras[k] = t;
  checkNoStrayWeights(Object.keys(extras).map(stripPrefix), config);
  checkStateDict(stateDict, config); // also refuses shared-module copies that differ
  checkDeclaredConfig(metadata.model_config, config, byKey);
  // Shared modules: point every alias at the canonical tensor so they stay one object.
  for (const s of specs) if (s.key !== s.canonical) stateDict[s.key] = stateDict[s.canonical] as StateTensor;
  return { stateDict, config, metadata, extras };
}

function stripBackbone(k: string): string {
  return k.startsWith('backbone.') ? k.slice('backbone.'.length) : k;
}

const DATA_PARALLEL_PREFIX = 'module.';

/**
 * The file's key → upstream key mapping: Lightning's `backbone.` is stripped per key; torch.nn.DataParallel's
 * `module.` (from `DataParallel(model).state_dict()`, or `backbone.module.` for a wrapped backbone) only where
 * every key of its group carries it — keys with `backbone.` and keys without (e.g. Lightning's `shifter.*`) are
 * two groups — so a lone key named `module.…` is never reinterpreted.
 */
function wrapperPrefixStripper(keys: readonly string[]): (k: string) => string {
  const groups = [
    keys.filter((k) => k.startsWith('backbone.')),
    keys.filter((k) => !k.startsWith('backbone.')),
  ];
  const wrapped = groups.map(
    (g) => g.length > 0 && g.every((k) => stripBackbone(k).startsWith(DATA_PARALLEL_PREFIX)),
  );
  return (k: string): string => {
    const key = stripBackbone(k);
    const group = k.startsWith('backbone.') ? 0 : 1;
    return wrapped[group] && key.startsWith(DATA_PARALLEL_PREFIX)
      ? key.slice(DATA_PARALLEL_PREFIX.length)
      : key;
  };
}

/**
 * Tensors the detected architecture has no place for, under the model's own modules (a fusion level past its
 * revisits, a layer past its depth): a model built without them would compute something else than the file's, so
 * they are refused. Other extras (Lightning's `shifter.*`, a training run's own tensors) are returned as `extras`.
 * @throws SrnetError `UNKNOWN_WEIGHTS` listing them
 */
function checkNoStrayWeights(keys: readonly string[], config: ModelConfig): void {
  const stray = keys.filter((k) => UPSTREAM_MODULES.has(k.split('.')[0] as string));
  if (stray.length === 0) return;
  const shown = stray.slice(0, 5).join(', ') + (stray.length > 5 ? `, … (${stray.length} in all)` : '');
  throw new SrnetError(
    'UNKNOWN_WEIGHTS',
    `weights ${shown} have no place in the ${config.kind} model the file describes; a model built without them would not be the file's`,
    { unknown: stray.slice(0, 100) },
  );
}

/** Top-level modules of upstream's SRCNN / HighResNet (the first part of every weight key). */
const UPSTREAM_MODULES = new Set([
  'encoder',
  'mask_encoder',
  'doubleconv2d',
  'residualblocks',
  'fusion',
  'sr',
]);

/** The dotted prefix every key shares before an upstream module name (e.g. `model.`), or '' when there is none. */
function sharedUnknownPrefix(keys: readonly string[]): string {
  const first = keys[0]?.split('.') ?? [];
  let prefix = '';
  for (const part of first.slice(0, -1)) {
    if (UPSTREAM_MODULES.has(part)) break;
    const next = `${prefix}${part}.`;
    if (!keys.every((k) => k.startsWith(next))) break;
    prefix = next;
  }
  return prefix;
}

/**
 * {@link detectArchitecture}, saying so when its keys are missing because every key of the file shares a prefix
 * srnet does not strip (a wrapper's attribute name such as `model.`): the weights may well be there.
 */
function detectWithPrefixHint(
  shapes: Record<string, number[]>,
  overrides: Partial<Pick<ModelConfig, 'outputSize' | 'dropout'>>,
  fileKeys: readonly string[],
): ModelConfig {
  try {
    return detectArchitecture(shapes, overrides);
  } catch (err) {
    if (!(err instanceof SrnetError) || err.code !== 'MISSING_WEIGHTS') throw err;
    const prefix = sharedUnknownPrefix(fileKeys);
    if (!prefix) throw err;
    throw new SrnetError(
      'MISSING_WEIGHTS',
      `${err.message}: every key starts with "${prefix}" (e.g. "${fileKeys[0]}"), a prefix srnet does not strip (it strips Lightning's "backbone." and DataParallel's "module."); save the state_dict without "${prefix}"`,
      { ...err.details, prefix },
      { cause: err },
    );
  }
}

/** Two tensors hold the same values in the same shape (NaN equals NaN; dtypes may differ). */
function sameValues(a: SafetensorsTensor, b: SafetensorsTensor): boolean {
  if (a.shape.join() !== b.shape.join() || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) {
    const x = Number(a.data[i]);
    const y = Number(b.data[i]);
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) return false;
  }
  return true;
}

/**
 * The file's tensors by key without wrapper prefixes (see {@link wrapperPrefixStripper}). A file holding `X` and `backbone.X` with
 * different values is `BAD_SAFETENSORS` naming both (which one is the model?); identical copies are one tensor.
 */
function tensorsByStrippedKey(
  tensors: Record<string, SafetensorsTensor>,
  stripPrefix: (k: string) => string,
): Map<string, SafetensorsTensor> {
  const byKey = new Map<string, SafetensorsTensor>();
  const fileKey = new Map<string, string>();
  for (const [k, t] of Object.entries(tensors)) {
    const key = stripPrefix(k);
    const prev = byKey.get(key);
    if (prev && !sameValues(prev, t))
      throw new SrnetError(
        'BAD_SAFETENSORS',
        `"${fileKey.get(key)}" and "${k}" both hold weight "${key}" but with different values; keep one of them`,
        { conflicting: [fileKey.get(key), k] },
      );
    if (prev) continue;
    byKey.set(key, t);
    fileKey.set(key, k);
  }
  return byKey;
}

/** The architecture fields an srnet-written `__metadata__.model_config` states, or undefined for other metadata. */
function declaredArchitecture(text: string | undefined): Partial<ModelConfig> | undefined {
  if (!text) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined; // not ours: informative only, like model_args
  }
  if (!isRecord(doc) || !(MODEL_KINDS as readonly unknown[]).includes(doc.kind)) return undefined;
  const declared: Record<string, unknown> = {};
  for (const f of ARCHITECTURE_FIELDS) if (f === 'kind' || typeof doc[f] === 'number') declared[f] = doc[f];
  return declared as Partial<ModelConfig>;
}

/**
 * The tensors must describe the architecture the file's own `model_config` states: a file that lost every tensor
 * of its last residual blocks is `MISSING_WEIGHTS` listing them, any other disagreement `ARCHITECTURE_MISMATCH`.
 */
function checkDeclaredConfig(
  text: string | undefined,
  found: ModelConfig,
  byKey: Map<string, SafetensorsTensor>,
): void {
  const declared = declaredArchitecture(text);
  if (!declared) return;
  const stated = { ...found, ...declared };
  const diff = architectureDiff(found, stated, ['tensors', '__metadata__.model_config']);
  if (diff.length === 0) return;
  if (diff.length === 1 && stated.residualLayers > found.residualLayers && !modelConfigProblem(stated)) {
    const missing = stateDictSpec(stated)
      .filter((s) => !byKey.has(s.key) && !byKey.has(s.canonical))
      .map((s) => s.key);
    throw new SrnetError(
      'MISSING_WEIGHTS',
      `__metadata__.model_config states residualLayers ${stated.residualLayers} but the file lacks ${missing.length} tensor(s) of it: ${missing.join(', ')}`,
      { missing },
    );
  }
  throw new SrnetError(
    'ARCHITECTURE_MISMATCH',
    `the tensors do not describe the architecture __metadata__.model_config states (${diff.join('; ')})`,
    { diff },
  );
}

/** Options of {@link stateDictToSafetensors}. */
export interface StateDictToSafetensorsOptions {
  /** 'full': every key, shared tensors duplicated (like torch's state_dict); 'aliased': each shared tensor once
   * plus `__metadata__.aliases` (the fixture form). Default 'full'. */
  form?: 'full' | 'aliased';
  /** Prefix every key (e.g. 'backbone.'). */
  prefix?: string;
  /** Extra string metadata. */
  metadata?: Record<string, string>;
}

/**
 * Encode a state_dict as safetensors with upstream key names (lossless round trip with
 * {@link stateDictFromSafetensors}).
 *
 * @param stateDict - PyTorch-layout weights
 * @param config - the architecture (defines the key set and the alias table)
 * @param options - form, prefix, metadata
 * @returns file bytes
 * @throws SrnetError `MISSING_WEIGHTS` / `MISSHAPED_WEIGHTS`
 * @example writeFileSync('w.safetensors', stateDictToSafetensors(exportStateDict(model), model.config));
 */
export function stateDictToSafetensors(
  stateDict: StateDict,
  config: ModelConfig,
  options: StateDictToSafetensorsOptions = {},
): Uint8Array {
  checkStateDictArgument('stateDictToSafetensors', stateDict);
  checkObject('stateDictToSafetensors', 'config', config, 'BAD_CONFIG');
  const o = checkOptions('stateDictToSafetensors', options, 'BAD_CONFIG');
  checkOptionalString('stateDictToSafetensors', 'options.prefix', o.prefix, 'BAD_CONFIG');
  if (o.metadata !== undefined)
    checkObject('stateDictToSafetensors', 'options.metadata', o.metadata, 'BAD_CONFIG');
  options = o;
  checkStateDict(stateDict, config);
  const prefix = options.prefix ?? '';
  const tensors: Record<string, SafetensorsTensor> = {};
  const aliases: Record<string, string> = {};
  for (const s of stateDictSpec(config)) {
    const t = (stateDict[s.key] ?? stateDict[s.canonical]) as StateTensor;
    if (options.form === 'aliased' && s.key !== s.canonical) {
      aliases[prefix + s.key] = prefix + s.canonical;
      continue;
    }
    tensors[prefix + s.key] = { dtype: 'F32', shape: [...s.shape], data: t.data };
  }
  const metadata: Record<string, string> = {
    format: 'pt',
    architecture: config.kind,
    model_config: JSON.stringify(config),
    ...options.metadata,
  };
  if (Object.keys(aliases).length > 0) metadata.aliases = JSON.stringify(aliases);
  return encodeSafetensors(tensors, metadata);
}

/** Output sides a config may ask for (validateModelConfig's range): two integers in 1..65536. */
function validOutputSize(size: unknown): [number, number] | undefined {
  return Array.isArray(size) &&
    size.length === 2 &&
    size.every((v) => Number.isInteger(v) && v > 0 && v <= 1 << 16)
    ? [size[0], size[1]]
    : undefined;
}

/**
 * `output_size` of upstream's `__metadata__.model_args` when it is a valid size. model_args is informative (the
 * keys decide the architecture): a malformed entry is ignored like unparsable JSON, and the default applies.
 */
function outputSizeFromModelArgs(text: string | undefined): [number, number] | undefined {
  if (!text) return undefined;
  try {
    const args: unknown = JSON.parse(text);
    return isRecord(args) ? validOutputSize(args.output_size) : undefined;
  } catch {
    return undefined;
  }
}

function trainingFieldsFromModelConfig(
  text: string | undefined,
): Partial<Pick<ModelConfig, 'outputSize' | 'dropout'>> {
  if (!text) return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return {}; // model_config is informative only, like model_args.
  }
  if (!isRecord(doc)) return {};
  const found: Partial<Pick<ModelConfig, 'outputSize' | 'dropout'>> = {};
  const outputSize = validOutputSize(doc.outputSize);
  if (outputSize) found.outputSize = outputSize;
  const p = doc.dropout;
  if (typeof p === 'number' && p >= 0 && p < 1) found.dropout = p;
  return found;
}

/** PyTorch → TF layout for one tensor. */
export function toTfLayout(t: StateTensor, kind: 'conv' | 'bias' | 'prelu'): tf.Tensor {
  if (kind !== 'conv') return tf.tensor(t.data, t.shape);
  return tf.tidy(() =>
    tf.transpose(tf.tensor4d(t.data, t.shape as [number, number, number, number]), [2, 3, 1, 0]),
  );
}

/**
 * Build a model (variables) from a state_dict.
 *
 * @param config - architecture; must match the state_dict (else `ARCHITECTURE_MISMATCH`)
 * @param stateDict - PyTorch-layout weights (aliases allowed)
 * @returns a new {@link SrModel}
 * @throws SrnetError `MISSING_WEIGHTS`, `MISSHAPED_WEIGHTS`, `ARCHITECTURE_MISMATCH`
 */
export function modelFromStateDict(config: ModelConfig, stateDict: StateDict): SrModel {
  checkObject('modelFromStateDict', 'config', config, 'BAD_CONFIG');
  checkStateDictArgument('modelFromStateDict', stateDict);
  assertSameArchitecture(config, stateDict);
  checkStateDict(stateDict, config);
  requireBackend('modelFromStateDict');
  const vars = new Map<string, tf.Variable>();
  for (const s of uniqueParamSpecs(config)) {
    const t = (stateDict[s.key] ?? stateDict[s.canonical]) as StateTensor;
    const init = toTfLayout(t, s.kind);
    vars.set(s.key, tf.variable(init, s.used, `${s.key}_${variableId++}`));
    init.dispose();
  }
  return new SrModel(config, vars);
}
let variableId = 0;

/**
 * Copy a state_dict into an existing model's variables.
 *
 * @throws SrnetError `ARCHITECTURE_MISMATCH` when the weights belong to another architecture
 */
export function loadStateDict(model: SrModel, stateDict: StateDict): void {
  checkModel('loadStateDict', 'model', model);
  checkStateDictArgument('loadStateDict', stateDict);
  assertSameArchitecture(model.config, stateDict);
  checkStateDict(stateDict, model.config);
  for (const s of model.specs) {
    const t = (stateDict[s.key] ?? stateDict[s.canonical]) as StateTensor;
    const v = model.variables.get(s.key) as tf.Variable;
    tf.tidy(() => v.assign(toTfLayout(t, s.kind)));
  }
}

/**
 * Read a model's weights back as a PyTorch state_dict (every key; shared keys point at one StateTensor).
 * Async because GPU backends (webgpu) only allow async reads.
 *
 * @example const sd = await exportStateDict(model); // conv weights [out,in,kh,kw]
 */
export async function exportStateDict(model: SrModel): Promise<StateDict> {
  checkModel('exportStateDict', 'model', model);
  const out: StateDict = {};
  for (const s of stateDictSpec(model.config)) {
    if (s.key !== s.canonical) {
      out[s.key] = out[s.canonical] as StateTensor;
      continue;
    }
    const v = model.variables.get(s.key) as tf.Variable;
    const t = tf.tidy(() => (s.kind === 'conv' ? tf.transpose(v, [3, 2, 0, 1]) : v.clone()));
    const data = (await t.data()) as Float32Array;
    t.dispose();
    out[s.key] = { shape: [...s.shape], data: Float32Array.from(data) };
  }
  return out;
}

function assertSameArchitecture(config: ModelConfig, stateDict: StateDict): void {
  if (
    !stateDict['encoder.doubleconv2d.0.weight'] ||
    !stateDict['doubleconv2d.doubleconv2d.0.weight'] ||
    !stateDict['sr.upsample.1.weight']
  ) {
    checkStateDict(stateDict, config);
  }
  const found = detectArchitecture(stateDict, { outputSize: config.outputSize, dropout: config.dropout });
  const diff = architectureDiff(found, config, ['weights', 'model']);
  if (diff.length > 0) {
    throw new SrnetError(
      'ARCHITECTURE_MISMATCH',
      `weights are for another architecture (${diff.join('; ')}); build the model from detectArchitecture(weights)`,
      { diff },
    );
  }
}
