// File-system checkpoint sink: `<dir>/last.safetensors` (periodic) and `<dir>/best.safetensors` (best validation),
// written atomically (temp + rename) with raster-io's writeFileAtomic.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@worldstrat/core/node';
import type { CheckpointSink } from './train.js';

/**
 * A {@link CheckpointSink} writing into `dir` (created if missing).
 *
 * @param dir - output folder
 * @returns the sink plus the paths it writes
 * @example await train(model, { …, checkpoint: { sink: fileCheckpointStore('ckpt'), every: 500 } });
 */
export function fileCheckpointStore(dir: string): CheckpointSink & { lastPath: string; bestPath: string } {
  const lastPath = join(dir, 'last.safetensors');
  const bestPath = join(dir, 'best.safetensors');
  return {
    lastPath,
    bestPath,
    async save(bytes, info) {
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(info.kind === 'best' ? bestPath : lastPath, bytes);
    },
  };
}

/** Read checkpoint bytes for `train({ resume })`. */
export async function readCheckpointFile(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}
