// Bounded raw-deflate inflation and CRC-32 for zip entries, browser-safe (the platform's DecompressionStream):
// output beyond the declared size stops the stream at once, so a deflate bomb costs at most one chunk.
import { DatasetError } from '../../errors.js';

let table: Uint32Array | undefined;

/**
 * CRC-32 (IEEE, the zip checksum) of some bytes.
 *
 * @param bytes - data.
 * @param crc - running value from a previous call (default: start).
 * @returns the unsigned checksum.
 * @example
 * ```ts
 * crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 * ```
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.byteLength; i++)
    c = (table[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * Inflate a raw deflate stream whose output must be exactly `expected` bytes.
 *
 * @param compressed - the entry's data.
 * @param expected - uncompressed size from the central directory.
 * @param what - `<zip>: entry <name>` for messages.
 * @returns the inflated bytes.
 * @throws {DatasetError} `CORRUPT_ZIP` for a bad stream, output past `expected` (bomb) or short output.
 */
export async function inflateRawExact(
  compressed: Uint8Array,
  expected: number,
  what: string,
): Promise<Uint8Array> {
  const out = new Uint8Array(expected);
  let filled = 0;
  const ds = new DecompressionStream('deflate-raw');
  const writer = ds.writable.getWriter();
  // The writer's promises reject too when the stream fails; the reader below reports the failure.
  writer.write(compressed as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = ds.readable.getReader();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      if (filled + r.value.byteLength > expected) {
        throw new DatasetError(
          'CORRUPT_ZIP',
          `${what} inflates past its declared ${expected} bytes (a deflate bomb or a corrupt directory)`,
        );
      }
      out.set(r.value, filled);
      filled += r.value.byteLength;
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    if (e instanceof DatasetError) throw e;
    throw new DatasetError('CORRUPT_ZIP', `${what}: bad deflate data (${(e as Error).message})`, {
      cause: e,
    });
  }
  if (filled !== expected)
    throw new DatasetError('CORRUPT_ZIP', `${what} inflates to ${filled} bytes, ${expected} declared`);
  return out;
}
