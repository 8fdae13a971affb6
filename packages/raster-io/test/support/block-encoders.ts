// Minimal encoders for building hostile strips: deflate (node:zlib), LZW (literal codes only) and PackBits.
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
