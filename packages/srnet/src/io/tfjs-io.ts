// TF.js's own save/load (tf.io handlers: indexeddb://, localstorage://, downloads://, http(s)://, or any custom
// IOHandler). Weights are stored in TF layout under their upstream keys; the model config rides in modelTopology.
import * as tf from '@tensorflow/tfjs-core';
import { requireBackend } from '../backends/require-backend.js';
import { SrnetError } from '../errors.js';
import { argumentError, checkModel, isRecord } from '../internal/check-arguments.js';
import { showValue } from '../internal/show-value.js';
import { uniqueParamSpecs } from '../models/architecture.js';
import { modelConfigFromJson } from '../models/config-json.js';
import { SrModel } from '../models/sr-model.js';
import { checkWeightSpecs } from './weight-specs.js';

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
 *   `MISSING_WEIGHTS`/`MISSHAPED_WEIGHTS`, `WEIGHTS_DTYPE_MISMATCH` (a non-float32 weight), `NON_FINITE_WEIGHTS`;
 *   `BAD_CONFIG` when a custom handler's `load()` resolves to something other than an artifacts object
 */
export async function loadModel(source: string | tf.io.IOHandler): Promise<SrModel> {
  const handler = handlerFor(source, 'load');
  if (typeof handler.load !== 'function') throw new SrnetError('BAD_CONFIG', 'the tf.io handler cannot load');
  const name = sourceName(source);
  const loaded: unknown = await handler.load();
  // a custom handler (the caller's code) may answer anything: an object before any member is read
  if (!isRecord(loaded))
    argumentError(
      'loadModel',
      "source.load()'s result",
      'model artifacts { modelTopology, weightSpecs, weightData }',
      loaded,
      'BAD_CONFIG',
    );
  const art = loaded as tf.io.ModelArtifacts;
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
