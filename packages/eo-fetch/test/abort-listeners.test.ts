// Many concurrent requests and backoff sleeps share the caller's signal: it must carry one 'abort' listener,
// not one per request (Node warns past 10: MaxListenersExceededWarning on every busy download), and none after.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { attemptSignal, sleep } from '../src/http/retry.js';

describe('abort listeners on the caller signal', () => {
  it('50 concurrent attempts add one listener, removed when the last is disposed', () => {
    const user = new AbortController();
    const attempts = Array.from({ length: 50 }, () => attemptSignal(user.signal, 60_000));
    expect(getEventListeners(user.signal, 'abort')).toHaveLength(1);
    for (const a of attempts.slice(0, 49)) a.dispose();
    expect(getEventListeners(user.signal, 'abort')).toHaveLength(1);
    attempts[49].dispose();
    attempts[49].dispose(); // idempotent
    expect(getEventListeners(user.signal, 'abort')).toHaveLength(0);
  });

  it('an abort reaches every pending attempt and sleep, with no warning and no listener left', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const user = new AbortController();
      const attempts = Array.from({ length: 30 }, () => attemptSignal(user.signal, 60_000));
      const sleeps = Array.from({ length: 30 }, () => sleep(60_000, user.signal));
      expect(getEventListeners(user.signal, 'abort')).toHaveLength(1);
      const reason = new Error('stop');
      user.abort(reason);
      expect(attempts.every((a) => a.signal.aborted && a.signal.reason === reason)).toBe(true);
      const settled = await Promise.allSettled(sleeps);
      expect(settled.every((s) => s.status === 'rejected' && s.reason.code === 'ABORTED')).toBe(true);
      for (const a of attempts) a.dispose();
      expect(getEventListeners(user.signal, 'abort')).toHaveLength(0);
      // a new signal after the old one fired gets its own listener
      const next = new AbortController();
      const a = attemptSignal(next.signal, 60_000);
      expect(getEventListeners(next.signal, 'abort')).toHaveLength(1);
      a.dispose();
      await new Promise((r) => setImmediate(r));
      expect(warnings.map((w) => w.name)).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a sleep that ends normally removes its listener', async () => {
    const user = new AbortController();
    await Promise.all([sleep(5, user.signal), sleep(10, user.signal)]);
    expect(getEventListeners(user.signal, 'abort')).toHaveLength(0);
  });
});
