// Redis connections for the queue executor and workers: parse `redis://HOST:PORT[/DB]`, connect once with a
// short timeout (unreachable → QUEUE_UNAVAILABLE, not a hang), then reconnect with backoff for ever (a Redis
// restart mid-run is survived; callers bound how long they wait).
import { redactUrl } from '@worldstrat/raster-io';
import { Redis } from 'ioredis';
import { WorldStratError } from '../errors.js';
import { checkString } from '../internal/check-arguments.js';

/** A parsed `--queue` URL. */
export interface QueueUrl {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** The URL without its password, for messages. */
  display: string;
}

/** Largest Redis database index accepted. */
const MAX_DB = 1_000_000;

/**
 * Parse `redis://[user:password@]HOST[:PORT][/DB]` (or `rediss://` for TLS).
 *
 * @param url - the queue URL.
 * @returns host, port (default 6379), db (default 0), credentials.
 * @throws {WorldStratError} `INVALID_ARGUMENT` for anything else.
 */
export function parseQueueUrl(url: string): QueueUrl {
  checkString('parseQueueUrl', 'url', url);
  const display = queueUrlForDisplay(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new WorldStratError('INVALID_ARGUMENT', `--queue ${display}: expected redis://HOST:PORT[/DB]`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new WorldStratError('INVALID_ARGUMENT', `--queue ${display}: expected a redis:// or rediss:// URL`);
  if (!u.hostname) throw new WorldStratError('INVALID_ARGUMENT', `--queue ${display}: no host`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!/^\d*$/.test(dbText) || !Number.isInteger(db) || db > MAX_DB)
    // the path is not quoted: after a password with an unencoded / it holds the rest of that password
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `--queue ${display}: the database (the path after the port) must be an integer 0..${MAX_DB}; percent-encode / # @ % in a password`,
    );
  if (u.search || u.hash)
    throw new WorldStratError('INVALID_ARGUMENT', `--queue ${display}: no query or fragment expected`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(u.username ? { username: decodeUserinfo(u.username, 'user name', display) } : {}),
    ...(u.password ? { password: decodeUserinfo(u.password, 'password', display) } : {}),
    tls: u.protocol === 'rediss:',
    display,
  };
}

/**
 * The URL for messages: everything between `//` and the last `@` is the login, whatever it holds (a password
 * with an unencoded `/` or `#` ends the URL parser's userinfo early, and a redaction by that parser showed the
 * rest of it).
 */
function queueUrlForDisplay(url: string): string {
  const at = url.lastIndexOf('@');
  const start = url.indexOf('//');
  if (at < 0 || start < 0 || at < start) return redactUrl(url);
  return `${url.slice(0, start + 2)}***@${redactUrl(`redis://${url.slice(at + 1)}`).slice('redis://'.length)}`;
}

/** A percent-encoded user name or password; a stray `%` is a usage error, not a URIError. */
function decodeUserinfo(text: string, what: string, display: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `--queue ${display}: the ${what} is not percent-encoded (write % as %25, / as %2F, # as %23, @ as %40)`,
    );
  }
}

/** Options of {@link connectRedis}. */
export interface ConnectRedisOptions {
  /** Longest wait for the first connection (ms; default 5000). */
  connectTimeoutMs?: number;
}

/**
 * Connect to Redis. The first connection must succeed within `connectTimeoutMs`; afterwards the client
 * reconnects with backoff (≤ 2 s apart) and queues commands meanwhile (BullMQ workers need that).
 *
 * @param q - parsed URL.
 * @param options - timeout.
 * @returns a connected client (`quit()` it).
 * @throws {WorldStratError} `AUTH_FAILED` when Redis refuses the login (a wrong password, or none given where
 *   the server needs one: its WRONGPASS/NOAUTH reply is quoted); `QUEUE_UNAVAILABLE` when Redis cannot be
 *   reached or refuses the URL's database.
 */
export async function connectRedis(q: QueueUrl, options: ConnectRedisOptions = {}): Promise<Redis> {
  let connected = false;
  const client = new Redis({
    host: q.host,
    port: q.port,
    db: q.db,
    ...(q.username ? { username: q.username } : {}),
    ...(q.password ? { password: q.password } : {}),
    ...(q.tls ? { tls: {} } : {}),
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    maxRetriesPerRequest: null,
    retryStrategy: (times) => (connected ? Math.min(100 * times, 2000) : null),
  });
  let lastError: Error | undefined;
  // ioredis reports every failed reconnect as an 'error' event; without a listener Node would crash on it
  client.on('error', (e: Error) => {
    lastError = e;
  });
  try {
    await client.connect();
    connected = true;
  } catch (err) {
    client.disconnect();
    throw connectError(q, err as Error, lastError);
  }
  // DB 0 is where a connection starts, and ioredis sends no SELECT for it: neither do we, so a server or proxy
  // without SELECT (twemproxy, Envoy, ACL users denied it) keeps working with it
  if (q.db !== 0) await checkDatabase(client, q);
  return client;
}

/** Server replies that mean the login was refused (ioredis sends AUTH itself; the reply only reaches 'error'). */
const AUTH_REPLY = /^(WRONGPASS|NOAUTH)\b|\binvalid (password|username)/i;

/**
 * The error of a failed first connection. When the server answered (a Redis `ReplyError`), its reply says more
 * than ioredis's own "Connection is closed." that follows it: a refused login is `AUTH_FAILED`.
 */
function connectError(q: QueueUrl, err: Error, last: Error | undefined): WorldStratError {
  const reply = last?.name === 'ReplyError' ? scrubPassword(last.message, q) : undefined;
  if (reply && AUTH_REPLY.test(reply))
    return new WorldStratError(
      'AUTH_FAILED',
      `Redis at ${q.display} refused the login (${reply}); ${q.password ? 'check the password' : 'the server needs a password: give it'} in --queue (redis://[USER]:PASSWORD@HOST:PORT[/DB])`,
      { cause: last },
    );
  const why = reply ?? scrubPassword(err?.message ?? last?.message ?? String(err), q);
  return new WorldStratError(
    'QUEUE_UNAVAILABLE',
    `Redis at ${q.display} is unreachable (${why}); start it or fix --queue`,
    { cause: err },
  );
}

/** `text` without the URL's password (a server or proxy may echo what it was sent). */
function scrubPassword(text: string, q: QueueUrl): string {
  return q.password ? text.split(q.password).join('***') : text;
}

/**
 * Select the URL's database again and wait for the reply: ioredis's own SELECT on connect only reports a
 * failure (a DB index past the server's `databases`) as an 'error' event, and every command then runs on DB 0.
 */
async function checkDatabase(client: Redis, q: QueueUrl): Promise<void> {
  try {
    await client.select(q.db);
  } catch (err) {
    client.disconnect();
    const reply = scrubPassword(String((err as Error).message ?? err), q);
    throw new WorldStratError(
      'QUEUE_UNAVAILABLE',
      `Redis at ${q.display} refused database ${q.db} (${reply}); use a database the server has (redis.conf \`databases\`, 16 by default: 0-15) or fix --queue`,
      { cause: err },
    );
  }
}
