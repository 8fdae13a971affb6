// A `--queue` URL whose database the server does not have (a stock Redis has 0–15) must fail before anything
// is read or enqueued: ioredis's own SELECT on connect only fires an 'error' event and leaves the client on DB 0,
// where the jobs of another project would be taken and run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_PREFIX, QueueExecutor, queueStatus } from '../../src/executors/queue-executor.node.js';
import { connectRedis, parseQueueUrl } from '../../src/executors/redis-connection.node.js';
import { hasRedisServer, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { requireTool } from '../support/require-tool.js';
import { cli } from '../support/run-cli.js';

const run = requireTool('redis-server', hasRedisServer());
let redis: TestRedis;

beforeAll(async () => {
  if (run) redis = await startTestRedis();
}, 20_000);
afterAll(async () => {
  await redis?.stop();
});

/** Keys of one database of the test Redis. */
async function keysOf(db: number): Promise<string[]> {
  const c = await connectRedis(parseQueueUrl(`redis://127.0.0.1:${redis.port}/${db}`));
  try {
    return await c.keys('*');
  } finally {
    c.disconnect();
  }
}

describe.runIf(run)('queue database', () => {
  it('a database past the server count is QUEUE_UNAVAILABLE (exit 6) naming it and the reply; DB 0 stays empty', async () => {
    const url = `redis://127.0.0.1:${redis.port}/99`;
    const err = await connectRedis(parseQueueUrl(url)).catch((e) => e);
    expect(err.code, String(err)).toBe('QUEUE_UNAVAILABLE');
    expect(err.message).toContain(`127.0.0.1:${redis.port}/99 refused database 99`);
    expect(err.message).toContain('ERR DB index is out of range');

    const q = await QueueExecutor.connect(`redis://127.0.0.1:${redis.port}/16`).catch((e) => e);
    expect([q.code, q.message.includes('refused database 16')], String(q)).toEqual([
      'QUEUE_UNAVAILABLE',
      true,
    ]);

    const s = await cli('--json', 'status', '--queue', url);
    expect(s.code, s.out).toBe(6);
    expect(JSON.parse(s.out).error).toMatchObject({
      code: 'QUEUE_UNAVAILABLE',
      message: expect.stringContaining('database 99 (ERR DB index is out of range'),
    });
    // status used to write its meta hash into DB 0 under the name /99
    expect(await keysOf(0)).toEqual([]);
  });

  it('a database the server has still works, and the password stays out of the message', async () => {
    const ok = await cli('--json', 'status', '--queue', `redis://127.0.0.1:${redis.port}/15`);
    expect(ok.code, ok.out + ok.err).toBe(0);
    expect((await keysOf(15)).length).toBeGreaterThan(0);
    expect(await keysOf(0)).toEqual([]);

    const admin = await connectRedis(parseQueueUrl(`redis://127.0.0.1:${redis.port}/0`));
    await admin.config('SET', 'requirepass', 'pw-s3cret-42');
    try {
      const withPw = `redis://default:pw-s3cret-42@127.0.0.1:${redis.port}/20`;
      const e = await connectRedis(parseQueueUrl(withPw)).catch((x) => x);
      expect([e.code, e.message.includes('refused database 20')], String(e)).toEqual([
        'QUEUE_UNAVAILABLE',
        true,
      ]);
      expect(e.message).not.toContain('pw-s3cret-42');
      const r = await cli('worker', '--queue', withPw);
      expect([r.code, r.err.includes('refused database 20')], r.err).toEqual([6, true]);
      expect(r.err).not.toContain('pw-s3cret-42');
    } finally {
      await admin.config('SET', 'requirepass', '');
      admin.disconnect();
    }
  });

  it('DB 0 sends no SELECT: a user the server denies SELECT (as proxies without it do) still connects to it', async () => {
    const admin = await connectRedis(parseQueueUrl(`redis://127.0.0.1:${redis.port}/0`));
    await admin.call('ACL', 'SETUSER', 'noselect', 'on', '>pw-noselect-1', '~*', '&*', '+@all', '-select');
    try {
      const c = await connectRedis(parseQueueUrl(`redis://noselect:pw-noselect-1@127.0.0.1:${redis.port}`));
      expect(await c.ping()).toBe('PONG');
      c.disconnect();
      const e = await connectRedis(
        parseQueueUrl(`redis://noselect:pw-noselect-1@127.0.0.1:${redis.port}/3`),
      ).catch((x) => x);
      expect([e.code, e.message.includes('refused database 3')], String(e)).toEqual([
        'QUEUE_UNAVAILABLE',
        true,
      ]);
      expect(e.message).not.toContain('pw-noselect-1');
    } finally {
      await admin.call('ACL', 'DELUSER', 'noselect');
      admin.disconnect();
    }
  });
});

describe.runIf(run)('queue login', () => {
  let locked: TestRedis;
  const PASSWORD = 's3cretPassw0rd';
  beforeAll(async () => {
    locked = await startTestRedis(['--requirepass', PASSWORD]);
  }, 20_000);
  afterAll(async () => {
    await locked?.stop();
  });

  it('a wrong or missing password is AUTH_FAILED (exit 6) quoting the WRONGPASS/NOAUTH reply, never the password', async () => {
    const wrong = `redis://:wrongpassword1@127.0.0.1:${locked.port}`;
    const err = await connectRedis(parseQueueUrl(wrong)).catch((e) => e);
    expect(err.code, String(err)).toBe('AUTH_FAILED');
    expect(err.message).toContain(
      `Redis at redis://***@127.0.0.1:${locked.port} refused the login (WRONGPASS`,
    );
    expect(err.message).not.toContain('Connection is closed');
    expect(err.message).not.toContain('wrongpassword1');

    for (const [url, reply] of [
      [wrong, 'WRONGPASS invalid username-password pair'],
      [`redis://127.0.0.1:${locked.port}`, 'NOAUTH Authentication required'],
    ] as const) {
      const s = await cli('--json', 'status', '--queue', url);
      expect(s.code, s.out).toBe(6);
      const e = JSON.parse(s.out).error;
      expect(e.code).toBe('AUTH_FAILED');
      expect(e.message).toContain(reply);
      expect(s.out + s.err).not.toContain('wrongpassword1');
      const w = await cli('worker', '--queue', url, '--gc', 'parallel');
      expect(w.code).toBe(6);
      expect(w.err).toContain(`[AUTH_FAILED]`);
      expect(w.err).toContain(reply);
    }
    // the right password still works
    const ok = await cli('--json', 'status', '--queue', `redis://:${PASSWORD}@127.0.0.1:${locked.port}`);
    expect(ok.code, ok.out).toBe(0);
  }, 30_000);
});

describe.runIf(run)('queue status with jobs another program wrote', () => {
  it('a failed job whose data is no JSON is listed, not the whole status failed; ids and reasons are shown escaped and cut', async () => {
    const url = `redis://127.0.0.1:${redis.port}/14`;
    const c = await connectRedis(parseQueueUrl(url));
    const key = (id: string) => `${QUEUE_PREFIX}:rebuild-search:${id}`;
    const hostile = `DOWNLOAD_FAILED: \u001b[2J\u001b]0;pwn\u0007\u202eevil\n${'x'.repeat(5000)}`;
    try {
      await c.hset(key('bad'), {
        name: 'rebuild-search',
        data: '{bad json',
        failedReason: hostile,
        atm: '3',
      });
      await c.hset(key('old\u001b[31m'), {
        name: 'rebuild-search',
        data: '{}',
        failedReason: 'plain words',
        attemptsMade: '2',
      });
      await c.set(key('strkey'), 'not a hash');
      await c.hset(key('mixed'), {
        failedReason: 'X: line\u2028forged\u200fmark',
        atm: '3',
        attemptsMade: 'NaN',
      });
      await c.zadd(key('failed'), 2, 'bad', 1, 'old\u001b[31m', 0.5, 'strkey', 0.25, 'mixed');
    } finally {
      c.disconnect();
    }
    const status = await queueStatus(url);
    expect(status.stages['rebuild-search']?.failed).toBe(4);
    const [bad, old, strkey, mixed] = status.failed;
    expect(strkey).toMatchObject({ job: 'strkey', code: 'UNREADABLE', attempts: 0 });
    expect(mixed).toMatchObject({ code: 'X', message: 'line\\u2028forged\\u200fmark', attempts: 3 });
    expect(bad).toMatchObject({ stage: 'rebuild-search', job: 'bad', code: 'DOWNLOAD_FAILED', attempts: 3 });
    expect(bad?.message.startsWith('\\u001b[2J\\u001b]0;pwn\\u0007\\u202eevil\\u000axxx')).toBe(true);
    expect(bad?.message.endsWith('… (3018 more characters)')).toBe(true);
    expect(old).toMatchObject({
      job: 'old\\u001b[31m',
      code: 'UNEXPECTED',
      message: 'plain words',
      attempts: 2,
    });
    const shown = await cli('status', '--queue', url);
    expect(shown.code, shown.out + shown.err).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no terminal escape may reach the output
    expect(shown.out + shown.err).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
  });
});
