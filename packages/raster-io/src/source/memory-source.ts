import { RasterIoError } from '../errors.js';
import { checkRange, throwIfAborted } from '../internal/assert.js';
import { checkString, describeValue } from '../internal/check-args.js';
import type { ByteSource } from './byte-source.js';

/**
 * A {@link ByteSource} over bytes already in memory (reads are zero-copy views).
 *
 * @param bytes - the file contents
 * @param name - a label for error messages (default `"memory"`)
 * @returns a source whose `size` is `bytes.byteLength`
 * @throws RasterIoError `INVALID_ARGUMENT` when `bytes` is not a Uint8Array or (Shared)ArrayBuffer, or `name` no string
 * @example
 * ```ts
 * const tiff = await openGeoTiff(memorySource(new Uint8Array(await (await fetch(url)).arrayBuffer()), url));
 * ```
 */
export function memorySource(
  bytes: Uint8Array | ArrayBuffer | SharedArrayBuffer,
  name = 'memory',
): ByteSource {
  checkString('memorySource', 'name', name);
  // a number would make a zero-filled "file" of that length, and other views would be read as their bytes
  const buffer = bytes instanceof ArrayBuffer || isSharedBuffer(bytes);
  if (!(bytes instanceof Uint8Array) && !buffer)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `memorySource: bytes must be a Uint8Array or an ArrayBuffer, got ${describeValue(bytes)}`,
    );
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

const isSharedBuffer = (v: unknown): v is SharedArrayBuffer =>
  typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer;
