// Fast stride-1 Conv2DBackpropInput for wasm. The wasm backend's own kernel is a plain loop (~10× slower than
// its conv2d). For stride 1 the input gradient is a conv2d of the zero-padded output gradient with the spatially
// flipped, channel-swapped filter:
//   dX[b,i,j,ci] = Σ_{a,c,co} dYpad[b, i+a, j+c, co] · W[K−1−a, K−1−c, ci, co]
// with dYpad padded by K−1−padTop on top and K−1−padLeft on the left. Other strides fall back to wasm's kernel.
import * as tf from '@tensorflow/tfjs-core';

interface BackpropInputAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | 'explicit';
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
  explicitPaddings?: [[number, number], [number, number], [number, number], [number, number]];
}

/** Input gradient of a stride-1 conv2d via conv2d (exported for tests). */
export function conv2dBackpropInputViaConv(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  pad: 'valid' | 'same' | number | 'explicit',
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
  explicitPaddings?: BackpropInputAttrs['explicitPaddings'],
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filter.shape;
    const padArg =
      pad === 'explicit' ? (explicitPaddings as unknown as tf.backend_util.ExplicitPadding) : pad;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape,
      1,
      1,
      padArg,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const { top, left } = info.padInfo;
    const [, h, w] = inputShape;
    const [, oh, ow] = dy.shape;
    const pt = kh - 1 - top;
    const pl = kw - 1 - left;
    const pb = h + kh - 1 - oh - pt;
    const pr = w + kw - 1 - ow - pl;
    let d = dy;
    if (pt < 0 || pl < 0) {
      d = tf.slice(
        d,
        [0, Math.max(0, -pt), Math.max(0, -pl), 0],
        [-1, oh - Math.max(0, -pt), ow - Math.max(0, -pl), -1],
      );
    }
    const padT = Math.max(0, pt);
    const padL = Math.max(0, pl);
    if (padT > 0 || padL > 0 || pb > 0 || pr > 0) {
      d = tf.pad(d, [
        [0, 0],
        [padT, Math.max(0, pb)],
        [padL, Math.max(0, pr)],
        [0, 0],
      ]);
    }
    if (pb < 0 || pr < 0) d = tf.slice(d, [0, 0, 0, 0], [-1, h + kh - 1, w + kw - 1, -1]);
    const wf = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [kh, kw, co, ci]
    return tf.conv2d(d, wf, 1, 'valid');
  });
}

/** Build the kernel config; `fallback` is the wasm backend's original kernel (used for stride > 1). */
export function createConv2dBackpropInputWasmConfig(fallback: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    setupFunc: fallback?.setupFunc,
    kernelFunc: (args) => {
      const { dy, filter } = args.inputs as unknown as { dy: tf.Tensor4D; filter: tf.Tensor4D };
      const a = args.attrs as unknown as BackpropInputAttrs;
      const [sh, sw] = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
      if (sh === 1 && sw === 1 && a.dataFormat !== 'NCHW') {
        return conv2dBackpropInputViaConv(
          dy,
          filter,
          a.inputShape,
          a.pad,
          a.dimRoundingMode,
          a.explicitPaddings,
        );
      }
      if (!fallback)
        throw new Error(`srnet: no wasm Conv2DBackpropInput for strides [${sh}, ${sw}] / ${a.dataFormat}`);
      return fallback.kernelFunc(args);
    },
  };
}
