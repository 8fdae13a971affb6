// SHA-256 of files, and the stat fingerprint that lets a resume skip hashing a verified file that is untouched
// (git's index does the same). A fingerprint is taken only around a hash of the file (before and after the read,
// equal), and only trusted when the file's mtime and ctime were already clearly in the past when it was taken:
// a change made in the same clock tick right after it would keep both timestamps ("racily clean", as git
// calls it), so such a fingerprint is never used and the file is re-hashed.

import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { checkNonEmptyString } from '../internal/check-arguments.js';

/**
 * What `lstat` said about a verified regular file when its hash was taken. The inode change time (`ctimeMs`)
 * moves to "now" on every write, rename and `utimes`, and cannot be set back from userland, so a file whose
 * fingerprint still matches has not been touched since.
 */
export interface FileFingerprint {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
  /**
   * `Date.now()` just before the `lstat` of the fingerprint. The fingerprint is trusted only when `mtimeMs` and
   * `ctimeMs` are older than this by more than the timestamps' granularity (40 ms; 2 s for whole-second
   * timestamps).
   */
  at: number;
}

/** Margin for file systems whose clock runs behind `Date.now()` by a tick (Linux's coarse clock, Windows). */
const FINE_SLACK_MS = 40;
/** Margin for whole-second (or 2 s, FAT) timestamps. */
const COARSE_SLACK_MS = 2000;

const slackMs = (mtimeMs: number, ctimeMs: number) =>
  mtimeMs % 1000 === 0 || ctimeMs % 1000 === 0 ? COARSE_SLACK_MS : FINE_SLACK_MS;

/**
 * Whether a fingerprint may stand in for a hash: its timestamps were clearly in the past when it was taken, so
 * any later change of the file moved its ctime. A racily clean fingerprint (taken within a timestamp tick of the
 * file's last change) is not.
 */
export function trustedFingerprint(fp: FileFingerprint): boolean {
  return Math.max(fp.mtimeMs, fp.ctimeMs) < fp.at - slackMs(fp.mtimeMs, fp.ctimeMs);
}

/** Whether `st` (an `lstat`) is the regular file the fingerprint describes, unchanged. */
export function matchesFingerprint(fp: FileFingerprint, st: Stats): boolean {
  return (
    st.isFile() &&
    st.size === fp.size &&
    st.mtimeMs === fp.mtimeMs &&
    st.ctimeMs === fp.ctimeMs &&
    st.ino === fp.ino &&
    st.dev === fp.dev
  );
}

const sameStat = (a: Stats, b: Stats) =>
  a.size === b.size &&
  a.mtimeMs === b.mtimeMs &&
  a.ctimeMs === b.ctimeMs &&
  a.ino === b.ino &&
  a.dev === b.dev;

/**
 * Hex SHA-256 of a file, streamed.
 *
 * @param path - file path
 * @returns lowercase hex digest
 */
export async function sha256File(path: string): Promise<string> {
  checkNonEmptyString('sha256File', 'path', path);
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    for await (const chunk of fh.createReadStream()) hash.update(chunk as Buffer);
  } finally {
    await fh.close().catch(() => {});
  }
  return hash.digest('hex');
}

/**
 * Hashes a file and takes its fingerprint: `lstat`, hash, `lstat` again; the fingerprint is returned only when
 * the path is a regular file, both `lstat`s agree and the fingerprint is trusted. A file changed within the
 * last tick is waited for first (up to the margin), so a freshly written file gets a fingerprint too.
 *
 * @param path - the file
 * @returns its hash, and its fingerprint when one could be taken
 * @throws the file system's error when the file cannot be read
 */
export async function hashWithFingerprint(
  path: string,
): Promise<{ sha256: string; fingerprint?: FileFingerprint }> {
  const first = await lstat(path);
  if (first.isFile()) {
    const slack = slackMs(first.mtimeMs, first.ctimeMs);
    const wait = Math.ceil(Math.max(first.mtimeMs, first.ctimeMs) + slack + 1 - Date.now());
    // timestamps far in the future (a skewed clock): no wait, and no fingerprint below
    if (wait > 0 && wait <= slack + 2) await new Promise((r) => setTimeout(r, wait));
  }
  const at = Date.now();
  const before = await lstat(path);
  const sha256 = await sha256File(path);
  const after = await lstat(path);
  const fingerprint: FileFingerprint = {
    size: before.size,
    mtimeMs: before.mtimeMs,
    ctimeMs: before.ctimeMs,
    ino: before.ino,
    dev: before.dev,
    at,
  };
  return before.isFile() && sameStat(before, after) && trustedFingerprint(fingerprint)
    ? { sha256, fingerprint }
    : { sha256 };
}
