// TF.js's own save/load (tf.io handlers: indexeddb://, localstorage://, downloads://, http(s)://, or any custom
// IOHandler). Weights are stored in TF layout under their upstream keys; the model config rides in modelTopology.
import * as tf from '@tensorflow/tfjs-core';
import { requireBackend } from '../backends/require-backend.js';
import { SrnetError, type SrnetErrorCode } from '../errors.js';
import { argumentError, checkModel } from '../internal/check-arguments.js';
import { showValue } from '../internal/show-value.js';
import { uniqueParamSpecs } from '../models/architecture.js';
import { modelConfigFromJson } from '../models/config-json.js';
import { SrModel } from '../models/sr-model.js';

/** `modelTopology.format` of srnet artifacts. */
export const TFJS_ARTIFACTS_FORMAT = 'worldstrat-srnet/1';

function handlerFor(target: string | tf.io.IOHandler, kind: 'save' | 'load'): tf.io.IOHandler {
  if (typeof target !== 'string') {
    if (target === null || typeof target !== 'object' || Array.isArray(target))
      argumentError(
        kind === 'save' ? 'saveModel' : 'loadModel',
        kind === 'save' ? 'target' : 'source',
        'a URL string or a tf.io IOHandler',
        target,
        'BAD_CONFIG',
      );
    return target;
  }
  const handlers = kind === 'save' ? tf.io.getSaveHandlers(target) : tf.io.getLoadHandlers(target);
  const h = handlers[0];
  if (!h)
    throw new SrnetError(
      'BAD_CONFIG',
      `no tf.io ${kind} handler for "${target}"; in Node use fileModelHandler(dir) from '@worldstrat/srnet/node'`,
    );
  return h;
}

/**
 * Save a model with a tf.io handler or URL (`indexeddb://name`, `downloads://name`, `http://…`).
 *
 * @param model - the model
 * @param target - URL string or IOHandler
 * @returns tf.io's SaveResult
 * @example await saveModel(model, 'indexeddb://highresnet');
 */
export async function saveModel(model: SrModel, target: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
  checkModel('saveModel', 'model', model);
  handlerFor(target, 'save');
  const named: tf.NamedTensorMap = {};
  for (const s of model.specs) named[s.key] = model.variables.get(s.key) as tf.Variable;
  const { data, specs } = await tf.io.encodeWeights(named);
  const handler = handlerFor(target, 'save');
  if (typeof handler.save !== 'function') throw new SrnetError('BAD_CONFIG', 'the tf.io handler cannot save');
  return handler.save({
    modelTopology: {
      format: TFJS_ARTIFACTS_FORMAT,
      config: model.config,
    } as unknown as tf.io.ModelArtifacts['modelTopology'],
    format: TFJS_ARTIFACTS_FORMAT,
    generatedBy: '@worldstrat/srnet',
    weightSpecs: specs,
    weightData: data,
  });
}

/** The URL, or the handler's `source` (fileModelHandler's model.json), named in errors. */
function sourceName(source: string | tf.io.IOHandler): string {
  if (typeof source === 'string') return source;
  const named = (source as { source?: unknown }).source;
  return typeof named === 'string' ? named : 'tf.io artifacts';
}

/** Most dimensions of one weight (srnet's are rank 1 or 4). */
const MAX_WEIGHT_RANK = 8;

/**
 * Each weight spec is `{ name, shape, dtype: 'float32' }` (unquantized) and together they cover the weight data
 * byte for byte: checked before tf.io decodes (it throws plain errors, or reads past a short buffer).
 */
function checkWeightSpecs(specs: unknown, data: tf.io.WeightData, name: string): void {
  const fail = (where: string, message: string, code: SrnetErrorCode = 'BAD_CHECKPOINT'): never => {
    throw new SrnetError(code, `${name}: ${where} ${message}`, { file: name, where });
  };
  if (!Array.isArray(specs)) fail('weightSpecs', `= ${showValue(specs)}; expected an array`);
  let bytes = 0;
  const spans: { key: string; start: number; end: number }[] = [];
  (specs as unknown[]).forEach((spec, i) => {
    const where = `weightSpecs[${i}]`;
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
      fail(where, `= ${showValue(spec)}; expected { name, shape, dtype }`);
    const { name: key, shape, dtype, quantization } = spec as Record<string, unknown>;
    if (typeof key !== 'string') fail(`${where}.name`, `= ${showValue(key)}; expected a string`);
    if (
      !Array.isArray(shape) ||
      shape.length > MAX_WEIGHT_RANK ||
      !shape.every((d) => Number.isSafeInteger(d) && d >= 0)
    )
      fail(`${where}.shape`, `= ${showValue(shape)}; expected up to ${MAX_WEIGHT_RANK} whole numbers ≥ 0`);
    if (dtype !== 'float32')
      fail(
        `${where}.dtype`,
        `(weight ${showValue(key)}) is ${typeof dtype === 'string' ? dtype : showValue(dtype)}; the model expects float32`,
        'WEIGHTS_DTYPE_MISMATCH',
      );
    if (quantization !== undefined)
      fail(`${where}.quantization`, 'is set; srnet artifacts hold unquantized float32 weights');
    const size = 4 * (shape as number[]).reduce((a, b) => a * b, 1);
    spans.push({ key: key as string, start: bytes, end: bytes + size });
    bytes += size;
  });
  const parts = Array.isArray(data) ? data : [data];
  const have = parts.reduce((n, b) => n + (b as ArrayBuffer).byteLength, 0);
  if (bytes !== have) fail('weightData', `holds ${have} bytes but weightSpecs describe ${bytes}`);
  checkRepeatedWeights(spans, parts as ArrayBuffer[], fail);
}

/**
 * A weight name given twice must hold the same bytes both times: tf.io keeps the last copy, so differing copies
 * would load whichever came last without a word.
 */
function checkRepeatedWeights(
  spans: { key: string; start: number; end: number }[],
  parts: ArrayBuffer[],
  fail: (where: string, message: string) => never,
): void {
  const first = new Map<string, number>();
  let all: Uint8Array | undefined;
  spans.forEach((span, i) => {
    const j = first.get(span.key);
    if (j === undefined) {
      first.set(span.key, i);
      return;
    }
    all ??= concatBytes(parts);
    const a = all.subarray((spans[j] as typeof span).start, (spans[j] as typeof span).end);
    const b = all.subarray(span.start, span.end);
    if (a.length !== b.length || a.some((v, k) => v !== b[k]))
      fail(
        `weightSpecs[${i}]`,
        `repeats the weight name ${showValue(span.key)} of weightSpecs[${j}] with other values; keep one copy`,
      );
  });
}

function concatBytes(parts: ArrayBuffer[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out;
}

/** A float32, finite weight passes; anything else is the typed error to throw. */
async function weightProblem(name: string, key: string, t: tf.Tensor): Promise<SrnetError | undefined> {
  if (t.dtype !== 'float32')
    return new SrnetError(
      'WEIGHTS_DTYPE_MISMATCH',
      `${name}: weight "${key}" is ${t.dtype}; the model expects float32`,
      { file: name, tensor: key, dtype: t.dtype, expected: 'float32' },
    );
  const d = (await t.data()) as Float32Array;
  const i = d.findIndex((v) => !Number.isFinite(v));
  if (i < 0) return undefined;
  return new SrnetError(
    'NON_FINITE_WEIGHTS',
    `${name}: weight "${key}" holds ${d[i]} at flat index ${i}; the artifacts are corrupt or the training diverged`,
    { file: name, tensor: key, index: i },
  );
}

/**
 * Load a model saved with {@link saveModel}.
 *
 * @param source - URL string or IOHandler
 * @returns a new model on the current backend
 * @throws SrnetError `BAD_CHECKPOINT` when the artifacts are not srnet's or their config or weight specs are
 *   malformed (the message names the member; also a weight name repeated with other bytes),
 *   `MISSING_WEIGHTS`/`MISSHAPED_WEIGHTS`, `WEIGHTS_DTYPE_MISMATCH` (a non-float32 weight), `NON_FINITE_WEIGHTS`
 */
export async function loadModel(source: string | tf.io.IOHandler): Promise<SrModel> {
  const handler = handlerFor(source, 'load');
  if (typeof handler.load !== 'function') throw new SrnetError('BAD_CONFIG', 'the tf.io handler cannot load');
  const name = sourceName(source);
  const art = await handler.load();
  const topo = art.modelTopology as unknown as { format?: unknown; config?: unknown } | undefined;
  if (topo?.format !== TFJS_ARTIFACTS_FORMAT || !topo.config || !art.weightSpecs || !art.weightData) {
    throw new SrnetError(
      'BAD_CHECKPOINT',
      `${name}: not srnet tf.io artifacts (modelTopology.format ${showValue(topo?.format)}, expected ${TFJS_ARTIFACTS_FORMAT})`,
      { file: name },
    );
  }
  const config = modelConfigFromJson(topo.config, (where, message) => {
    throw new SrnetError(
      'BAD_CHECKPOINT',
      `${name}: modelTopology.config${where ? `.${where}` : ''} ${message}`,
      {
        file: name,
        where: `modelTopology.config${where ? `.${where}` : ''}`,
      },
    );
  });
  checkWeightSpecs(art.weightSpecs, art.weightData, name);
  requireBackend('loadModel');
  const tensors = tf.io.decodeWeights(art.weightData, art.weightSpecs);
  const vars = new Map<string, tf.Variable>();
  const missing: string[] = [];
  const misshaped: string[] = [];
  let bad: SrnetError | undefined;
  for (const s of uniqueParamSpecs(config)) {
    const t = tensors[s.key];
    const shape = s.kind === 'conv' ? [s.shape[2], s.shape[3], s.shape[1], s.shape[0]] : s.shape;
    if (!t) missing.push(s.key);
    else if (t.shape.join() !== shape.join())
      misshaped.push(`${s.key}: got [${t.shape}], expected [${shape}]`);
    else if (!bad) {
      bad = await weightProblem(name, s.key, t);
      if (!bad) vars.set(s.key, tf.variable(t, s.used));
    }
  }
  for (const t of Object.values(tensors)) t.dispose();
  if (missing.length > 0 || misshaped.length > 0 || bad) {
    for (const v of vars.values()) v.dispose();
    if (missing.length > 0)
      throw new SrnetError('MISSING_WEIGHTS', `${name}: artifacts lack: ${missing.join(', ')}`, { missing });
    if (misshaped.length > 0)
      throw new SrnetError('MISSHAPED_WEIGHTS', `${name}: mis-shaped: ${misshaped.join('; ')}`, {
        misshaped,
      });
    throw bad;
  }
  return new SrModel(config, vars);
}
