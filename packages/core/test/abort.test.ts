import { describe, expect, it, vi } from 'vitest';
import { CoreError, onAbort, sleep, throwIfAborted } from '../src/index.js';

class MyError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

describe('abort helpers', () => {
  it('throwIfAborted throws the factory error, or a CoreError ABORTED keeping the reason', () => {
    const c = new AbortController();
    expect(() => throwIfAborted(c.signal)).not.toThrow();
    expect(() => throwIfAborted(undefined)).not.toThrow();
    c.abort('stop');
    expect(() => throwIfAborted(c.signal)).toThrowError(
      expect.objectContaining({ code: 'ABORTED', cause: 'stop' }),
    );
    expect(() => throwIfAborted(c.signal, () => new MyError('MINE'))).toThrowError(MyError);
  });

  it('sleep waits, and rejects at once when the signal fires (before or during)', async () => {
    const t0 = performance.now();
    await sleep(30);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    await expect(sleep(0)).resolves.toBeUndefined();

    const pre = new AbortController();
    pre.abort();
    await expect(sleep(10_000, pre.signal)).rejects.toBeInstanceOf(CoreError);

    const c = new AbortController();
    const p = sleep(10_000, c.signal, () => new MyError('MINE'));
    const t1 = performance.now();
    setTimeout(() => c.abort(), 20);
    await expect(p).rejects.toBeInstanceOf(MyError);
    expect(performance.now() - t1).toBeLessThan(5_000);
  });

  it('onAbort fans many callbacks out through one listener and removes it after the last unsubscribe', () => {
    const c = new AbortController();
    let added = 0;
    let removed = 0;
    const add = c.signal.addEventListener.bind(c.signal);
    const remove = c.signal.removeEventListener.bind(c.signal);
    c.signal.addEventListener = ((...a: Parameters<typeof add>) => {
      added++;
      add(...a);
    }) as typeof add;
    c.signal.removeEventListener = ((...a: Parameters<typeof remove>) => {
      removed++;
      remove(...a);
    }) as typeof remove;
    const calls: number[] = [];
    const offs = Array.from({ length: 50 }, (_, i) => onAbort(c.signal, () => calls.push(i)));
    expect(added).toBe(1);
    for (const off of offs.slice(0, 49)) off();
    expect(removed).toBe(0);
    c.abort();
    expect(calls).toEqual([49]);
    offs[49]();
    offs[49]();
    const again = new AbortController();
    const off = onAbort(again.signal, () => calls.push(-1));
    off();
    again.abort();
    expect(calls).toEqual([49]);
  });

  it('a delay past 2^31 − 1 ms waits (setTimeout fired it after 1 ms); Infinity until the signal', async () => {
    vi.useFakeTimers();
    try {
      for (const ms of [2 ** 31, 2 ** 33 + 5]) {
        const c = new AbortController();
        let settled = false;
        const p = sleep(ms, c.signal).then(() => {
          settled = true;
        });
        await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
        expect([ms, settled]).toEqual([ms, false]);
        await vi.advanceTimersByTimeAsync(ms - (2 ** 31 - 1) - 1);
        expect([ms, settled]).toEqual([ms, false]);
        await vi.advanceTimersByTimeAsync(1);
        expect([ms, settled]).toEqual([ms, true]);
        await p;
      }
      const c = new AbortController();
      const forever = sleep(Number.POSITIVE_INFINITY, c.signal).catch((e: unknown) => (e as CoreError).code);
      await vi.advanceTimersByTimeAsync(2 ** 40);
      c.abort();
      expect(await forever).toBe('ABORTED');
    } finally {
      vi.useRealTimers();
    }
  });

  it('many concurrent sleeps on one signal add a single listener', async () => {
    const c = new AbortController();
    let added = 0;
    const add = c.signal.addEventListener.bind(c.signal);
    c.signal.addEventListener = ((...a: Parameters<typeof add>) => {
      added++;
      add(...a);
    }) as typeof add;
    await Promise.all(Array.from({ length: 40 }, () => sleep(5, c.signal)));
    expect(added).toBeLessThanOrEqual(40);
    const before = added;
    const waits = Array.from({ length: 40 }, () => sleep(10_000, c.signal).catch((e: unknown) => e));
    c.abort();
    const errors = await Promise.all(waits);
    expect(added - before).toBe(1);
    expect(errors.every((e) => e instanceof CoreError && e.code === 'ABORTED')).toBe(true);
  });
});
