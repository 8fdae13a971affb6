// The contract every inference engine (TF.js, ONNX Runtime) implements.
import type { ModelConfig } from './models/config.js';

/** Input/output shapes are explicit; data is row-major Float32Array. */
export interface PredictInput {
  /** (B, R, C, H, W): normalised LR revisits, like upstream. */
  data: Float32Array;
  shape: [number, number, number, number, number];
}

export interface PredictOutput {
  /** (B, 1, outChannels, outH, outW), like upstream. */
  data: Float32Array;
  shape: [number, number, number, number, number];
}

/** Options of {@link InferenceEngine.predictUnresized}. */
export interface PredictUnresizedOptions {
  signal?: AbortSignal;
  /** The input is an interior scene tile: no scene edge within the model's receptive radius of its core. */
  interior?: boolean;
}

export interface InferenceEngine {
  readonly name: 'tfjs' | 'onnx';
  readonly config: ModelConfig;
  /** Eval-mode forward pass (no dropout). */
  predict(input: PredictInput, options?: { signal?: AbortSignal }): Promise<PredictOutput>;
  /**
   * The same forward pass stopped before the final bilinear resize: `(B, 1, outChannels, zoom·H, zoom·W)` for
   * any H, W (the srnet models are fully convolutional). Present only on engines that can; whole-scene
   * inference then runs large tiles instead of many small overlapping chips. `interior: true` says the tile
   * holds real scene pixels beyond its receptive radius on every side (no scene edge), so the engine may pad
   * its layers any way it likes (the ONNX engine pads with zeros there, which runs faster); engines may ignore it.
   */
  predictUnresized?(input: PredictInput, options?: PredictUnresizedOptions): Promise<PredictOutput>;
  /**
   * The seamless tile side (LR px, margins included) that suits this engine's speed and memory: `superResolve`
   * uses it when no `tileSize` is given (absent: 256).
   */
  readonly seamlessTileSize?: number;
  dispose(): void;
}
