// Chroma upsampling as libjpeg(-turbo) does it by default (jdsample.c, do_fancy_upsampling): triangular
// "fancy" filters for 2:1 horizontal, 2:1 vertical and 2×2 subsampling of components at least 3 samples wide,
// box replication otherwise. Rows above the first and below the last real row repeat the edge row, as libjpeg's
// context rows do; only the component's real samples (ceil(image size × factor)) are read.

interface Plane {
  h: number;
  v: number;
  blocksX: number;
  plane: Uint8Array;
}

interface FrameSize {
  width: number;
  height: number;
  hmax: number;
  vmax: number;
}

/** The component at full frame size (`width × height`, row-major). */
export function upsampleComponent(c: Plane, f: FrameSize): Uint8Array {
  const stride = c.blocksX * 8;
  const dw = Math.ceil((f.width * c.h) / f.hmax); // real samples per row
  const dh = Math.ceil((f.height * c.v) / f.vmax);
  const hx = f.hmax / c.h;
  const vx = f.vmax / c.v;
  const out = new Uint8Array(f.width * f.height);
  const row = (i: number): number => Math.min(Math.max(i, 0), dh - 1) * stride;
  const src = c.plane;
  if (hx === 1 && vx === 1) {
    for (let y = 0; y < f.height; y++) out.set(src.subarray(y * stride, y * stride + f.width), y * f.width);
    return out;
  }
  const wide = new Uint8Array(2 * dw + 2);
  for (let y = 0; y < f.height; y++) {
    const o = y * f.width;
    if (hx === 2 && vx === 1 && dw > 2) {
      h2v1Fancy(src, row(y), dw, wide);
      out.set(wide.subarray(0, f.width), o);
    } else if (hx === 2 && vx === 2 && dw > 2) {
      const near = row(y >> 1);
      const far = y & 1 ? row((y >> 1) + 1) : row((y >> 1) - 1);
      h2v2Fancy(src, near, far, dw, wide);
      out.set(wide.subarray(0, f.width), o);
    } else if (hx === 1 && vx === 2) {
      const near = row(y >> 1);
      const far = y & 1 ? row((y >> 1) + 1) : row((y >> 1) - 1);
      const bias = y & 1 ? 2 : 1;
      for (let x = 0; x < f.width; x++) {
        out[o + x] = ((src[near + x] as number) * 3 + (src[far + x] as number) + bias) >> 2;
      }
    } else {
      // box replication (int_upsample, h2v1_upsample, h2v2_upsample)
      const r = Math.floor(y / vx) * stride;
      for (let x = 0; x < f.width; x++) out[o + x] = src[r + Math.floor(x / hx)] as number;
    }
  }
  return out;
}

/** h2v1_fancy_upsample: each sample becomes two, 3/4 nearer + 1/4 further, rounding alternately down and up. */
function h2v1Fancy(src: Uint8Array, r: number, dw: number, out: Uint8Array): void {
  let inv = src[r] as number;
  out[0] = inv;
  out[1] = (inv * 3 + (src[r + 1] as number) + 2) >> 2;
  let o = 2;
  for (let i = 1; i < dw - 1; i++) {
    inv = (src[r + i] as number) * 3;
    out[o++] = (inv + (src[r + i - 1] as number) + 1) >> 2;
    out[o++] = (inv + (src[r + i + 1] as number) + 2) >> 2;
  }
  inv = src[r + dw - 1] as number;
  out[o++] = (inv * 3 + (src[r + dw - 2] as number) + 1) >> 2;
  out[o] = inv;
}

/** h2v2_fancy_upsample for one output row: column sums of 3 × nearer row + further row, then as h2v1. */
function h2v2Fancy(src: Uint8Array, near: number, far: number, dw: number, out: Uint8Array): void {
  let thiscol = (src[near] as number) * 3 + (src[far] as number);
  let nextcol = (src[near + 1] as number) * 3 + (src[far + 1] as number);
  out[0] = (thiscol * 4 + 8) >> 4;
  out[1] = (thiscol * 3 + nextcol + 7) >> 4;
  let lastcol = thiscol;
  thiscol = nextcol;
  let o = 2;
  for (let i = 2; i < dw; i++) {
    nextcol = (src[near + i] as number) * 3 + (src[far + i] as number);
    out[o++] = (thiscol * 3 + lastcol + 8) >> 4;
    out[o++] = (thiscol * 3 + nextcol + 7) >> 4;
    lastcol = thiscol;
    thiscol = nextcol;
  }
  out[o++] = (thiscol * 3 + lastcol + 8) >> 4;
  out[o] = (thiscol * 4 + 7) >> 4;
}
