// Conv2DBackpropFilter for the wasm backend (it has none, so conv nets cannot train there). Built from kernels
// wasm has: the filter gradient is a conv2d in which the input's channels act as the batch and the output
// gradient acts as a (dilated by the forward stride) filter:
//   dW[kh,kw,ci,co] = Σ_{b,y,x} Xpad[b, y·s + kh, x·s + kw, ci] · dY[b,y,x,co]
//                   = conv2d(Xpadᵀ[ci,H,W,b], dYᵀ[oh,ow,b,co], stride 1, dilation s)[ci,kh,kw,co].
import * as tf from '@tensorflow/tfjs-core';

/** Attributes of the Conv2DBackpropFilter kernel (tfjs-core's Conv2DBackpropFilterAttrs). */
interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | 'explicit';
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
  explicitPaddings?: [[number, number], [number, number], [number, number], [number, number]];
}

/** Compute the filter gradient with ops only (used inside the kernel; exported for tests). */
export function conv2dBackpropFilterViaConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: 'valid' | 'same' | number | 'explicit',
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
  explicitPaddings?: BackpropFilterAttrs['explicitPaddings'],
): tf.Tensor4D {
  return tf.tidy(() => {
    const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
    const [kh, kw] = filterShape;
    const padArg =
      pad === 'explicit' ? (explicitPaddings as unknown as tf.backend_util.ExplicitPadding) : pad;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape,
      filterShape,
      [sh, sw],
      1,
      padArg,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const { top, left } = info.padInfo;
    const [, oh, ow] = dy.shape;
    const needH = (oh - 1) * sh + kh;
    const needW = (ow - 1) * sw + kw;
    const [, h, w] = x.shape;
    // Pad (top/left from the forward conv; bottom/right so the extent is exactly what the dilated filter needs).
    let xp = x;
    const bottom = needH - h - top;
    const right = needW - w - left;
    if (top > 0 || left > 0 || bottom > 0 || right > 0) {
      xp = tf.pad(xp, [
        [0, 0],
        [top, Math.max(0, bottom)],
        [left, Math.max(0, right)],
        [0, 0],
      ]);
    }
    if (bottom < 0 || right < 0) xp = tf.slice(xp, [0, 0, 0, 0], [-1, needH, needW, -1]);
    const xt = tf.transpose(xp, [3, 1, 2, 0]); // [ci, H, W, b]
    const dyt = tf.transpose(dy, [1, 2, 0, 3]); // [oh, ow, b, co]
    const g = tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', [sh, sw]); // [ci, kh, kw, co]
    return tf.transpose(g, [1, 2, 0, 3]);
  });
}

/** Kernel config registered for the 'wasm' backend. */
export const conv2dBackpropFilterWasmConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs }) => {
    const { x, dy } = inputs as unknown as { x: tf.Tensor4D; dy: tf.Tensor4D };
    const a = attrs as unknown as BackpropFilterAttrs;
    if (a.dataFormat === 'NCHW')
      throw new Error('srnet wasm Conv2DBackpropFilter supports NHWC only; transpose NCHW inputs first');
    return conv2dBackpropFilterViaConv(
      x,
      dy,
      a.filterShape,
      a.strides,
      a.pad,
      a.dimRoundingMode,
      a.explicitPaddings,
    );
  },
};
