// Weights in PyTorch layout and naming: the interchange form between checkpoints, TF.js and ONNX.
// conv weights [out, in, kh, kw], biases [out], PReLU slopes [1]; keys are upstream state_dict names
// without the Lightning `backbone.` prefix.

export interface StateTensor {
  shape: number[];
  data: Float32Array;
}

/** A PyTorch state_dict: every key present (shared modules may point at the same StateTensor). */
export type StateDict = Record<string, StateTensor>;
