// Samples stored narrower than the dtype they are read into: packed unsigned integers (GDAL's NBITS) and float16.
// Both become native-order samples of the output dtype, then go through the ordinary placement.

/** What unpacking needs of a block's geometry. */
interface PackedGeometry {
  bw: number;
  spp: number;
  /** Output bytes per sample (1, 2 or 4). */
  bps: number;
  nbits?: number;
}

/** Bytes of one stored row of packed samples (rows start on a byte). */
export function packedRowBytes(g: PackedGeometry): number {
  return Math.ceil((g.bw * g.spp * (g.nbits as number)) / 8);
}

/**
 * Packed samples (MSB-first bit stream, each row starting on a byte, as libtiff and GDAL store NBITS) → the
 * bytes of `rows` rows of the dtype's samples in this machine's byte order.
 */
export function unpackRows(data: Uint8Array, g: PackedGeometry, rows: number): Uint8Array {
  const n = g.bw * g.spp;
  const nbits = g.nbits as number;
  const stride = packedRowBytes(g);
  const out =
    g.bps === 1
      ? new Uint8Array(n * rows)
      : g.bps === 2
        ? new Uint16Array(n * rows)
        : new Uint32Array(n * rows);
  for (let r = 0; r < rows; r++) {
    if (nbits === 1) unpack1(data, r * stride, out, r * n, n);
    else unpackBitsRow(data, r * stride, out, r * n, n, nbits);
  }
  return new Uint8Array(out.buffer);
}

function unpack1(
  src: Uint8Array,
  s: number,
  out: Uint8Array | Uint16Array | Uint32Array,
  o: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) out[o + i] = ((src[s + (i >> 3)] as number) >> (7 - (i & 7))) & 1;
}

/** n samples of `nbits` bits (2–31) read MSB-first from byte `s` into `out` from `o`. */
function unpackBitsRow(
  src: Uint8Array,
  s: number,
  out: Uint8Array | Uint16Array | Uint32Array,
  o: number,
  n: number,
  nbits: number,
): void {
  let acc = 0; // the current byte, of which the low `have` bits are unread
  let have = 0;
  let p = s;
  const mask = nbits === 31 ? 0x7fffffff : (1 << nbits) - 1;
  for (let i = 0; i < n; i++) {
    let v = 0;
    let need = nbits;
    while (need > 0) {
      if (have === 0) {
        acc = src[p++] as number;
        have = 8;
      }
      const take = need < have ? need : have;
      v = v * (1 << take) + ((acc >>> (have - take)) & ((1 << take) - 1));
      have -= take;
      need -= take;
    }
    out[o + i] = v & mask;
  }
}

/** Float32 bit patterns of every float16 value, as GDAL's CPLHalfToFloat builds them (NaN payloads kept). */
let halfTable: Uint32Array | undefined;

function halfBits(h: number): number {
  const sign = (h >>> 15) << 31;
  let exp = (h >>> 10) & 31;
  let man = h & 1023;
  if (exp === 0) {
    if (man === 0) return sign >>> 0;
    while (!(man & 0x400)) {
      man <<= 1;
      exp--;
    }
    exp++;
    man &= ~0x400;
  } else if (exp === 31) return (sign | 0x7f800000 | (man << 13)) >>> 0;
  return (sign | ((exp + 112) << 23) | (man << 13)) >>> 0;
}

/** Native-order float16 samples → the bytes of the same samples as float32 (native order). */
export function halfToFloat32(bytes: Uint8Array): Uint8Array {
  if (!halfTable) {
    halfTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfBits(h);
  }
  const table = halfTable;
  const n = bytes.byteLength >> 1;
  const half =
    bytes.byteOffset % 2 === 0
      ? new Uint16Array(bytes.buffer, bytes.byteOffset, n)
      : new Uint16Array(bytes.slice().buffer);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = table[half[i] as number] as number;
  return new Uint8Array(out.buffer);
}

/**
 * Float24 samples (little-endian triples: 1 sign, 7 exponent, 16 mantissa bits, bias 63) → float32 bytes in this
 * machine's order, bit for bit as GDAL's `CPLTripleToFloat` widens them (denormals renormalised, NaN payloads kept).
 */
export function tripleToFloat32(bytes: Uint8Array): Uint8Array {
  const n = Math.floor(bytes.byteLength / 3);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const t =
      (bytes[3 * i] as number) | ((bytes[3 * i + 1] as number) << 8) | ((bytes[3 * i + 2] as number) << 16);
    out[i] = tripleBits(t);
  }
  return new Uint8Array(out.buffer);
}

function tripleBits(t: number): number {
  const sign = ((t >>> 23) & 1) << 31;
  let exponent = (t >>> 16) & 0x7f;
  let mantissa = t & 0xffff;
  if (exponent === 0) {
    if (mantissa === 0) return sign >>> 0;
    while (!(mantissa & 0x10000)) {
      mantissa <<= 1;
      exponent -= 1;
    }
    exponent += 1;
    mantissa &= ~0x10000;
  } else if (exponent === 127) {
    return (sign | 0x7f800000 | (mantissa << 7)) >>> 0;
  }
  return (sign | ((exponent + 64) << 23) | (mantissa << 7)) >>> 0;
}
