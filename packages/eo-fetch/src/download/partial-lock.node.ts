// Exclusive ownership of a `<path>.partial`. Two runs downloading the same path (two processes, two engines)
// would otherwise write, delete and rename each other's partial file, and record the hash of bytes they never
// wrote. The owner holds `<path>.partial.lock`, created with O_EXCL and refreshed while held; a lock whose owner
// is gone (a killed run: its process is dead on this host, or it has not refreshed the lock for
// LOCK_STALE_MS) is broken, so a resume still continues the partial file a killed run left.

import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, open, rename, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { EoFetchError } from '../errors.js';
import { processAlive } from '../internal/process-alive.node.js';
import { writeFailed } from '../internal/write-failed.js';

/** Suffix of a partial file's lock, after the partial's own name: `<path>.partial.lock`. */
export const PARTIAL_LOCK_SUFFIX = '.lock';

/** How often a held lock's mtime is refreshed, so a run on another host can tell it is alive. */
const HEARTBEAT_MS = 30_000;
/** A lock not refreshed for this long is stale: a live owner refreshes it every {@link HEARTBEAT_MS}. */
export const LOCK_STALE_MS = 10 * 60_000;
/** An empty or unreadable-as-ours lock older than this is stale (ours are written right after they are created). */
const OWNERLESS_STALE_MS = 30_000;
/** Most bytes of a lock file read (ours are about 80). */
const MAX_LOCK_BYTES = 4096;

interface LockOwner {
  pid?: number;
  host?: string;
  token?: string;
}

/** Tokens of the locks this process holds: two engines of one process share its pid. */
const heldHere = new Set<string>();

/** A held lock: release it once the job is done (verified, failed or abandoned). */
export interface PartialLock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Takes the lock of `partial` for the job writing `jobPath`.
 *
 * @returns the held lock
 * @throws {@link EoFetchError} `PATH_IN_USE` when a live run holds it (nothing was touched), `WRITE_FAILED` when
 *   the lock cannot be written
 */
export async function lockPartial(partial: string, jobPath: string): Promise<PartialLock> {
  const path = `${partial}${PARTIAL_LOCK_SUFFIX}`;
  const me = { pid: process.pid, host: hostname(), token: randomBytes(12).toString('hex') };
  const text = JSON.stringify(me);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await createLock(path, text);
      return held(path, me.token);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw writeFailed(jobPath, err);
    }
    const found = await readLock(path);
    // released between our open and our read: try again
    if (!found) continue;
    if (!isStale(found.owner, found.mtimeMs)) throw inUse(jobPath, path, found.owner);
    await breakLock(path, found.text, me.token, jobPath);
  }
  throw inUse(jobPath, path, {});
}

/**
 * Creates the lock holding `text`, or fails with EEXIST. A lock this call created but could not fill (a full
 * disk) is removed, so the next run does not find an ownerless lock it must wait out.
 */
async function createLock(path: string, text: string): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(text);
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw err;
  }
  await fh.close();
}

function held(path: string, token: string): PartialLock {
  heldHere.add(token);
  const beat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, HEARTBEAT_MS);
  beat.unref();
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      clearInterval(beat);
      heldHere.delete(token);
      // only our own lock: one broken as stale (a run stalled past LOCK_STALE_MS) belongs to its new owner
      const found = await readLock(path);
      if (found?.owner.token === token) await unlink(path).catch(() => {});
    },
  };
}

/**
 * Removes the lock of `partial` when its owner is gone. A run killed after it recorded a file as verified but
 * before it released the lock leaves one beside the verified file, and later runs skip that file, so nothing else
 * would ever take it away. A live owner's lock, or one that cannot be judged or moved, is left as it is: this is
 * tidying, never a reason to fail a run.
 */
export async function clearStaleLock(partial: string): Promise<void> {
  const path = `${partial}${PARTIAL_LOCK_SUFFIX}`;
  const found = await readLock(path);
  if (!found || !isStale(found.owner, found.mtimeMs)) return;
  await breakLock(path, found.text, randomBytes(12).toString('hex'), partial).catch(() => {});
}

/** The lock's text, owner and mtime, or undefined when there is none. */
async function readLock(
  path: string,
): Promise<{ text: string; owner: LockOwner; mtimeMs: number } | undefined> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    // non-blocking: a FIFO at the lock's name would wait for a writer for ever
    fh = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    const st = await fh.stat();
    // not a file of ours (a FIFO, a device): nobody can take it, so it is in use
    if (!st.isFile()) return { text: '', owner: {}, mtimeMs: Date.now() };
    const buf = Buffer.alloc(MAX_LOCK_BYTES);
    const { bytesRead } = await fh.read(buf, 0, MAX_LOCK_BYTES, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    let owner: LockOwner = {};
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === 'object') owner = parsed as LockOwner;
    } catch {
      // torn or foreign: judged by its age alone
    }
    return { text, owner, mtimeMs: st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // unreadable (a folder, no permission): nobody can take it, so it is in use
    return { text: '', owner: {}, mtimeMs: Date.now() };
  } finally {
    await fh?.close().catch(() => {});
  }
}

/**
 * Whether the owner of a lock is gone: the lock went unrefreshed for {@link LOCK_STALE_MS} (a held lock is
 * refreshed every {@link HEARTBEAT_MS}; this also covers a dead run whose pid was reused), or its process is dead
 * on this host.
 */
function isStale(owner: LockOwner, mtimeMs: number): boolean {
  const age = Date.now() - mtimeMs;
  if (age > LOCK_STALE_MS) return true;
  // a live owner's lock names it from the moment it is written: one naming nobody for this long was left by a
  // run killed between creating and writing it
  if (owner.token === undefined && age > OWNERLESS_STALE_MS) return true;
  const pid = owner.pid;
  if (owner.host !== hostname() || !Number.isSafeInteger(pid) || (pid as number) <= 0) return false;
  // this process's pid: held by another engine here, or left by an earlier process given the same pid
  if (pid === process.pid) return !heldHere.has(String(owner.token));
  return !processAlive(pid as number);
}

/**
 * Removes a stale lock whose text was `seen`. It is moved aside first and checked, so that of two runs breaking
 * it at once, the second does not delete the lock the first has just taken; a lock that changed meanwhile is
 * put back.
 */
async function breakLock(path: string, seen: string, token: string, jobPath: string): Promise<void> {
  const aside = `${path}.${token}.stale`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw writeFailed(jobPath, err);
  }
  const moved = await readLock(aside);
  if (moved && moved.text !== seen) {
    await link(aside, path).catch(() => {});
    await unlink(aside).catch(() => {});
    throw inUse(jobPath, path, moved.owner);
  }
  await unlink(aside).catch(() => {});
}

function inUse(jobPath: string, lockPath: string, owner: LockOwner): EoFetchError {
  const host = typeof owner.host === 'string' ? ` on ${JSON.stringify(owner.host.slice(0, 100))}` : '';
  const who = Number.isSafeInteger(owner.pid) ? ` (process ${owner.pid}${host})` : '';
  return new EoFetchError(
    'PATH_IN_USE',
    `${jobPath}: another run is downloading this file${who}, holding ${lockPath}; nothing was changed. Run again once it is done (a lock whose run was killed is taken over after ${LOCK_STALE_MS / 60_000} minutes, at once on the same host)`,
  );
}
