import { RasterIoError } from '../errors.js';
import type { Codec } from './codec.js';

/**
 * PackBits (compression 32773) into at most `cap` bytes: a header byte n < 128 copies n + 1 literal bytes,
 * n > 128 repeats the next byte 257 − n times, 128 is a no-op.
 */
export function decodePackBits(input: Uint8Array, cap: number, file: string): Uint8Array {
  const out = new Uint8Array(cap);
  let pos = 0;
  let i = 0;
  const over = () =>
    new RasterIoError('CORRUPT_BLOCK', `${file}: PackBits block decodes to more than ${cap} bytes`);
  while (i < input.length) {
    const n = input[i++] as number;
    if (n < 128) {
      const len = n + 1;
      if (i + len > input.length) {
        throw new RasterIoError('CORRUPT_BLOCK', `${file}: PackBits literal run of ${len} bytes cut off`);
      }
      if (pos + len > cap) throw over();
      out.set(input.subarray(i, i + len), pos);
      pos += len;
      i += len;
    } else if (n > 128) {
      const len = 257 - n;
      if (i >= input.length) throw new RasterIoError('CORRUPT_BLOCK', `${file}: PackBits repeat run cut off`);
      if (pos + len > cap) throw over();
      out.fill(input[i++] as number, pos, pos + len);
      pos += len;
    }
  }
  return out.subarray(0, pos);
}

/** Compression 32773 (PackBits). */
export const packBitsCodec: Codec = {
  name: 'PackBits',
  decode: (block, info) => decodePackBits(block, info.maxBytes ?? info.expectedBytes, info.file),
};
