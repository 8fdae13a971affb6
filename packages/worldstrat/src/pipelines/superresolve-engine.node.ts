// The model of a `superresolve` run: srnet weights (.safetensors / .onnx), or a third-party ONNX model described
// by a STAC MLM document, whose bands, value scaling and tile size then drive the scene inference.
import type { Raster } from '@worldstrat/raster-io';
import type { InferenceEngine } from '@worldstrat/srnet';
import { createDescriptorEngine, descriptorSceneOptions, loadModelDescriptor } from '@worldstrat/srnet/node';
import { WorldStratError } from '../errors.js';
import { type EngineChoice, loadWeightsEngine } from './evaluate-models.node.js';

/** An engine plus the scene options its model fixes (none for srnet weights). */
export interface SuperresolveEngine {
  engine: InferenceEngine;
  /** The descriptor's `mlm:name` when the model came from an MLM document. */
  modelName?: string;
  /** The files the model was read from (weights, or the descriptor and its ONNX): no output may replace them. */
  modelFiles: string[];
  /** Bands, normalisation and chip size a described model needs for this scene (empty for srnet weights). */
  sceneOptions(scene: readonly Raster[]): {
    bands?: number[];
    normalisation?: { mean: number[]; std: number[] };
    chipSize?: number;
  };
}

/**
 * Load exactly one of `weights` (srnet .safetensors/.onnx) or `model` (an MLM descriptor JSON next to its ONNX).
 *
 * @param options - `weights` or `model`, and the engine for weights.
 * @returns the engine and its scene options.
 * @throws WorldStratError `INVALID_ARGUMENT` for neither/both; srnet's `BAD_MODEL_DESCRIPTOR` and engine errors.
 * @example
 * const { engine, sceneOptions } = await loadSuperresolveEngine({ model: 'models/sr4x.json' });
 */
export async function loadSuperresolveEngine(options: {
  weights?: string;
  model?: string;
  engine?: EngineChoice;
}): Promise<SuperresolveEngine> {
  if ((options.weights === undefined) === (options.model === undefined))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      options.model === undefined
        ? 'superresolve needs weights (.safetensors / .onnx) or a model descriptor (STAC MLM JSON)'
        : `give weights (${options.weights}) or a model descriptor (${options.model}), not both`,
    );
  if (options.model !== undefined) {
    if (options.engine === 'tfjs')
      throw new WorldStratError(
        'INVALID_ARGUMENT',
        'a model descriptor runs its ONNX file on ONNX Runtime; drop engine tfjs',
      );
    const { descriptor, onnx, modelPath } = await loadModelDescriptor(options.model);
    const engine = await createDescriptorEngine(descriptor, onnx);
    return {
      engine,
      modelName: descriptor.name,
      modelFiles: [options.model, modelPath],
      sceneOptions: (scene) => descriptorSceneOptions(engine, scene),
    };
  }
  const weights = options.weights as string;
  const kind: EngineChoice = options.engine ?? (weights.endsWith('.onnx') ? 'onnx' : 'tfjs');
  return {
    engine: await loadWeightsEngine(weights, kind),
    modelFiles: [weights],
    sceneOptions: () => ({}),
  };
}
