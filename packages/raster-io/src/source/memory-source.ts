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
  // By tag, not instanceof, so bytes from another realm (a vm context, jsdom, an iframe) are taken too; a number
  // would make a zero-filled "file" of that length, and other views would be read as their values.
  const tag = Object.prototype.toString.call(bytes);
  const view = ArrayBuffer.isView(bytes) && (tag === '[object Uint8Array]' || bytes instanceof Uint8Array);
  if (!view && tag !== '[object ArrayBuffer]' && tag !== '[object SharedArrayBuffer]')
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `memorySource: bytes must be a Uint8Array or an ArrayBuffer, got ${describeValue(bytes)}`,
    );
  // A plain Uint8Array view (a Node Buffer's slice() would not copy).
  const data = view
    ? new Uint8Array(
        (bytes as Uint8Array).buffer,
        (bytes as Uint8Array).byteOffset,
        (bytes as Uint8Array).byteLength,
      )
    : new Uint8Array(bytes as ArrayBuffer);
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
