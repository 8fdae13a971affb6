// Path and temp-file helpers shared by the .tar.gz and .zip extractors: a traversal test on whole path segments
// (`..foo` is a name, `../foo` an escape), temp files under random names created exclusively, so that no
// archive member and no file already on disk is ever taken for a temp file, and a guard that keeps every write
// inside the destination (no symbolic link below its root) and sweeps the temps a killed run left there.
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readdir, readlink, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, sep } from 'node:path';
import { DatasetError, type DatasetErrorCode } from '../errors.js';

/** Random names tried before giving up (each collides with odds of 2^-64). */
const TEMP_TRIES = 8;

/** Exactly the names `createTempBeside` draws; a regular file so named inside a destination is ours. */
const TEMP_NAME = /^\.[0-9a-f]{16}\.extracting$/;

/** A temp file unmodified this long is a killed run's: a live extraction writes its temp continuously. */
const STALE_TEMP_MS = 10 * 60_000;

/**
 * Whether a normalised, root-relative path leaves its root: absolute, or its first segment is `..`. A name
 * that merely starts with dots (`..foo`, `...`) stays inside.
 */
export function leavesRoot(rel: string): boolean {
  return isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`);
}

/**
 * Create the destination root (and the folders above it).
 *
 * @param fn - the extractor, for messages.
 * @throws {DatasetError} `INVALID_ARGUMENT` naming `destDir` when it is a file or lies below one, `WRITE_FAILED`
 *   when it cannot be created for another reason (permissions, a read-only disk).
 */
export async function makeDestination(fn: string, root: string, destDir: string): Promise<void> {
  try {
    await mkdir(root, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new DatasetError(
        'INVALID_ARGUMENT',
        `${fn}: destDir ${destDir} is a file or lies below one; give a folder to extract into`,
        { cause: e },
      );
    throw new DatasetError(
      'WRITE_FAILED',
      `${fn}: cannot create the destination folder ${destDir} (${(e as Error).message})`,
      { cause: e },
    );
  }
}

/** A Node system error of a file-system call (it names its `syscall`), as opposed to a stream's parse error. */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** Codes of a member that cannot be put where its path says: a file in a folder's place or the reverse, a long name. */
const PLACEMENT_CODES = new Set(['EEXIST', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG']);

/** Where a member was being written when a file-system call failed, for {@link memberWriteError}. */
export interface MemberWrite {
  archive: string;
  destDir: string;
  noun: 'member' | 'entry';
  member: string;
  /**
   * What else in the same archive needs this member's path as a file where it needs a folder, or the reverse
   * (`entry "A"`, `the file A written from an earlier member`).
   */
  clash?: string;
  /** The archive's corrupt code (`ARCHIVE_CORRUPT`, `CORRUPT_ZIP`), used when there is a clash. */
  corrupt: DatasetErrorCode;
}

/**
 * The typed error for a failed write of one member: a clash inside the archive is the archive's fault; anything
 * else is the destination's (`WRITE_FAILED`), so the message never asks to download the archive again.
 */
export function memberWriteError(e: NodeJS.ErrnoException, w: MemberWrite): DatasetError {
  const what = `${w.archive}: ${w.noun} "${w.member}"`;
  if (w.clash !== undefined)
    return new DatasetError(
      w.corrupt,
      `${what} clashes with ${w.clash}: one path cannot be both a file and a folder (${e.message}); the archive is corrupt`,
      { cause: e },
    );
  const why = !PLACEMENT_CODES.has(e.code ?? '')
    ? ''
    : e.code === 'ENAMETOOLONG'
      ? ': its path is too long for this file system'
      : `: a file stands where a folder is needed, or a folder where a file is needed, in ${w.destDir}; move it aside or extract elsewhere`;
  return new DatasetError('WRITE_FAILED', `${what} could not be written (${e.message})${why}`, {
    cause: e,
  });
}

/**
 * Create an empty temp file in `target`'s folder under a random hidden name. Opened with `wx`: a name that
 * exists (another member extracted earlier, a user's file) is never truncated, another name is drawn instead.
 *
 * @returns its path and an open handle; the caller renames it onto `target` or unlinks it.
 */
export async function createTempBeside(target: string): Promise<{ path: string; fh: FileHandle }> {
  for (let i = 1; ; i++) {
    const path = join(dirname(target), `.${randomBytes(8).toString('hex')}.extracting`);
    try {
      return { path, fh: await open(path, 'wx') };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || i >= TEMP_TRIES) throw e;
    }
  }
}

/**
 * Where one extraction run may write under its destination root. The root itself may be a symbolic link (a
 * user's choice, e.g. a dataset folder on another disk); any link below it — a folder or a file, made by the
 * user or anyone else — would send writes outside the destination, so it is refused. Each folder's temp files
 * of an earlier, killed run (unmodified for 10 minutes) are removed the first time this run prepares a write into that folder.
 */
export class DestinationGuard {
  /** Root-relative folders already checked (real folders, or missing ones this run creates). */
  private readonly checked = new Set<string>();
  private readonly swept = new Set<string>();

  /**
   * @param root - resolved destination root.
   * @param archive - archive path, for messages.
   * @param destDir - destination as the caller gave it, for messages.
   * @param noun - `member` (tar) or `entry` (zip), for messages.
   */
  constructor(
    private readonly root: string,
    private readonly archive: string,
    private readonly destDir: string,
    private readonly noun: 'member' | 'entry',
  ) {}

  /**
   * Check every component of `rel` below the root.
   *
   * @returns `rel`'s own lstat, or null when it does not exist.
   * @throws {DatasetError} `UNSAFE_ARCHIVE_PATH` naming the archive, the member and the link.
   */
  async check(rel: string, member: string): Promise<Stats | null> {
    await this.checkFolders(rel, member);
    return this.lstatNoLink(rel, member);
  }

  /** {@link check}, after removing stale temps from `rel`'s folder (so a member so named is extracted again). */
  async prepare(rel: string, member: string): Promise<Stats | null> {
    await this.checkFolders(rel, member);
    await this.sweep(dirname(rel));
    return this.lstatNoLink(rel, member);
  }

  /**
   * {@link prepare} for a file of `size` bytes: whether a file an earlier run left complete is there (`skip`), or
   * nothing is (`write`; a folder in the way is left for the write to report).
   *
   * @throws {DatasetError} `WRITE_FAILED` naming the file when a file of another size is there: files are renamed
   *   into place only once complete, so it is no earlier run's, and replacing it would lose it.
   */
  async prepareFile(rel: string, member: string, size: number): Promise<'skip' | 'write'> {
    const existing = await this.prepare(rel, member);
    if (!existing?.isFile()) return 'write';
    if (existing.size === size) return 'skip';
    throw new DatasetError(
      'WRITE_FAILED',
      `${this.archive}: ${this.noun} "${member}" would replace ${join(this.root, rel)}, a file of ${existing.size} bytes already in ${this.destDir} where the ${this.noun} holds ${size}: it is not what an earlier extraction left (those are renamed into place only once complete); move it away or extract elsewhere`,
    );
  }

  /** The folders above `rel`, each lstat'ed once per run. */
  private async checkFolders(rel: string, member: string): Promise<void> {
    const parts = rel.split(sep);
    let d = '';
    for (let i = 0; i < parts.length - 1; i++) {
      d = i === 0 ? (parts[0] as string) : `${d}${sep}${parts[i]}`; // built step by step: a deep name stays linear
      if (this.checked.has(d)) continue;
      await this.lstatNoLink(d, member);
      this.checked.add(d);
    }
  }

  private async lstatNoLink(rel: string, member: string): Promise<Stats | null> {
    const path = join(this.root, rel);
    // missing: created as a real folder; unreadable or under a file: the write that follows reports it
    const st = await lstat(path).catch(() => null);
    if (st?.isSymbolicLink()) {
      const to = await readlink(path).catch(() => '?');
      throw new DatasetError(
        'UNSAFE_ARCHIVE_PATH',
        `${this.archive}: ${this.noun} "${member}" would be written through the symbolic link ${path} -> ${to} inside ${this.destDir}; refusing to write outside the destination (replace the link with a real folder or file, or extract elsewhere)`,
      );
    }
    return st;
  }

  /** Remove regular files named exactly like our temps in one folder, once per run. */
  private async sweep(relDir: string): Promise<void> {
    if (this.swept.has(relDir)) return;
    this.swept.add(relDir);
    const dir = join(this.root, relDir);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!TEMP_NAME.test(name)) continue;
      const path = join(dir, name);
      const st = await lstat(path).catch(() => null);
      // untouched for a while: a temp another extraction is still writing is fresh, and is left alone
      if (st?.isFile() && Date.now() - st.mtimeMs > STALE_TEMP_MS) await unlink(path).catch(() => {});
    }
  }
}
