// A per-host request limit shared by every worker through Redis, so N workers together stay under what one
// service tolerates: at most `concurrency` requests to a host waiting for their response headers, and at most
// `perSecond` requests started per second (Redis clock). Slots are leases that expire, so a worker killed with
// kill -9 cannot hold one for ever.
import { randomUUID } from 'node:crypto';
import { describeValue } from '@worldstrat/core';
import type { Redis } from 'ioredis';
import { throwIfAborted, WorldStratError } from '../errors.js';
import {
  checkFunction,
  checkObject,
  checkOptionalString,
  checkWithMethods,
} from '../internal/check-arguments.js';

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
  -- no lease outlives the longest one a worker may take (1 000 000 ms): later ones (inf) were never ours
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '(' .. (now + 1000000), '+inf')
  if redis.call('ZCARD', KEYS[1]) >= conc then return 20 end
end
if rps > 0 then
  local key = KEYS[2] .. ':' .. t[1]
  local n = redis.call('INCR', key)
  -- a count below 1 after INCR was never ours (a negative one would admit every request)
  if n < 1 then redis.call('SET', key, 1) n = 1 end
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

/** Longest wait a limit script may ask for (ms): its windows are at most an hour. */
const MAX_WAIT_MS = 3_600_000;

/**
 * Run a limit script and return the milliseconds it says to wait (0: go). Keys another client left with a
 * wrong type or value (a Redis error) or an answer that is not a wait fail the request typed, never a loop.
 */
async function limitWait(what: string, run: () => Promise<unknown>): Promise<number> {
  let answer: unknown;
  try {
    answer = await run();
  } catch (e) {
    throw new WorldStratError(
      'QUEUE_UNAVAILABLE',
      `${what}: Redis refused the limit script (${e instanceof Error ? e.message : String(e)}); check or delete the keys`,
      { cause: e },
    );
  }
  if (typeof answer !== 'number' || !Number.isInteger(answer) || answer < 0 || answer > MAX_WAIT_MS)
    throw new WorldStratError(
      'QUEUE_UNAVAILABLE',
      `${what}: the limit script answered ${describeValue(answer)}, not a wait in ms`,
    );
  return answer;
}

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
  const fn = 'sharedHostLimitedFetch';
  checkWithMethods(fn, 'redis', redis, 'a connected ioredis client', ['eval', 'zrem']);
  checkObject(fn, 'limits', limits);
  checkOptionalString(fn, 'limits.prefix', limits.prefix);
  checkFunction(fn, 'base', base);
  for (const k of ['concurrency', 'perSecond', 'leaseMs'] as const) {
    const v = limits[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= 1_000_000))
      throw new WorldStratError(
        'INVALID_ARGUMENT',
        `host limit ${k} ${describeValue(v)}: expected an integer in [1, 1000000]`,
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
      const wait = await limitWait(`shared host limit ${keys[0]}`, () =>
        redis.eval(ACQUIRE, 2, ...keys, limits.concurrency ?? 0, limits.perSecond ?? 0, leaseMs, token),
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

/** A SentinelHub processing-unit budget shared by every worker (see {@link sharedProcessingUnitFetch}). */
export interface SharedProcessingUnitLimit {
  /** Processing units spent per window across all workers. */
  perWindow: number;
  /** Window length (ms; default 60 000: SentinelHub's per-minute PU limit). */
  windowMs?: number;
  /** Redis key prefix (default `worldstrat:sh-pu`). */
  prefix?: string;
}

// KEYS: window counter prefix. ARGV: window ms, budget, cost. Charges `cost` to the current window and returns
// 0, or returns the milliseconds to the next window when the budget is spent (a window that charged nothing
// yet admits any one request, so a request costlier than the budget still runs).
const CHARGE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local win = tonumber(ARGV[1])
local key = KEYS[1] .. ':' .. math.floor(now / win)
local spent = tonumber(redis.call('GET', key) or '0')
-- corrections may take a window a little below 0; far below, it would admit everything: count from 0 again
if spent < -tonumber(ARGV[2]) then redis.call('SET', key, 0) spent = 0 end
if spent > 0 and spent + tonumber(ARGV[3]) > tonumber(ARGV[2]) then return win - (now % win) + 1 end
redis.call('INCRBYFLOAT', key, ARGV[3])
redis.call('PEXPIRE', key, 2 * win)
return 0
`;
// KEYS: window counter prefix. ARGV: window ms, correction. Adds the difference between the units SentinelHub
// reports and the estimate charged to the current window.
const CORRECT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local key = KEYS[1] .. ':' .. math.floor(now / tonumber(ARGV[1]))
redis.call('INCRBYFLOAT', key, ARGV[2])
redis.call('PEXPIRE', key, 2 * tonumber(ARGV[1]))
return 0
`;

/** Most processing units one reported request may correct the budget by. */
const MAX_REPORTED_UNITS = 1_000_000;

/** Largest request body parsed for its output size (bytes). */
const MAX_PROCESS_BODY = 1_000_000;

/**
 * Estimated processing units of a Process API request: output pixels / 512² (SentinelHub's minimum of 0.005),
 * as for three 8/16-bit input bands; SentinelHub's `x-processingunits-spent` answer corrects it.
 */
function processRequestCost(body: unknown): number {
  if (typeof body !== 'string' || body.length > MAX_PROCESS_BODY) return 1;
  try {
    const o = JSON.parse(body) as { output?: { width?: unknown; height?: unknown } };
    const w = Number(o.output?.width);
    const h = Number(o.output?.height);
    if (!(w > 0 && h > 0 && w <= 100_000 && h <= 100_000)) return 1;
    return Math.max(0.005, (w * h) / (512 * 512));
  } catch {
    return 1;
  }
}

/**
 * Wrap `base` so every SentinelHub Process API request (`POST …/api/v1/process`) first charges its estimated
 * processing units to a budget shared through Redis, waiting for the next window when the budget is spent;
 * the units SentinelHub reports (`x-processingunits-spent`) correct the charge. Other requests pass through.
 *
 * @param redis - a connected client (shared by the workers through the same Redis).
 * @param limit - units per window.
 * @param base - the fetch to wrap (default the global one).
 * @returns the limited fetch.
 * @throws {WorldStratError} `INVALID_ARGUMENT` for a budget or window that is not positive.
 * @example
 * ```ts
 * const limited = sharedProcessingUnitFetch(redis, { perWindow: 300 }); // 300 PU per minute, all workers
 * ```
 */
export function sharedProcessingUnitFetch(
  redis: Redis,
  limit: SharedProcessingUnitLimit,
  base: typeof fetch = globalThis.fetch,
): typeof fetch {
  const fn = 'sharedProcessingUnitFetch';
  checkWithMethods(fn, 'redis', redis, 'a connected ioredis client', ['eval']);
  checkObject(fn, 'limit', limit);
  checkOptionalString(fn, 'limit.prefix', limit.prefix);
  checkFunction(fn, 'base', base);
  const windowMs = limit.windowMs ?? 60_000;
  if (!(typeof limit.perWindow === 'number' && limit.perWindow > 0 && limit.perWindow <= 1e9))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `processing-unit limit ${describeValue(limit.perWindow)}: expected a number in (0, 1e9]`,
    );
  if (!(Number.isInteger(windowMs) && windowMs >= 100 && windowMs <= 3_600_000))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `processing-unit window ${describeValue(windowMs)} ms: expected 100…3600000`,
    );
  const key = limit.prefix ?? 'worldstrat:sh-pu';
  const limited = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input.toString() : input.url);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    if (method !== 'POST' || !url.pathname.endsWith('/api/v1/process')) return base(input, init);
    const cost = processRequestCost(init?.body);
    for (;;) {
      throwIfAborted(init?.signal ?? undefined);
      const wait = await limitWait(`processing-unit budget ${key}`, () =>
        redis.eval(CHARGE, 1, key, windowMs, limit.perWindow, cost),
      );
      if (wait === 0) break;
      await sleep(wait);
    }
    const res = await base(input, init);
    const spent = Number(res.headers.get('x-processingunits-spent'));
    // a header beyond any real request's cost (1e300) would block the budget: ignored like a missing one
    if (Number.isFinite(spent) && spent > 0 && spent <= MAX_REPORTED_UNITS && spent !== cost)
      await redis.eval(CORRECT, 1, key, windowMs, spent - cost).catch(() => {});
    return res;
  };
  return limited as typeof fetch;
}
