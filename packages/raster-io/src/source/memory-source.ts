import { checkRange, throwIfAborted } from '../internal/assert.js';
import type { ByteSource } from './byte-source.js';

/**
 * A {@link ByteSource} over bytes already in memory (reads are zero-copy views).
 *
 * @param bytes - the file contents
 * @param name - a label for error messages (default `"memory"`)
 * @returns a source whose `size` is `bytes.byteLength`
 * @example
 * ```ts
 * const tiff = await openGeoTiff(memorySource(new Uint8Array(await (await fetch(url)).arrayBuffer()), url));
 * ```
 */
export function memorySource(bytes: Uint8Array | ArrayBuffer, name = 'memory'): ByteSource {
  // A plain Uint8Array view (a Node Buffer's slice() would not copy).
  const data =
    bytes instanceof Uint8Array
      ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      : new Uint8Array(bytes);
  return {
    name,
    size: data.byteLength,
    async read(offset, length, signal) {
      checkRange(name, offset, length);
      throwIfAborted(signal, name);
      const start = Math.min(offset, data.byteLength);
      return data.subarray(start, Math.min(start + length, data.byteLength));
    },
  };
}
