// Random JPEG inputs shared by the decoder tests: coefficient blocks as real images have them, seeded.
import { componentBlocks, type JpegInput } from './jpeg-encode.js';

/** 4:2:0 chroma subsampling: Y at 2 × 2, Cb and Cr at 1 × 1. */
export const YCC420: [number, number][] = [
  [2, 2],
  [1, 1],
  [1, 1],
];

/** Deterministic pseudo-random integers (xorshift). */
export function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

/**
 * Random coefficients as real images have them: per block the dequantized values sum to at most 2000 in
 * magnitude, so libjpeg's C and SIMD builds compute alike; many blocks still overshoot 0..255 (saturated).
 */
export function randomInput(
  width: number,
  height: number,
  sampling: [number, number][],
  seed: number,
  restartInterval?: number,
): JpegInput {
  const r = rng(seed);
  const input: JpegInput = {
    width,
    height,
    components: sampling.map(([h, v]) => ({ h, v, blocks: new Int16Array(0) })),
    quant: Uint8Array.from({ length: 64 }, (_, i) => (i === 0 ? 1 + r(8) : 1 + r(40))),
    ...(restartInterval ? { restartInterval } : {}),
  };
  const q = (k: number) => input.quant[k] as number;
  for (const c of input.components) {
    const [bx, by] = componentBlocks(input, c);
    c.blocks = new Int16Array(bx * by * 64);
    for (let b = 0; b < bx * by; b++) {
      const dc = r(2001) - 1000;
      c.blocks[b * 64] = Math.trunc(dc / q(0));
      let budget = 2000 - Math.abs(dc);
      const terms = r(4) === 0 ? 20 : r(6);
      for (let t = 0; t < terms && budget > 0; t++) {
        const k = 1 + r(63);
        const v = r(8) === 0 ? r(budget + 1) : r(Math.min(budget, 100) + 1);
        c.blocks[b * 64 + k] = (r(2) ? 1 : -1) * Math.trunc(v / q(k));
        budget -= v;
      }
    }
  }
  return input;
}

/**
 * Coefficients far out of range, as corrupt streams decode to: quantization steps up to 255, DC-only blocks
 * with DC values up to ±16383, blocks with a few AC terms up to ±32767 and blocks full of them, next to blocks
 * as real images have them. Every 16-bit wrap and saturation of libjpeg-turbo's SIMD inverse DCT is reached.
 */
export function extremeInput(
  width: number,
  height: number,
  sampling: [number, number][],
  seed: number,
): JpegInput {
  const r = rng(seed);
  const big = () => (r(2) ? 1 : -1) * r(32768);
  const input: JpegInput = {
    width,
    height,
    components: sampling.map(([h, v]) => ({ h, v, blocks: new Int16Array(0) })),
    quant: Uint8Array.from({ length: 64 }, () => (r(3) === 0 ? 255 : 1 + r(255))),
    wide: true,
  };
  for (const c of input.components) {
    const [bx, by] = componentBlocks(input, c);
    c.blocks = new Int16Array(bx * by * 64);
    for (let b = 0; b < bx * by; b++) {
      const at = b * 64;
      const kind = r(4);
      c.blocks[at] = (r(2) ? 1 : -1) * r(kind === 3 ? 64 : 16384);
      if (kind === 1) for (let t = 1 + r(3); t > 0; t--) c.blocks[at + 1 + r(63)] = big();
      else if (kind === 2) for (let k = 1; k < 64; k++) c.blocks[at + k] = r(3) ? big() : 0;
      else if (kind === 3) for (let t = r(6); t > 0; t--) c.blocks[at + 1 + r(63)] = r(41) - 20;
    }
  }
  return input;
}
