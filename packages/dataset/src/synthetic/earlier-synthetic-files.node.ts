// What `generateSyntheticDataset({ overwrite: true })` removes before it writes: the files an earlier synthetic
// run wrote, and nothing else. Its AOIs are named `Synthetic-<k>` (no release AOI is), and inside their folders
// it writes the release's names only; other files (a user's notes) stay. Without this, an earlier run with more
// revisits, more AOIs or L1C left its files beside the new ones: a dataset mixing two generations.
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError } from '../errors.js';
import { HR_DIR, LR_DIR, type LrLevel } from '../layout.js';

/** The folder names the generator gives its AOIs. */
const SYNTHETIC_AOI = /^Synthetic-[1-9][0-9]*$/;
const LEVELS: readonly LrLevel[] = ['L2A', 'L1C'];

/**
 * Remove the files of earlier synthetic runs from `root`, and their folders once empty.
 *
 * @param root - the dataset folder being overwritten.
 * @throws {DatasetError} `WRITE_FAILED` naming a file that cannot be removed.
 */
export async function removeEarlierSyntheticFiles(root: string): Promise<void> {
  for (const aoi of await syntheticAois(join(root, HR_DIR))) {
    const dir = join(root, HR_DIR, aoi);
    await removeFiles(
      dir,
      (f) => f === `${aoi}_ps.tiff` || f === `${aoi}_pan.tiff` || f === `${aoi}_rgbn.tiff`,
    );
    await removeIfEmpty(dir);
  }
  for (const aoi of await syntheticAois(join(root, LR_DIR))) {
    for (const level of LEVELS) {
      const dir = join(root, LR_DIR, aoi, level);
      const revisitFile = new RegExp(`^${aoi}-[1-9][0-9]*(-${level}_data\\.tiff|-CLM\\.tiff|\\.metadata)$`);
      await removeFiles(dir, (f) => revisitFile.test(f));
      await removeIfEmpty(dir);
    }
    await removeIfEmpty(join(root, LR_DIR, aoi));
  }
}

/** The synthetic AOI folders in `dir` (none when it does not exist). */
async function syntheticAois(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => SYNTHETIC_AOI.test(n));
}

/** Remove the regular files of `dir` that `ours` picks (symbolic links and folders are never followed). */
async function removeFiles(dir: string, ours: (name: string) => boolean): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!ours(name)) continue;
    const path = join(dir, name);
    const st = await lstat(path).catch(() => null);
    if (!st?.isFile()) continue;
    await rm(path).catch((e: unknown) => {
      throw new DatasetError(
        'WRITE_FAILED',
        `${path}: cannot remove the earlier synthetic dataset's file before overwriting (${(e as Error).message})`,
        { cause: e },
      );
    });
  }
}

/** `rmdir` only succeeds on an empty folder: one holding anything else stays as it is. */
async function removeIfEmpty(dir: string): Promise<void> {
  await rmdir(dir).catch(() => undefined);
}
