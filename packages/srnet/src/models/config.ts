// Model configuration shared by every engine (TF.js, ONNX). Defaults are the WorldStrat benchmark settings
// (spec-superres §2): 12 input bands, 3 output bands, hidden 128, 1 residual layer, zoom 2, 1×1 SR kernels,
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
