// Output paths must never name a file the run reads: every write is an atomic rename, so an `--out` equal to an
// input (a revisit, the weights, a points table) would silently replace it. Paths are compared as the file
// system sees them: symlinks and `a/../b` resolved (realpath), and existing files also by device + inode, so a
// hard link to an input counts too.
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { WorldStratError } from '../errors.js';
import { checkString } from './check-arguments.js';

/** A path and what it is, for messages (`--out`, `revisit input`, `weights`). */
export interface NamedPath {
  path: string;
  what: string;
}

/** Where a path leads: its resolved location, and the file's device:inode when it exists. */
interface Resolved extends NamedPath {
  real: string;
  inode?: string;
}

/** URLs are read over the network, never written: nothing to compare. */
const isUrl = (p: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(p);

/** The path with symlinks and `..` resolved as the OS would; a missing tail goes onto its resolved parent. */
async function physicalPath(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    const parent = dirname(p);
    if (parent === p) return resolve(p);
    return join(await physicalPath(parent), basename(p));
  }
}

async function resolvePath(n: NamedPath): Promise<Resolved> {
  const real = await physicalPath(n.path);
  const s = await stat(n.path).catch(() => undefined);
  return { ...n, real, ...(s ? { inode: `${s.dev}:${s.ino}` } : {}) };
}

const sameFile = (a: Resolved, b: Resolved): boolean =>
  a.real === b.real || (a.inode !== undefined && a.inode === b.inode);

function clash(out: Resolved, other: Resolved, isOutput: boolean): WorldStratError {
  const how = out.real === other.real ? '' : ' (a hard link to the same file)';
  return new WorldStratError(
    'INVALID_ARGUMENT',
    isOutput
      ? `${out.what} ${out.path} and ${other.what} ${other.path} are the same file${how}; give each output its own path`
      : `${out.what} ${out.path} is the ${other.what} ${other.path}${how}: writing it would replace that input; use another output path or move the input`,
  );
}

/**
 * Refuse outputs that are one of the inputs, or each other, and inputs lying inside a folder the run fills.
 * Missing inputs and URLs are fine here (their readers report them).
 *
 * @param outputs - files the run writes.
 * @param inputs - files the run reads.
 * @param outputDirs - folders whose contents the run (re)writes (e.g. a dataset's `lr_dataset/`).
 * @throws {WorldStratError} `INVALID_ARGUMENT` naming both paths.
 * @example
 * ```ts
 * await checkOutputPaths([{ path: 'sr.tif', what: '--out' }], [{ path: 'w.safetensors', what: 'weights' }]);
 * ```
 */
export async function checkOutputPaths(
  outputs: readonly NamedPath[],
  inputs: readonly NamedPath[],
  outputDirs: readonly NamedPath[] = [],
): Promise<void> {
  for (const n of [...outputs, ...inputs, ...outputDirs]) checkString('checkOutputPaths', n.what, n.path);
  const local = (list: readonly NamedPath[]) =>
    Promise.all(list.filter((n) => !isUrl(n.path)).map(resolvePath));
  const [outs, ins, dirs] = await Promise.all([local(outputs), local(inputs), local(outputDirs)]);
  for (const [i, out] of outs.entries()) {
    for (const other of outs.slice(0, i)) if (sameFile(out, other)) throw clash(out, other, true);
    for (const input of ins) if (sameFile(out, input)) throw clash(out, input, false);
  }
  for (const dir of dirs)
    for (const input of ins) if (isInside(input.real, dir.real)) throw insideError(input, dir);
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel));
}

function insideError(input: Resolved, dir: Resolved): WorldStratError {
  return new WorldStratError(
    'INVALID_ARGUMENT',
    `${input.what} ${input.path} lies inside ${dir.what} ${dir.path}, which this run writes into; move it out first`,
  );
}
