// Output folders the packages create: a failed mkdir (read-only disk, no permission, a file in the way) becomes
// the caller's typed error naming the folder and the reason, not a raw ENOENT/EACCES/ENOTDIR from deep in a run.
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeValue } from '../describe-value.js';
import { checkFunction, checkString } from '../internal/check-arguments.js';

/** The closest folder above `path` that exists. */
function existingAncestor(path: string): string {
  let p = dirname(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/**
 * Why a folder could not be created, from the system error's code. Node's recursive mkdir reports ENOENT when the
 * folder above is read-only; that folder is then named.
 */
function reason(code: string | undefined, path: string): string {
  if (code === 'ENOENT') {
    const above = existingAncestor(path);
    try {
      accessSync(above, constants.W_OK);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'EROFS' ? 'read-only' : 'not writable';
      return `the folder above it, ${above}, is ${why}`;
    }
  }
  switch (code) {
    case 'EEXIST':
    case 'ENOTDIR':
      return 'a file stands at that path or above it; give a folder path';
    case 'EACCES':
    case 'EPERM':
      return 'no permission to write there';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOENT':
      return 'a folder above it does not exist and cannot be created (read-only or removed)';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full';
    default:
      return 'check that the parent folder is writable';
  }
}

/**
 * The message for a failed file-system call creating the folder `path`.
 *
 * @param what - the folder's role, e.g. `output folder`.
 * @param path - the folder.
 * @param e - the system error.
 * @returns e.g. `cannot create the output folder out/ds (ENOTDIR): a file stands at that path or above it; …`.
 * @example
 * ```ts
 * folderFailureMessage('output folder', 'out', Object.assign(new Error('x'), { code: 'EROFS' }));
 * ```
 */
export function folderFailureMessage(what: string, path: string, e: unknown): string {
  checkString('folderFailureMessage', 'what', what);
  checkString('folderFailureMessage', 'path', path);
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  const errno = typeof code === 'string' ? code : undefined;
  const detail = errno ?? (typeof message === 'string' ? message : describeValue(e));
  return `cannot create the ${what} ${path} (${detail}): ${reason(errno, path)}`;
}

/**
 * Create `path` and the folders above it; a failure becomes `errorOf(message, systemError)`.
 *
 * @param what - the folder's role in messages.
 * @param path - the folder.
 * @param errorOf - the caller's typed error (e.g. its `WRITE_FAILED`), given {@link folderFailureMessage}'s text.
 * @throws whatever `errorOf` returns.
 * @example
 * ```ts
 * await createFolder('output folder', 'out', (m, cause) => new Error(m, { cause }));
 * ```
 */
export async function createFolder(
  what: string,
  path: string,
  errorOf: (message: string, cause: unknown) => Error,
): Promise<void> {
  checkString('createFolder', 'what', what);
  checkString('createFolder', 'path', path);
  checkFunction('createFolder', 'errorOf', errorOf);
  try {
    await mkdir(path, { recursive: true });
  } catch (e) {
    throw errorOf(folderFailureMessage(what, path, e), e);
  }
}
