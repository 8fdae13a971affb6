// IEEE 754 binary16 and bfloat16 <-> float32 conversions (round to nearest even when narrowing).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Widens one IEEE binary16 bit pattern to a number (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Narrows a number to the nearest IEEE binary16 bit pattern (ties to even, overflow to ±Inf), rounded once from
 * the number itself as NumPy does: going through float32 first rounded some float64 values twice, 1 ulp off.
 */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  if (Number.isNaN(value)) return ((x >>> 16) & 0x8000) | 0x7e00 | ((x >>> 13) & 0x3ff); // quiet, sign kept
  return narrow(value, 10, 5);
}

/** Widens one bfloat16 bit pattern to a number (exact). */
export function bfloat16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0] as number;
}

/** Narrows a number to the nearest bfloat16 bit pattern (ties to even, rounded once; NaN stays NaN). */
export function floatToBfloat16(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  if (Number.isNaN(value)) return ((x >>> 16) | 0x40) & 0xffff;
  return narrow(value, 7, 8);
}

/**
 * The bits of a non-NaN number rounded to nearest, ties to even, in a binary format of `fractionBits` and
 * `exponentBits` (IEEE layout: sign, biased exponent, fraction; subnormals; overflow to ±Inf). Scaling by powers
 * of two is exact in float64, so the one rounding is `roundHalfEven` of an exact quotient.
 */
function narrow(value: number, fractionBits: number, exponentBits: number): number {
  const sign = value < 0 || Object.is(value, -0) ? 2 ** (fractionBits + exponentBits) : 0;
  const bias = 2 ** (exponentBits - 1) - 1;
  const infinity = (2 ** exponentBits - 1) * 2 ** fractionBits;
  const a = Math.abs(value);
  if (a === Number.POSITIVE_INFINITY) return sign + infinity;
  const unit = 2 ** fractionBits;
  if (a < 2 ** (1 - bias)) return sign + roundHalfEven(a / 2 ** (1 - bias - fractionBits)); // subnormal (or the least normal)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  let f = roundHalfEven(a / 2 ** (e - fractionBits)); // in [unit, 2·unit]
  if (f === 2 * unit) {
    f = unit;
    e += 1;
  }
  if (e > bias) return sign + infinity;
  return sign + (e + bias) * unit + (f - unit);
}

function roundHalfEven(q: number): number {
  const n = Math.floor(q);
  const rest = q - n;
  return rest > 0.5 || (rest === 0.5 && n % 2 === 1) ? n + 1 : n;
}
