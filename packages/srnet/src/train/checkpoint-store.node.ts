// File-system checkpoint sink: `<dir>/last.safetensors` (periodic) and `<dir>/best.safetensors` (best validation),
// written atomically (temp + rename) with raster-io's writeFileAtomic.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileBounded, writeFileAtomic } from '@worldstrat/core/node';
import { SrnetError } from '../errors.js';
import { checkString } from '../internal/check-arguments.js';
import type { CheckpointSink } from './train.js';

/**
 * A {@link CheckpointSink} writing into `dir` (created if missing).
 *
 * @param dir - output folder
 * @returns the sink plus the paths it writes
 * @example await train(model, { …, checkpoint: { sink: fileCheckpointStore('ckpt'), every: 500 } });
 */
export function fileCheckpointStore(dir: string): CheckpointSink & { lastPath: string; bestPath: string } {
  checkString('fileCheckpointStore', 'dir', dir, 'BAD_CHECKPOINT');
  const lastPath = join(dir, 'last.safetensors');
  const bestPath = join(dir, 'best.safetensors');
  return {
    lastPath,
    bestPath,
    async save(bytes, info) {
      const path = info.kind === 'best' ? bestPath : lastPath;
      try {
        await mkdir(dir, { recursive: true });
        await writeFileAtomic(path, bytes);
      } catch (cause) {
        // a folder in the file's place, `dir` a file, a full disk: the atomic write left the old file as it was
        throw new SrnetError(
          'BAD_CHECKPOINT',
          `${path}: checkpoint write failed (${(cause as Error)?.message ?? String(cause)}); the previous file is unchanged`,
          { file: path, step: info.step },
          { cause },
        );
      }
    },
  };
}

/** Largest checkpoint read (Node's limit for one buffer read here; HighRes-net checkpoints are a few MB). */
const MAX_CHECKPOINT_BYTES = 2 ** 31 - 1;

/**
 * Read checkpoint bytes for `train({ resume })`: only a regular file of at most 2 GiB.
 *
 * @param path - the checkpoint file.
 * @returns its bytes (decode them with `decodeCheckpoint`).
 * @throws SrnetError `BAD_CHECKPOINT` naming the file when it is missing, not a regular file (a FIFO would
 *   block for ever), too large or unreadable; the system error is the `cause`.
 */
export async function readCheckpointFile(path: string): Promise<Uint8Array> {
  checkString('readCheckpointFile', 'path', path, 'BAD_CHECKPOINT');
  try {
    return new Uint8Array(
      await readFileBounded(path, { maxBytes: MAX_CHECKPOINT_BYTES, what: 'checkpoint' }),
    );
  } catch (cause) {
    throw new SrnetError('BAD_CHECKPOINT', (cause as Error).message, { file: path }, { cause });
  }
}
