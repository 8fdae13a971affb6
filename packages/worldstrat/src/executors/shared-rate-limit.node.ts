// A per-host request limit shared by every worker through Redis, so N workers together stay under what one
// service tolerates: at most `concurrency` requests to a host waiting for their response headers, and at most
// `perSecond` requests started per second (Redis clock). Slots are leases that expire, so a worker killed with
// kill -9 cannot hold one for ever.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { throwIfAborted, WorldStratError } from '../errors.js';

/** Limits per host (`host:port` of the URL). */
export interface SharedHostLimits {
  /** Requests in flight per host across all workers (until their response headers arrive). */
  concurrency?: number;
  /** Requests started per host and second across all workers. */
  perSecond?: number;
  /** Longest a slot is held if its holder dies (ms; default 120 s). */
  leaseMs?: number;
  /** Redis key prefix (default `worldstrat:hosts`). */
  prefix?: string;
}

// KEYS: lease set, rate counter prefix. ARGV: concurrency (0 = none), perSecond (0 = none), leaseMs, token.
// Returns 0 when the slot is taken, else the milliseconds worth waiting before asking again.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local conc = tonumber(ARGV[1])
local rps = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
if conc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= conc then return 20 end
end
if rps > 0 then
  local key = KEYS[2] .. ':' .. t[1]
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, 2000) end
  if n > rps then return 1000 - (now % 1000) + 1 end
end
if conc > 0 then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], lease)
end
return 0
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wrap `base` so every request first takes a slot of its host's shared limit (see the file header).
 *
 * @param redis - a connected client (shared by the workers through the same Redis).
 * @param limits - per-host concurrency and requests per second.
 * @param base - the fetch to wrap (default the global one).
 * @returns the limited fetch.
 * @throws {WorldStratError} `INVALID_ARGUMENT` for limits that are not positive integers.
 * @example
 * ```ts
 * const limited = sharedHostLimitedFetch(redis, { concurrency: 8, perSecond: 20 });
 * ```
 */
export function sharedHostLimitedFetch(
  redis: Redis,
  limits: SharedHostLimits,
  base: typeof fetch = globalThis.fetch,
): typeof fetch {
  for (const k of ['concurrency', 'perSecond', 'leaseMs'] as const) {
    const v = limits[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= 1_000_000))
      throw new WorldStratError(
        'INVALID_ARGUMENT',
        `host limit ${k} ${v}: expected an integer in [1, 1000000]`,
      );
  }
  const prefix = limits.prefix ?? 'worldstrat:hosts';
  const leaseMs = limits.leaseMs ?? 120_000;
  const limited = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input.toString() : input.url);
    const host = url.host;
    const token = randomUUID();
    const keys = [`${prefix}:${host}:leases`, `${prefix}:${host}:rate`];
    for (;;) {
      throwIfAborted(init?.signal ?? undefined);
      const wait = Number(
        await redis.eval(ACQUIRE, 2, ...keys, limits.concurrency ?? 0, limits.perSecond ?? 0, leaseMs, token),
      );
      if (wait === 0) break;
      await sleep(wait);
    }
    try {
      return await base(input, init);
    } finally {
      if (limits.concurrency) await redis.zrem(keys[0], token).catch(() => {});
    }
  };
  return limited as typeof fetch;
}
