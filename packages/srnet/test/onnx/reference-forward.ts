// Test helper: a deliberately naive float64 NCHW forward pass of SRCNN / HighRes-net written from
// upstream's PyTorch modules with plain loops (no ONNX, no TF.js), plus a seeded random state_dict. It lets the ONNX
// export be checked on configs the parity fixtures do not cover (odd R, zoom 3, residual layers, 3×3 SR).
import type { ModelConfig } from '../../src/models/config.js';
import type { StateDict, StateTensor } from '../../src/models/state-dict.js';

type T = { c: number; h: number; w: number; d: Float64Array }; // one image, CHW

/** mulberry32: a small documented PRNG for test weights. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every key the forward pass needs for `config`, with its shape. */
export function requiredKeys(cfg: ModelConfig): Record<string, number[]> {
  const keys: Record<string, number[]> = {};
  const k = cfg.kernelSize;
  const dc = (p: string, cin: number, cout: number) => {
    keys[`${p}.0.weight`] = [cout, cin, k, k];
    keys[`${p}.0.bias`] = [cout];
    keys[`${p}.2.weight`] = [1];
    keys[`${p}.4.weight`] = [cout, cout, k, k];
    keys[`${p}.4.bias`] = [cout];
    keys[`${p}.6.weight`] = [1];
  };
  const h = cfg.hiddenChannels;
  dc('encoder.doubleconv2d', cfg.inChannels, h);
  if (cfg.kind === 'srcnn') {
    dc('fusion.0.doubleconv2d', cfg.revisits * h, h);
    for (let i = 0; i < cfg.residualLayers; i++) dc(`fusion.1.${i}.residualblock.doubleconv2d`, h, h);
  } else {
    dc('fusion.fusion.0.fuse.0.residualblock.doubleconv2d', 2 * h, 2 * h);
    keys['fusion.fusion.0.fuse.1.weight'] = [h, 2 * h, k, k];
    keys['fusion.fusion.0.fuse.1.bias'] = [h];
    keys['fusion.fusion.0.fuse.3.weight'] = [1];
  }
  const c2 = h / cfg.zoomFactor ** 2;
  const s = cfg.srKernelSize;
  keys['sr.upsample.1.weight'] = [c2, c2, s, s];
  keys['sr.upsample.1.bias'] = [c2];
  keys['sr.upsample.3.weight'] = [1];
  keys['sr.upsample.4.weight'] = [cfg.outChannels, c2, s, s];
  keys['sr.upsample.4.bias'] = [cfg.outChannels];
  keys['sr.upsample.6.weight'] = [1];
  return keys;
}

/** Seeded variance-preserving random weights (like the parity fixtures' recipe). */
export function randomStateDict(cfg: ModelConfig, seed: number): StateDict {
  const rand = mulberry32(seed);
  const sd: StateDict = {};
  for (const [key, shape] of Object.entries(requiredKeys(cfg))) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (shape.length === 4) {
      const fanIn = (shape[1] as number) * (shape[2] as number) * (shape[3] as number);
      const bound = Math.sqrt(6 / ((1 + 0.25 ** 2) * fanIn));
      for (let i = 0; i < n; i++) data[i] = (rand() * 2 - 1) * bound;
    } else if (key.endsWith('bias')) {
      for (let i = 0; i < n; i++) data[i] = (rand() * 2 - 1) * 0.1;
    } else {
      data[0] = 0.1 + 0.3 * rand();
    }
    sd[key] = { shape, data };
  }
  return sd;
}

const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);

function conv(x: T, wt: StateTensor, b: StateTensor): T {
  const [cout, cin, k] = wt.shape as [number, number, number];
  const p = (k - 1) / 2;
  const out = new Float64Array(cout * x.h * x.w);
  for (let o = 0; o < cout; o++) {
    for (let y = 0; y < x.h; y++) {
      for (let xx = 0; xx < x.w; xx++) {
        let s = b.data[o] as number;
        for (let i = 0; i < cin; i++) {
          for (let ky = 0; ky < k; ky++) {
            const sy = reflect(y + ky - p, x.h);
            for (let kx = 0; kx < k; kx++) {
              const sx = reflect(xx + kx - p, x.w);
              s +=
                (wt.data[((o * cin + i) * k + ky) * k + kx] as number) *
                (x.d[(i * x.h + sy) * x.w + sx] as number);
            }
          }
        }
        out[(o * x.h + y) * x.w + xx] = s;
      }
    }
  }
  return { c: cout, h: x.h, w: x.w, d: out };
}

function prelu(x: T, a: StateTensor): T {
  const s = a.data[0] as number;
  return { ...x, d: x.d.map((v) => (v >= 0 ? v : s * v)) };
}

function add(a: T, b: T): T {
  return { ...a, d: a.d.map((v, i) => v + (b.d[i] as number)) };
}

function cat(a: T, b: T): T {
  const d = new Float64Array(a.d.length + b.d.length);
  d.set(a.d);
  d.set(b.d, a.d.length);
  return { c: a.c + b.c, h: a.h, w: a.w, d };
}

/** Reference eval forward for one sample `(R, C, H, W)` → `(outC, outH, outW)` as float64. */
export function referenceForward(
  cfg: ModelConfig,
  sd: StateDict,
  input: Float32Array,
  h: number,
  w: number,
): Float64Array {
  const W = (key: string) => {
    const t = sd[key];
    if (!t) throw new Error(`missing ${key}`);
    return t;
  };
  const dc = (x: T, p: string) => {
    let y = prelu(conv(x, W(`${p}.0.weight`), W(`${p}.0.bias`)), W(`${p}.2.weight`));
    y = prelu(conv(y, W(`${p}.4.weight`), W(`${p}.4.bias`)), W(`${p}.6.weight`));
    return y;
  };
  const R = cfg.revisits;
  const C = cfg.inChannels;
  const enc: T[] = [];
  for (let r = 0; r < R; r++) {
    const d = Float64Array.from(input.subarray(r * C * h * w, (r + 1) * C * h * w));
    enc.push(dc({ c: C, h, w, d }, 'encoder.doubleconv2d'));
  }
  let fused: T;
  if (cfg.kind === 'srcnn') {
    let x = enc.reduce((a, b) => cat(a, b));
    x = dc(x, 'fusion.0.doubleconv2d');
    for (let i = 0; i < cfg.residualLayers; i++)
      x = add(x, dc(x, `fusion.1.${i}.residualblock.doubleconv2d`));
    fused = x;
  } else {
    let level = enc;
    let p = 1;
    while (p < R) p *= 2;
    while (level.length < p)
      level.push({ ...(level[0] as T), d: new Float64Array((level[0] as T).d.length) });
    while (level.length > 1) {
      const half = level.length / 2;
      const next: T[] = [];
      for (let r = 0; r < half; r++) {
        const x = cat(level[r] as T, level[r + half] as T);
        const res = add(x, dc(x, 'fusion.fusion.0.fuse.0.residualblock.doubleconv2d'));
        next.push(
          prelu(
            conv(res, W('fusion.fusion.0.fuse.1.weight'), W('fusion.fusion.0.fuse.1.bias')),
            W('fusion.fusion.0.fuse.3.weight'),
          ),
        );
      }
      level = next;
    }
    fused = level[0] as T;
  }
  // PixelShuffle: out[c, z·y+i, z·x+j] = in[z²c + z·i + j, y, x].
  const z = cfg.zoomFactor;
  const c2 = fused.c / (z * z);
  const H2 = h * z;
  const W2 = w * z;
  const ps = new Float64Array(c2 * H2 * W2);
  for (let c = 0; c < c2; c++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let i = 0; i < z; i++)
          for (let j = 0; j < z; j++)
            ps[(c * H2 + z * y + i) * W2 + z * x + j] = fused.d[
              ((c * z * z + z * i + j) * h + y) * w + x
            ] as number;
  let sr: T = { c: c2, h: H2, w: W2, d: ps };
  sr = prelu(conv(sr, W('sr.upsample.1.weight'), W('sr.upsample.1.bias')), W('sr.upsample.3.weight'));
  sr = prelu(conv(sr, W('sr.upsample.4.weight'), W('sr.upsample.4.bias')), W('sr.upsample.6.weight'));
  const [oh, ow] = cfg.outputSize;
  // kornia Resize(antialias=True): a Gaussian blur first when some axis shrinks.
  sr = antialiasBlur(sr, oh, ow);
  // Bilinear, align_corners=False (half pixel, source clamped at 0).
  const out = new Float64Array(sr.c * oh * ow);
  const coord = (i: number, n: number, m: number) => {
    const s = Math.max(0, ((i + 0.5) * n) / m - 0.5);
    const i0 = Math.min(Math.floor(s), n - 1);
    const i1 = Math.min(i0 + 1, n - 1);
    return [i0, i1, s - i0] as const;
  };
  for (let c = 0; c < sr.c; c++)
    for (let y = 0; y < oh; y++) {
      const [y0, y1, fy] = coord(y, sr.h, oh);
      for (let x = 0; x < ow; x++) {
        const [x0, x1, fx] = coord(x, sr.w, ow);
        const g = (yy: number, xx: number) => sr.d[(c * sr.h + yy) * sr.w + xx] as number;
        out[(c * oh + y) * ow + x] =
          (1 - fy) * ((1 - fx) * g(y0, x0) + fx * g(y0, x1)) + fy * ((1 - fx) * g(y1, x0) + fx * g(y1, x1));
      }
    }
  return out;
}

/** kornia 0.6's Gaussian window: `size` taps at x − size//2, exp(−x²/2σ²), normalised. */
function gaussianWindow(size: number, sigma: number): number[] {
  const g = Array.from({ length: size }, (_, i) =>
    Math.exp(-((i - Math.floor(size / 2)) ** 2) / (2 * sigma ** 2)),
  );
  const sum = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / sum);
}

/**
 * kornia 0.6 `resize(antialias=True)` before its interpolation, written from its source: when max(in/out) > 1,
 * σ per axis = max((in/out − 1)/2, 0.001), kernel int(max(4σ, 3)) made odd, then `gaussian_blur2d` with a
 * reflect border (a direct 2-D convolution here).
 */
function antialiasBlur(x: T, oh: number, ow: number): T {
  const fy = x.h / oh;
  const fx = x.w / ow;
  if (!(Math.max(fy, fx) > 1)) return x;
  const sy = Math.max((fy - 1) / 2, 0.001);
  const sx = Math.max((fx - 1) / 2, 0.001);
  const odd = (k: number) => (k % 2 === 0 ? k + 1 : k);
  const ky = odd(Math.trunc(Math.max(4 * sy, 3)));
  const kx = odd(Math.trunc(Math.max(4 * sx, 3)));
  const gy = gaussianWindow(ky, sy);
  const gx = gaussianWindow(kx, sx);
  const out = new Float64Array(x.d.length);
  for (let c = 0; c < x.c; c++)
    for (let y = 0; y < x.h; y++)
      for (let xx = 0; xx < x.w; xx++) {
        let s = 0;
        for (let i = 0; i < ky; i++)
          for (let j = 0; j < kx; j++) {
            const v =
              x.d[(c * x.h + reflect(y + i - (ky - 1) / 2, x.h)) * x.w + reflect(xx + j - (kx - 1) / 2, x.w)];
            s += (gy[i] as number) * (gx[j] as number) * (v as number);
          }
        out[(c * x.h + y) * x.w + xx] = s;
      }
  return { ...x, d: out };
}
