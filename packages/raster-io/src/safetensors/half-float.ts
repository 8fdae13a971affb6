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
 * the number itself as NumPy does (going through float32 first rounded some float64 values twice, 1 ulp off).
 */
export function floatToHalf(value: number): number {
  f32[0] = value;
  // a float32 value (all of a Float32Array) rounds once from its bits
  if (f32[0] === value || Number.isNaN(value)) return halfOfFloat32Bits(u32[0] as number);
  return narrow(value, 10, 5);
}

/** binary16 bits of float32 bits, rounded to nearest even (NaN stays a quiet NaN). */
function halfOfFloat32Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && m & 1)) m += 1;
    return sign | m;
  }
  const rest = mant & 0x1fff;
  mant >>>= 13;
  if (rest > 0x1000 || (rest === 0x1000 && mant & 1)) {
    mant += 1;
    if (mant === 0x400) {
      mant = 0;
      e += 1;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | mant;
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
  // a float32 value rounds once from its bits
  if (f32[0] === value) return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
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
