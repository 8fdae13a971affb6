// A ModelConfig read from a file (ONNX metadata, checkpoint metadata, TF.js artifacts): every member checked for
// type and range before any code sizes tensors or loops by it.
import { showValue } from '../internal/show-value.js';
import { modelConfigProblem } from './architecture.js';
import { type ModelConfig, resolveModelConfig } from './config.js';

/** Throws the caller's typed error; `where` is the member below the config (empty for the config itself). */
export type ConfigFailure = (where: string, message: string) => never;

const NUMBER_FIELDS = [
  'revisits',
  'inChannels',
  'outChannels',
  'hiddenChannels',
  'residualLayers',
  'kernelSize',
  'zoomFactor',
  'srKernelSize',
  'dropout',
] as const;

/**
 * The config a JSON document describes: an object with a `kind`; other members may be absent (defaults fill
 * them, as {@link resolveModelConfig} does) but never of the wrong type or out of range. Unknown members are
 * dropped.
 *
 * @param value - the parsed JSON.
 * @param fail - throws the caller's error (its code, the file and the member).
 * @param options - passed to {@link modelConfigProblem}.
 */
export function modelConfigFromJson(
  value: unknown,
  fail: ConfigFailure,
  options: { singleRevisitHighResNet?: boolean } = {},
): ModelConfig {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail('', `must be a JSON object with kind, revisits, inChannels, …; got ${showValue(value)}`);
  const doc = value as Record<string, unknown>;
  if (!Object.hasOwn(doc, 'kind')) fail('kind', "is missing; expected 'srcnn' or 'highresnet'");
  const picked: Record<string, unknown> = { kind: doc.kind };
  for (const field of NUMBER_FIELDS) {
    if (!Object.hasOwn(doc, field)) continue;
    if (typeof doc[field] !== 'number') fail(field, `= ${showValue(doc[field])}; expected a number`);
    picked[field] = doc[field];
  }
  if (Object.hasOwn(doc, 'outputSize'))
    picked.outputSize = Array.isArray(doc.outputSize) ? [...doc.outputSize] : doc.outputSize;
  const config = resolveModelConfig(picked as Partial<ModelConfig>);
  const problem = modelConfigProblem(config, options);
  if (problem) fail(problem.field, `= ${showValue(problem.value)}; expected ${problem.expected}`);
  return config;
}
