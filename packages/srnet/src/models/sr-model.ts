// SRCNN and HighResNet as TF.js ops over named variables. Weights are keyed by their
// upstream state_dict name (the first key of a shared module), stored in TF layout: conv [kh,kw,in,out].
import * as tf from '@tensorflow/tfjs-core';
import { SrnetError } from '../errors.js';
import type { SeededRandom } from '../internal/random.js';
import { fusionLevels, type ParamSpec, uniqueParamSpecs } from './architecture.js';
import type { ModelConfig } from './config.js';
import {
  convSame,
  dropout,
  pixelShuffle,
  prelu,
  resizeBilinearDifferentiable,
  resizeShrinks,
} from './ops.js';

/** Options of {@link SrModel.forward}. */
export interface ForwardOptions {
  /** Training mode: dropout active (needs `rng`) and differentiable padding. */
  training?: boolean;
  /**
   * Source of dropout masks in training mode: one RNG for the whole batch, or one per sample (masks then do not
   * depend on how a batch is split into micro-batches or data-parallel shards).
   */
  rng?: SeededRandom | readonly SeededRandom[];
  /** false: stop before the final bilinear resize (upstream `model.sr` output; whole-scene tiles). Default true. */
  resize?: boolean;
}

/**
 * A SRCNN or HighResNet model: configuration plus one `tf.Variable` per unique upstream parameter.
 * Create with `createModel` (seeded init) or `loadStateDict`; free with `dispose()`.
 */
export class SrModel {
  /** Variables by upstream key (first key of each shared tensor), TF layout. */
  readonly variables: Map<string, tf.Variable>;
  /** Parameter specs (unique keys, state_dict order). */
  readonly specs: ParamSpec[];
  private disposed = false;

  constructor(
    readonly config: ModelConfig,
    variables: Map<string, tf.Variable>,
  ) {
    this.specs = uniqueParamSpecs(config);
    this.variables = variables;
    for (const s of this.specs) {
      if (!variables.has(s.key))
        throw new SrnetError('MISSING_WEIGHTS', `model variable "${s.key}" missing`, { missing: [s.key] });
    }
  }

  /** Variables the forward pass uses (the ones an optimiser updates), in state_dict order. */
  trainableVariables(): tf.Variable[] {
    return this.specs.filter((s) => s.used).map((s) => this.variables.get(s.key) as tf.Variable);
  }

  private v<T extends tf.Tensor>(key: string): T {
    const t = this.variables.get(key);
    if (!t) throw new SrnetError('MISSING_WEIGHTS', `model variable "${key}" missing`, { missing: [key] });
    return t as unknown as T;
  }

  private doubleConv(prefix: string, x: tf.Tensor4D, o: ForwardOptions): tf.Tensor4D {
    const train = o.training === true;
    const p = this.config.dropout;
    let y = convSame(x, this.v(`${prefix}.0.weight`), this.v(`${prefix}.0.bias`), train);
    y = prelu(y, this.v(`${prefix}.2.weight`));
    if (train) y = dropout(y, p, o.rng as SeededRandom | readonly SeededRandom[]);
    y = convSame(y, this.v(`${prefix}.4.weight`), this.v(`${prefix}.4.bias`), train);
    y = prelu(y, this.v(`${prefix}.6.weight`));
    if (train) y = dropout(y, p, o.rng as SeededRandom | readonly SeededRandom[]);
    return y;
  }

  /**
   * Forward pass on NHWC-packed revisits.
   *
   * @param x - `[B, R, H, W, C]` (revisits on axis 1, channels last)
   * @param options - training mode and dropout RNG
   * @returns `[B, outH, outW, outChannels]`
   */
  forward(x: tf.Tensor5D, options: ForwardOptions = {}): tf.Tensor4D {
    if (this.disposed) throw new SrnetError('DISPOSED', 'model was disposed; create or load a new one');
    if (options.training && this.config.dropout > 0 && !options.rng) {
      throw new SrnetError('BAD_CONFIG', 'training-mode forward needs options.rng for dropout masks');
    }
    const cfg = this.config;
    const [b, r, h, w, c] = x.shape;
    const hid = cfg.hiddenChannels;
    const enc = this.doubleConv('encoder.doubleconv2d', tf.reshape(x, [b * r, h, w, c]), options);
    let fused: tf.Tensor4D;
    if (cfg.kind === 'srcnn') {
      // revisit-major channel packing: channel index r·hidden + c.
      const t = tf.transpose(tf.reshape(enc, [b, r, h, w, hid]), [0, 2, 3, 1, 4]);
      fused = this.doubleConv('doubleconv2d.doubleconv2d', tf.reshape(t, [b, h, w, r * hid]), options);
      for (let i = 0; i < cfg.residualLayers; i++) {
        fused = tf.add(
          fused,
          this.doubleConv(`residualblocks.${i}.residualblock.doubleconv2d`, fused, options),
        );
      }
    } else {
      // Revisits as rank 3 [B, R, H·W·hidden]: wasm slices and concatenates rank ≤ 4 with block copies but falls
      // back to a per-element JS loop for rank 5 (it made HighResNet's training step ~2× slower).
      const plane = h * w * hid;
      let y: tf.Tensor3D = tf.reshape(enc, [b, r, plane]);
      const padded = 2 ** fusionLevels(r);
      if (padded > r) y = tf.concat([y, tf.zeros([b, padded - r, plane])], 1);
      let rr = padded;
      const train = options.training === true;
      while (rr > 1) {
        const half = rr / 2;
        const first = tf.reshape(tf.slice(y, [0, 0, 0], [b, half, plane]), [b * half, h, w, hid]);
        const second = tf.reshape(tf.slice(y, [0, half, 0], [b, half, plane]), [b * half, h, w, hid]);
        const cat = tf.concat([first, second], 3) as tf.Tensor4D;
        const pre = 'fusion.fusion.0.fuse';
        const res = tf.add(
          cat,
          this.doubleConv(`${pre}.0.residualblock.doubleconv2d`, cat, options),
        ) as tf.Tensor4D;
        let f = convSame(res, this.v(`${pre}.1.weight`), this.v(`${pre}.1.bias`), train);
        f = prelu(f, this.v(`${pre}.3.weight`));
        y = tf.reshape(f, [b, half, plane]);
        rr = half;
      }
      fused = tf.reshape(y, [b, h, w, hid]);
    }
    const train = options.training === true;
    let s = pixelShuffle(fused, cfg.zoomFactor);
    s = prelu(
      convSame(s, this.v('sr.upsample.1.weight'), this.v('sr.upsample.1.bias'), train),
      this.v('sr.upsample.3.weight'),
    );
    s = prelu(
      convSame(s, this.v('sr.upsample.4.weight'), this.v('sr.upsample.4.bias'), train),
      this.v('sr.upsample.6.weight'),
    );
    if (options.resize === false) return s;
    // upstream's kornia Resize antialiases (Gaussian blur) an axis that shrinks: chips larger than outputSize/zoom
    if (train || resizeShrinks(s, cfg.outputSize)) return resizeBilinearDifferentiable(s, cfg.outputSize);
    return tf.image.resizeBilinear(s, cfg.outputSize, false, true);
  }

  /** Free every variable. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables.values()) v.dispose();
  }

  /** True once {@link dispose} ran. */
  get isDisposed(): boolean {
    return this.disposed;
  }
}
