// A tiny little-endian classic-TIFF writer for hostile-input tests: every tag value and link is under the
// test's control, including ones no real writer would produce.

/** TIFF field types used here. */
export const BYTE = 1;
export const ASCII = 2;
export const SHORT = 3;
export const LONG = 4;
export const RATIONAL = 5;
export const SBYTE = 6;
export const UNDEFINED = 7;
export const SSHORT = 8;
export const SLONG = 9;
export const FLOAT = 11;
export const DOUBLE = 12;

/** Bytes of one value of `type`; RATIONAL values are given as numerator, denominator pairs of 4 bytes each. */
const sizeOf = (type: number) =>
  type === DOUBLE
    ? 8
    : type === SHORT || type === SSHORT
      ? 2
      : [BYTE, ASCII, SBYTE, UNDEFINED].includes(type)
        ? 1
        : 4;
/** The count a tag's entry declares for `n` values given (RATIONAL: pairs). */
const countOf = (type: number, n: number) => (type === RATIONAL ? n / 2 : n);

/** Write one value of `type` (given as a number; ASCII as its character code) at `at`. */
function writeValue(v: DataView, at: number, type: number, x: number): void {
  if (type === DOUBLE) v.setFloat64(at, x, true);
  else if (type === FLOAT) v.setFloat32(at, x, true);
  else if (type === SHORT) v.setUint16(at, x, true);
  else if (type === SSHORT) v.setInt16(at, x, true);
  else if (type === SLONG) v.setInt32(at, x, true);
  else if (type === SBYTE) v.setInt8(at, x);
  else if (sizeOf(type) === 1) v.setUint8(at, x);
  else v.setUint32(at, x, true);
}

/** A text as the character codes of an ASCII tag, with its NUL. */
export const asciiValues = (text: string): number[] => [...Array.from(text, (c) => c.charCodeAt(0)), 0];

export interface TinyIfd {
  width: number;
  height: number;
  bitsPerSample?: number;
  samplesPerPixel?: number;
  compression?: number;
  rowsPerStrip?: number;
  /** Strip payloads; StripOffsets/StripByteCounts are computed unless overridden in `tags` (none: tiled). */
  strips: Uint8Array[];
  /** Extra or replacing tags: tag → [type, values]. */
  tags?: Record<number, [number, number[]]>;
}

/**
 * Build a TIFF from IFD descriptions. `next(i, offsets)` gives IFD i's next-IFD offset (default: a plain
 * chain ending in 0), so loops and cycles can be written on purpose.
 */
export function tinyTiff(ifds: TinyIfd[], next?: (i: number, ifdOffsets: number[]) => number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let pos = 8;
  const stripOffsets: number[][] = [];
  for (const ifd of ifds) {
    const offs: number[] = [];
    for (const s of ifd.strips) {
      offs.push(pos);
      chunks.push(s);
      pos += s.byteLength + (s.byteLength & 1);
      if (s.byteLength & 1) chunks.push(new Uint8Array(1));
    }
    stripOffsets.push(offs);
  }
  // Lay out IFDs (entries sorted by tag) followed by their out-of-line values.
  const tables = ifds.map((ifd, i) => {
    const t: Record<number, [number, number[]]> = {
      256: [LONG, [ifd.width]],
      257: [LONG, [ifd.height]],
      258: [SHORT, Array(ifd.samplesPerPixel ?? 1).fill(ifd.bitsPerSample ?? 8)],
      259: [SHORT, [ifd.compression ?? 1]],
      262: [SHORT, [1]],
      273: [LONG, stripOffsets[i] as number[]],
      277: [SHORT, [ifd.samplesPerPixel ?? 1]],
      278: [LONG, [ifd.rowsPerStrip ?? ifd.height]],
      279: [LONG, ifd.strips.map((s) => s.byteLength)],
      284: [SHORT, [1]],
      ...ifd.tags,
    };
    // No strips: a tiled IFD, its Tile* tags come from `tags`.
    if (ifd.strips.length === 0) for (const tag of [273, 278, 279]) if (!ifd.tags?.[tag]) delete t[tag];
    return Object.entries(t)
      .map(([tag, [type, values]]) => ({ tag: Number(tag), type, values }))
      .sort((a, b) => a.tag - b.tag);
  });
  const ifdOffsets: number[] = [];
  let at = pos;
  for (const entries of tables) {
    ifdOffsets.push(at);
    const extra = entries.reduce((n, e) => {
      const bytes = e.values.length * sizeOf(e.type);
      return n + (bytes > 4 ? bytes + (bytes & 1) : 0);
    }, 0);
    at += 2 + entries.length * 12 + 4 + extra;
  }
  const out = new Uint8Array(at);
  const v = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  v.setUint32(4, ifdOffsets[0] ?? 0, true);
  let p = 8;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  tables.forEach((entries, i) => {
    const base = ifdOffsets[i] as number;
    v.setUint16(base, entries.length, true);
    let valuePos = base + 2 + entries.length * 12 + 4;
    entries.forEach((e, k) => {
      const q = base + 2 + 12 * k;
      const size = sizeOf(e.type);
      v.setUint16(q, e.tag, true);
      v.setUint16(q + 2, e.type, true);
      v.setUint32(q + 4, countOf(e.type, e.values.length), true);
      let target = q + 8;
      if (e.values.length * size > 4) {
        v.setUint32(q + 8, valuePos, true);
        target = valuePos;
        valuePos += e.values.length * size + ((e.values.length * size) & 1);
      }
      e.values.forEach((x, j) => {
        writeValue(v, target + size * j, e.type, x);
      });
    });
    const nextOffset = next ? next(i, ifdOffsets) : (ifdOffsets[i + 1] ?? 0);
    v.setUint32(base + 2 + entries.length * 12, nextOffset, true);
  });
  return out;
}

/**
 * A copy of a classic little-endian TIFF with IFD 0's entry for `tag` edited in place by `edit(view, at)`, `at`
 * being the entry's byte offset (tag, type, count, value/offset).
 */
export function patchTagEntry(
  bytes: Uint8Array,
  tag: number,
  edit: (v: DataView, at: number) => void,
): Uint8Array {
  const out = bytes.slice();
  const v = new DataView(out.buffer);
  const ifd = v.getUint32(4, true);
  const n = v.getUint16(ifd, true);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + 12 * i;
    if (v.getUint16(e, true) !== tag) continue;
    edit(v, e);
    return out;
  }
  throw new Error(`tag ${tag} not found`);
}

/** Set the count field (and keep the value offset) of `tag` in the first IFD of a classic LE TIFF. */
export function patchTagCount(
  bytes: Uint8Array,
  tag: number,
  count: number,
  valueOffset?: number,
): Uint8Array {
  return patchTagEntry(bytes, tag, (v, e) => {
    v.setUint32(e + 4, count, true);
    if (valueOffset !== undefined) v.setUint32(e + 8, valueOffset, true);
  });
}

/**
 * `bytes` (a classic little-endian TIFF) with the count of `tag` set to `count` (and its value offset to
 * `valueOffset`) in every IFD of the chain from index `from` on.
 */
export function patchCountInEveryIfd(
  bytes: Uint8Array,
  tag: number,
  count: number,
  from = 0,
  valueOffset?: number,
): Uint8Array {
  const out = bytes.slice();
  const v = new DataView(out.buffer);
  for (let ifd = v.getUint32(4, true), index = 0; ifd !== 0; index++) {
    const n = v.getUint16(ifd, true);
    for (let i = 0; i < n && index >= from; i++) {
      const e = ifd + 2 + 12 * i;
      if (v.getUint16(e, true) !== tag) continue;
      v.setUint32(e + 4, count, true);
      if (valueOffset !== undefined) v.setUint32(e + 8, valueOffset, true);
    }
    ifd = v.getUint32(ifd + 2 + 12 * n, true);
  }
  return out;
}
