// Node file helpers for safetensors (atomic writes: temp file + rename).
import { constants } from 'node:buffer';
import { readFileBounded } from '@worldstrat/core/node';
import { checkOptions, checkString } from '../internal/check-args.js';
import { writeFileAtomic } from '../write/write-file-atomic.node.js';
import { encodeSafetensors, type SafetensorsInput } from './encode-safetensors.js';
import { type ReadSafetensorsOptions, readSafetensors } from './read-safetensors.js';
import type { SafetensorsFile } from './safetensors-types.js';

/**
 * Reads and parses a safetensors file from disk.
 *
 * @param path - file path.
 * @param options - `only` to decode a subset of tensors.
 * @returns tensors and metadata, as {@link readSafetensors}.
 * @throws RasterIoError `INVALID_SAFETENSORS` naming the path, `INVALID_ARGUMENT` for a path that is not a string;
 *   CoreError `FILE_NOT_FOUND` when the file is missing, `UNREADABLE_FILE` for a folder, FIFO or device (never blocks).
 * @example
 * const { tensors } = await readSafetensorsFile('weights.safetensors');
 */
export async function readSafetensorsFile(
  path: string,
  options: Omit<ReadSafetensorsOptions, 'name'> = {},
): Promise<SafetensorsFile> {
  checkString('readSafetensorsFile', 'path', path);
  checkOptions('readSafetensorsFile', options);
  const bytes = await readFileBounded(path, { maxBytes: constants.MAX_LENGTH, what: 'safetensors' });
  return readSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    ...options,
    name: path,
  });
}

/**
 * Encodes tensors and writes them atomically with `writeFileAtomic` (temporary file in the same folder,
 * fsync, rename; missing parent folders are created).
 *
 * @param path - destination path.
 * @param tensors - tensors by name (see {@link encodeSafetensors}).
 * @param metadata - optional string metadata.
 * @throws RasterIoError `INVALID_SAFETENSORS` for bad tensors, `WRITE_FAILED` when the write fails.
 * @example
 * await writeSafetensorsFile('out.safetensors', { w: { shape: [3], data: new Float32Array(3) } });
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, SafetensorsInput>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
