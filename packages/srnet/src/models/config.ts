// Model configuration shared by every engine (TF.js, ONNX). Defaults are the WorldStrat benchmark settings
// of the paper: 12 input bands, 3 output bands, hidden 128, 1 residual layer, zoom 2, 1×1 SR kernels,
// 156×156 output.

export const MODEL_KINDS = ['srcnn', 'highresnet'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface ModelConfig {
  kind: ModelKind;
  /** Revisits R the model fuses (1 = single-image SRCNN). HighResNet pads to the next power of two. */
  revisits: number;
  inChannels: number;
  outChannels: number;
  hiddenChannels: number;
  residualLayers: number;
  kernelSize: number;
  zoomFactor: number;
  srKernelSize: number;
  /** [height, width] of the final bilinear resize. */
  outputSize: [number, number];
  /** Dropout probability inside DoubleConv2d blocks (training only). */
  dropout: number;
}

export const DEFAULT_MODEL_CONFIG = {
  kind: 'srcnn',
  revisits: 8,
  inChannels: 12,
  outChannels: 3,
  hiddenChannels: 128,
  residualLayers: 1,
  kernelSize: 3,
  zoomFactor: 2,
  srKernelSize: 1,
  outputSize: [156, 156],
  dropout: 0.5,
} as const satisfies ModelConfig;

/** Fill in defaults for a partial config. */
export function resolveModelConfig(config: Partial<ModelConfig> = {}): ModelConfig {
  return {
    ...DEFAULT_MODEL_CONFIG,
    outputSize: [...DEFAULT_MODEL_CONFIG.outputSize] as [number, number],
    ...config,
  };
}

/** The fields that fix the shapes of a model's weights (output size and dropout do not). */
export const ARCHITECTURE_FIELDS = [
  'kind',
  'revisits',
  'inChannels',
  'outChannels',
  'hiddenChannels',
  'residualLayers',
  'kernelSize',
  'zoomFactor',
  'srKernelSize',
] as const;

/**
 * How two configurations differ in architecture, as `field: <a> vs <b>` lines (empty when the weights of one fit
 * the other).
 *
 * @param a - e.g. the configuration found in weights or a checkpoint.
 * @param b - e.g. the model's configuration.
 * @param labels - names of `a` and `b` in the lines.
 * @returns the differing fields.
 * @example architectureDiff(found, model.config, ['weights', 'model']) // ['hiddenChannels: weights 8 vs model 16']
 */
export function architectureDiff(a: ModelConfig, b: ModelConfig, labels: [string, string]): string[] {
  return ARCHITECTURE_FIELDS.filter((f) => a[f] !== b[f]).map(
    (f) => `${f}: ${labels[0]} ${a[f]} vs ${labels[1]} ${b[f]}`,
  );
}
