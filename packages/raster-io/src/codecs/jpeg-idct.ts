// libjpeg's "islow" inverse DCT (jidctint.c, the default of libjpeg and libjpeg-turbo): 13-bit fixed-point
// constants and two passes, with the 16-bit lanes of libjpeg-turbo's x86-64 SSE2/AVX2 versions (what GDAL runs):
// - dequantized coefficients keep the low 16 bits of the product (pmullw wraps);
// - the sums taken before the multiplies (in0 ± in4, in7 + in3, in5 + in1) wrap to 16 bits (paddw);
// - each pass's results are saturated to 16 bits (packssdw), the output to 0..255 (packsswb);
// - a block whose rows 1–7 are all zero skips the first pass: every column is its row-0 coefficient times 4,
//   shifted in 16 bits (psllw wraps) where the full pass would saturate.
// Real images never reach those limits (the C version, which wraps far-out values through a table instead, agrees
// up to ±512), but corrupt streams do, and then this is what GDAL returns.

const CONST_BITS = 13;
const PASS1_BITS = 2;
const F_0_298 = 2446;
const F_0_390 = 3196;
const F_0_541 = 4433;
const F_0_765 = 6270;
const F_0_899 = 7373;
const F_1_175 = 9633;
const F_1_501 = 12299;
const F_1_847 = 15137;
const F_1_961 = 16069;
const F_2_053 = 16819;
const F_2_562 = 20995;
const F_3_072 = 25172;

const R1 = 1 << (CONST_BITS - PASS1_BITS - 1);
const S1 = CONST_BITS - PASS1_BITS;
const R2 = 1 << (CONST_BITS + PASS1_BITS + 3 - 1);
const S2 = CONST_BITS + PASS1_BITS + 3;
const sat16 = (v: number): number => (v < -32768 ? -32768 : v > 32767 ? 32767 : v);
const wrap16 = (v: number): number => (v << 16) >> 16;
/** DESCALE (round, arithmetic shift right) of the first pass, saturated to 16 bits. */
const descale1 = (x: number): number => sat16((x + R1) >> S1);
/** The second pass's DESCALE, level-shifted and saturated to a sample. */
const sample = (x: number): number => {
  const v = ((x + R2) >> S2) + 128;
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

const work = new Int32Array(64);

/** A coefficient times its quantization step, wrapped to 16 bits as the SIMD multiply (pmullw) does. */
const dq = (v: number, q: Int32Array, k: number): number => wrap16(Math.imul(v, q[k] as number));

/**
 * Inverse-transform one block of quantized coefficients (natural order) with its quantization table (natural
 * order) into 8×8 samples of `out` starting at `at`, `stride` bytes per row.
 */
export function idctIslow(
  coefs: Int32Array,
  quant: Int32Array,
  out: Uint8Array,
  at: number,
  stride: number,
): void {
  if (acAllZero(coefs)) {
    for (let c = 0; c < 8; c++) {
      const dc = wrap16(dq(coefs[c] as number, quant, c) << PASS1_BITS);
      for (let k = 0; k < 64; k += 8) work[c + k] = dc;
    }
  } else for (let c = 0; c < 8; c++) columnPass(coefs, quant, c);
  for (let r = 0; r < 8; r++) rowPass(out, at + r * stride, r * 8);
}

/** Whether rows 1–7 of the block are zero (the SIMD code's test for its DC-only first pass). */
function acAllZero(coefs: Int32Array): boolean {
  for (let k = 8; k < 64; k++) if (coefs[k] !== 0) return false;
  return true;
}

function columnPass(inp: Int32Array, q: Int32Array, c: number): void {
  const i1 = inp[c + 8] as number;
  const i2 = inp[c + 16] as number;
  const i3 = inp[c + 24] as number;
  const i4 = inp[c + 32] as number;
  const i5 = inp[c + 40] as number;
  const i6 = inp[c + 48] as number;
  const i7 = inp[c + 56] as number;
  const d0 = dq(inp[c] as number, q, c);
  if ((i1 | i2 | i3 | i4 | i5 | i6 | i7) === 0) {
    const dc = sat16(d0 * 4); // what the full pass gives a column without AC terms
    for (let k = 0; k < 64; k += 8) work[c + k] = dc;
    return;
  }
  // even part
  let z2 = dq(i2, q, c + 16);
  let z3 = dq(i6, q, c + 48);
  let z1 = (z2 + z3) * F_0_541;
  let tmp2 = z1 - z3 * F_1_847;
  let tmp3 = z1 + z2 * F_0_765;
  z2 = d0;
  z3 = dq(i4, q, c + 32);
  let tmp0 = wrap16(z2 + z3) * 8192;
  let tmp1 = wrap16(z2 - z3) * 8192;
  const tmp10 = tmp0 + tmp3;
  const tmp13 = tmp0 - tmp3;
  const tmp11 = tmp1 + tmp2;
  const tmp12 = tmp1 - tmp2;
  // odd part
  tmp0 = dq(i7, q, c + 56);
  tmp1 = dq(i5, q, c + 40);
  tmp2 = dq(i3, q, c + 24);
  tmp3 = dq(i1, q, c + 8);
  z1 = tmp0 + tmp3;
  z2 = tmp1 + tmp2;
  z3 = wrap16(tmp0 + tmp2);
  let z4 = wrap16(tmp1 + tmp3);
  const z5 = (z3 + z4) * F_1_175;
  tmp0 *= F_0_298;
  tmp1 *= F_2_053;
  tmp2 *= F_3_072;
  tmp3 *= F_1_501;
  z1 *= -F_0_899;
  z2 *= -F_2_562;
  z3 = z3 * -F_1_961 + z5;
  z4 = z4 * -F_0_390 + z5;
  tmp0 += z1 + z3;
  tmp1 += z2 + z4;
  tmp2 += z2 + z3;
  tmp3 += z1 + z4;
  work[c] = descale1(tmp10 + tmp3);
  work[c + 56] = descale1(tmp10 - tmp3);
  work[c + 8] = descale1(tmp11 + tmp2);
  work[c + 48] = descale1(tmp11 - tmp2);
  work[c + 16] = descale1(tmp12 + tmp1);
  work[c + 40] = descale1(tmp12 - tmp1);
  work[c + 24] = descale1(tmp13 + tmp0);
  work[c + 32] = descale1(tmp13 - tmp0);
}

function rowPass(out: Uint8Array, o: number, w: number): void {
  // even part
  let z2 = work[w + 2] as number;
  let z3 = work[w + 6] as number;
  let z1 = (z2 + z3) * F_0_541;
  let tmp2 = z1 - z3 * F_1_847;
  let tmp3 = z1 + z2 * F_0_765;
  const w0 = work[w] as number;
  const w4 = work[w + 4] as number;
  let tmp0 = wrap16(w0 + w4) * 8192;
  let tmp1 = wrap16(w0 - w4) * 8192;
  const tmp10 = tmp0 + tmp3;
  const tmp13 = tmp0 - tmp3;
  const tmp11 = tmp1 + tmp2;
  const tmp12 = tmp1 - tmp2;
  // odd part
  tmp0 = work[w + 7] as number;
  tmp1 = work[w + 5] as number;
  tmp2 = work[w + 3] as number;
  tmp3 = work[w + 1] as number;
  z1 = tmp0 + tmp3;
  z2 = tmp1 + tmp2;
  z3 = wrap16(tmp0 + tmp2);
  let z4 = wrap16(tmp1 + tmp3);
  const z5 = (z3 + z4) * F_1_175;
  tmp0 *= F_0_298;
  tmp1 *= F_2_053;
  tmp2 *= F_3_072;
  tmp3 *= F_1_501;
  z1 *= -F_0_899;
  z2 *= -F_2_562;
  z3 = z3 * -F_1_961 + z5;
  z4 = z4 * -F_0_390 + z5;
  tmp0 += z1 + z3;
  tmp1 += z2 + z4;
  tmp2 += z2 + z3;
  tmp3 += z1 + z4;
  out[o] = sample(tmp10 + tmp3);
  out[o + 7] = sample(tmp10 - tmp3);
  out[o + 1] = sample(tmp11 + tmp2);
  out[o + 6] = sample(tmp11 - tmp2);
  out[o + 2] = sample(tmp12 + tmp1);
  out[o + 5] = sample(tmp12 - tmp1);
  out[o + 3] = sample(tmp13 + tmp0);
  out[o + 4] = sample(tmp13 - tmp0);
}
