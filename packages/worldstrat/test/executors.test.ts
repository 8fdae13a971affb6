// Executor pieces that need no Redis: job keys, queue URL parsing, the local executor's outcomes.
import { describe, expect, it } from 'vitest';
import { parseStages } from '../src/cli/commands/worker.js';
import { unitKey } from '../src/executors/executor.js';
import { LocalExecutor } from '../src/executors/local-executor.node.js';
import { parseQueueUrl } from '../src/executors/redis-connection.node.js';

describe('unitKey', () => {
  it('is stable under key order, changes with any parameter, and is a valid BullMQ job id', () => {
    const a = unitKey('rebuild-download', {
      unit: 'Landcover-1',
      params: { root: '/d', levels: ['L2A'], n: 1 },
    });
    const b = unitKey('rebuild-download', {
      unit: 'Landcover-1',
      params: { n: 1, levels: ['L2A'], root: '/d' },
    });
    const c = unitKey('rebuild-download', {
      unit: 'Landcover-1',
      params: { root: '/d', levels: ['L1C'], n: 1 },
    });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(a).toMatch(/^Landcover-1\.[0-9a-f]{16}$/);
    expect(unitKey('rebuild-download', { unit: 'a:b/c', params: {} })).toMatch(/^a_b_c\.[0-9a-f]{16}$/);
  });
});

describe('parseQueueUrl', () => {
  it('parses host, port, db and credentials, and keeps the password out of the display form', () => {
    expect(parseQueueUrl('redis://127.0.0.1:6380/3')).toMatchObject({
      host: '127.0.0.1',
      port: 6380,
      db: 3,
      tls: false,
    });
    expect(parseQueueUrl('redis://h')).toMatchObject({ port: 6379, db: 0 });
    expect(parseQueueUrl('rediss://h:1/0').tls).toBe(true);
    const q = parseQueueUrl('redis://user:p%40ss@h:7000/2');
    expect(q).toMatchObject({ username: 'user', password: 'p@ss' });
    expect(q.display).not.toContain('p%40ss');
    expect(q.display).not.toContain('p@ss');
  });

  it('rejects other schemes, bad databases, queries and garbage as INVALID_ARGUMENT naming the URL', () => {
    for (const bad of [
      'http://h:1',
      'redis://h:1/x',
      'redis://h:1/-1',
      'redis://h:1/0?x=1',
      'not a url',
      'redis://h:1/99999999',
    ])
      expect(() => parseQueueUrl(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseQueueUrl('http://u:secret@h:1')).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining('secret') }),
    );
  });

  it('never shows a password holding an unencoded / # or %, and a stray % is INVALID_ARGUMENT, not a URIError', () => {
    for (const [url, shown] of [
      ['redis://:Abc/Def+ghPASS@127.0.0.1:6379', 'redis://***@127.0.0.1:6379'],
      ['redis://user:ab#cdPASS@h:1/2', 'redis://***@h:1/2'],
      ['redis://:a@b/cPASS@h:1', 'redis://***@h:1'],
    ] as const) {
      const err = (() => {
        try {
          return parseQueueUrl(url);
        } catch (e) {
          return e;
        }
      })() as { code?: string; message?: string; display?: string };
      const text = err.message ?? err.display ?? '';
      expect(text, url).not.toMatch(/PASS|Def|cd/);
      expect(text, url).toContain(shown);
    }
    expect(() => parseQueueUrl('redis://:50%off@h:1')).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message:
          '--queue redis://***@h:1: the password is not percent-encoded (write % as %25, / as %2F, # as %23, @ as %40)',
      }),
    );
  });
});

describe('parseStages', () => {
  it('accepts known stages once each and rejects others', () => {
    expect(parseStages('rebuild-download,rebuild-download')).toEqual(['rebuild-download']);
    expect(() => parseStages('rebuild-download,sr-tile')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('LocalExecutor', () => {
  it('turns a unit’s typed error into a failed outcome and runs nothing after an abort', async () => {
    const ex = new LocalExecutor();
    const res = await ex.run(
      'rebuild-download',
      [
        {
          unit: 'Bad',
          params: {
            root: 'relative',
            provider: { kind: 'stac' },
            levels: ['L2A'],
            aoi: { name: 'Bad', bounds: [0, 0, 1, 1] },
            revisits: {},
          },
        },
      ],
      {},
      {},
    );
    expect(res.outcomes).toEqual([
      { unit: 'Bad', ok: false, code: 'INVALID_ARGUMENT', message: expect.stringContaining('relative') },
    ]);
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(
      ex.run('rebuild-download', [{ unit: 'X', params: {} }], {}, { signal: ctrl.signal }),
    ).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });
});
