// Minimal encoders for building test and hostile blocks: deflate (node:zlib), LZW (literal codes only, or as libtiff
// writes it) and PackBits.
import { deflateRawSync, deflateSync, constants as Z } from 'node:zlib';

export const deflate = (b: Uint8Array): Uint8Array => new Uint8Array(deflateSync(b));

/** Valid TIFF LZW that emits every byte as a 9-bit literal, with a Clear code every 200 bytes. */
export function lzwLiteral(b: Uint8Array): Uint8Array {
  const codes = [256];
  b.forEach((x, i) => {
    if (i > 0 && i % 200 === 0) codes.push(256);
    codes.push(x);
  });
  codes.push(257);
  const out = new Uint8Array(Math.ceil((codes.length * 9) / 8));
  let bit = 0;
  for (const c of codes) {
    for (let k = 8; k >= 0; k--, bit++) if ((c >> k) & 1) out[bit >> 3] |= 0x80 >> (bit & 7);
  }
  return out;
}

/**
 * TIFF 6 LZW as libtiff writes it: MSB-first codes, width grows one code early, Clear before the table fills.
 * With `clearWhenFull: false` the table fills and later codes add no entries (legal, rarely written).
 */
export function encodeLzw(data: Uint8Array, clearWhenFull = true): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  let width = 9;
  const emit = (code: number): void => {
    acc = ((acc << width) | code) >>> 0;
    bits += width;
    while (bits >= 8) {
      bits -= 8;
      out.push((acc >>> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  };
  let table = new Map<number, number>(); // prefix code * 256 + byte -> code
  let next = 258;
  emit(256);
  let w = -1;
  let sinceClear = 0; // codes written since the last Clear
  for (const byte of data) {
    if (w < 0) {
      w = byte;
      continue;
    }
    const hit = table.get(w * 256 + byte);
    if (hit !== undefined) {
      w = hit;
      continue;
    }
    emit(w);
    sinceClear++;
    if (next < 4096) table.set(w * 256 + byte, next++);
    // the decoder adds each entry one code later and widens one entry early: both at the same code as here
    if (next >= 1 << width && width < 12) width++;
    if (clearWhenFull && next >= 4094) {
      emit(256);
      table = new Map();
      next = 258;
      width = 9;
      sinceClear = 0;
    }
    w = byte;
  }
  if (w >= 0) {
    emit(w);
    // the decoder adds an entry on reading it (unless it follows Clear), then reads EOI at the width that follows
    if (sinceClear > 0 && next + 1 >= 1 << width && width < 12) width++;
  }
  emit(257);
  if (bits > 0) out.push((acc << (8 - bits)) & 0xff);
  return new Uint8Array(out);
}

/** PackBits with literal runs only. */
export function packBits(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 128) {
    const run = b.subarray(i, Math.min(i + 128, b.length));
    out.push(run.length - 1, ...run);
  }
  return Uint8Array.from(out);
}

/**
 * A zlib stream that inflates to `mib` MiB of zeros from about `mib` KiB: one fully flushed 1 MiB segment
 * repeated (each starts fresh, so copies chain), a final empty block, and the right Adler-32.
 */
export function deflateBomb(mib: number): Uint8Array {
  const seg = deflateRawSync(new Uint8Array(1 << 20), { finishFlush: Z.Z_FULL_FLUSH, level: 9 });
  const out = new Uint8Array(2 + seg.byteLength * mib + 2 + 4);
  out.set([0x78, 0xda]);
  for (let i = 0; i < mib; i++) out.set(seg, 2 + i * seg.byteLength);
  let p = 2 + seg.byteLength * mib;
  out.set([0x03, 0x00], p); // final, fixed-Huffman, empty block
  p += 2;
  // Adler-32 of n zeros: a = 1, b = n mod 65521.
  const b = (mib * 2 ** 20) % 65521;
  new DataView(out.buffer).setUint32(p, ((b << 16) | 1) >>> 0, false);
  return out;
}
