// Named exclusive sections for units that must not race (SPOT: look up an AOI's order, create it only if
// none): in-process for the local executor, in Redis for queue workers. The Redis lock is `SET key token NX
// PX ttl`, renewed while its holder runs and released by a Lua compare-and-delete, so only the holder frees
// it; a holder killed with kill -9 stops renewing and the lock expires after `ttlMs`.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { throwIfAborted, WorldStratError } from '../errors.js';
import {
  checkFunction,
  checkOptionalNumber,
  checkOptionalSignal,
  checkOptionalString,
  checkOptions,
  checkString,
  checkWithMethods,
} from '../internal/check-arguments.js';

/** Runs `fn` while holding the lock `key`; `waitMs` overrides how long to wait for it (Redis). */
export type UnitLock = <T>(key: string, fn: () => Promise<T>, options?: { waitMs?: number }) => Promise<T>;

/**
 * A lock for units of one process: sections with the same key run one after the other.
 *
 * @returns the lock.
 */
export function inProcessLock(): UnitLock {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const before = tails.get(key) ?? Promise.resolve();
    const mine = before.catch(() => {}).then(fn);
    const tail = mine.catch(() => {});
    tails.set(key, tail);
    try {
      return await mine;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

/** Options of {@link redisLock}. */
export interface RedisLockOptions {
  /** Lifetime of a lock its holder stopped renewing (ms; default 30 s). */
  ttlMs?: number;
  /** Longest wait for a lock before `LOCK_TIMEOUT` (ms; default 10 min). */
  waitMs?: number;
  /** Key prefix (default `worldstrat:locks`). */
  prefix?: string;
  signal?: AbortSignal;
}

// KEYS: lock. ARGV: token. Deletes the lock only when this token holds it.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
// KEYS: lock. ARGV: token, ttl. Extends the lock only when this token holds it.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A lock shared by every process on this Redis (see the file header).
 *
 * @param redis - a connected client.
 * @param options - lifetime, wait limit, prefix.
 * @returns the lock.
 * @throws {WorldStratError} (from the lock) `LOCK_TIMEOUT` when the lock stays taken longer than `waitMs`;
 *   `QUEUE_UNAVAILABLE` when Redis fails; `ABORTED`.
 * @example
 * ```ts
 * const lock = redisLock(redis, { ttlMs: 30_000 });
 * await lock('order:col:AOI-1', async () => placeOrder());
 * ```
 */
export function redisLock(redis: Redis, options: RedisLockOptions = {}): UnitLock {
  const fn = 'redisLock';
  checkWithMethods(fn, 'redis', redis, 'a connected ioredis client', ['set', 'eval']);
  checkOptions(fn, options);
  checkOptionalNumber(fn, 'options.ttlMs', options.ttlMs, 0, 2 ** 31 - 1);
  checkOptionalNumber(fn, 'options.waitMs', options.waitMs, 0, Number.MAX_SAFE_INTEGER);
  checkOptionalString(fn, 'options.prefix', options.prefix);
  checkOptionalSignal(fn, 'options.signal', options.signal);
  const ttlMs = Math.max(1000, options.ttlMs ?? 30_000);
  const waitMs = options.waitMs ?? 600_000;
  const prefix = options.prefix ?? 'worldstrat:locks';
  return async <T>(key: string, fn: () => Promise<T>, call?: { waitMs?: number }): Promise<T> => {
    checkString('redisLock lock', 'key', key);
    checkFunction('redisLock lock', 'fn', fn);
    checkOptions('redisLock lock', call, 'options');
    checkOptionalNumber('redisLock lock', 'options.waitMs', call?.waitMs, 0, Number.MAX_SAFE_INTEGER);
    const lockKey = `${prefix}:${key}`;
    const token = randomUUID();
    await acquire(redis, lockKey, token, ttlMs, call?.waitMs ?? waitMs, options.signal);
    const renew = setInterval(
      () => void redis.eval(RENEW, 1, lockKey, token, ttlMs).catch(() => {}),
      Math.round(ttlMs / 3),
    );
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await redis.eval(RELEASE, 1, lockKey, token).catch(() => {}); // unreleased: it expires after ttlMs
    }
  };
}

async function acquire(
  redis: Redis,
  lockKey: string,
  token: string,
  ttlMs: number,
  waitMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (let pause = 25; ; pause = Math.min(250, pause * 2)) {
    throwIfAborted(signal);
    let got: string | null;
    try {
      got = await Promise.race([
        redis.set(lockKey, token, 'PX', ttlMs, 'NX'),
        sleep(Math.max(1000, ttlMs)).then(() => {
          throw new Error(`no answer within ${Math.max(1000, ttlMs)} ms`);
        }),
      ]);
    } catch (err) {
      throw new WorldStratError(
        'QUEUE_UNAVAILABLE',
        `lock ${lockKey}: Redis: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
    if (got === 'OK') return;
    if (Date.now() + pause > deadline)
      throw new WorldStratError(
        'LOCK_TIMEOUT',
        `lock ${lockKey} stayed taken for over ${Math.round(waitMs / 1000)} s; its holder may be stuck (it expires ${Math.round(ttlMs / 1000)} s after its holder stops renewing it); retry later`,
      );
    await sleep(pause);
  }
}
