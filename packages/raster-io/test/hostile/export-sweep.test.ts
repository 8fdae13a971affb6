// Every function raster-io exports, called with argument shapes JavaScript callers and JSON configs produce by
// mistake (nothing, null, an empty object, a string, a number, NaN, an array, bytes, a function): each call ends
// in a result or a RasterIoError, never a plain TypeError/RangeError and never a hang. Iterates over the entry
// points, so a new export is covered without editing this file.
import { CoreError } from '@worldstrat/core';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { RasterIoError } from '../../src/index.js';
import * as nodeApi from '../../src/node.js';

const SHAPES: readonly unknown[][] = [
  [],
  [undefined],
  [null],
  [{}],
  [42],
  [[]],
  [Number.NaN, Number.NaN],
  [{ a: 1 }, null],
  [new Uint8Array(4)],
  [() => 1],
  [{}, {}],
];
// String arguments only where no function takes a path: a string could name a file to create in the cwd.
const WITH_STRINGS: readonly unknown[][] = [['x'], ['x', 'x'], ['not a url', {}]];
const NODE_ONLY = new Set(Object.keys(nodeApi).filter((k) => !(k in api)));
const CALL_MS = 15_000; // a hang guard: generous, a loaded runner is slow but never this slow

/** What one call ends in: 'ok', a typed code, or a description of the plain error / hang. */
async function outcome(fn: (...a: unknown[]) => unknown, args: unknown[]): Promise<string> {
  try {
    const r = fn(...args);
    if (r && typeof (r as Promise<unknown>).then === 'function') {
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CALL_MS} ms`)), CALL_MS);
      });
      try {
        await Promise.race([r, hang]);
      } finally {
        clearTimeout(timer);
      }
    }
    return 'ok';
  } catch (e) {
    if (e instanceof RasterIoError && api.RASTER_IO_ERROR_CODES.includes(e.code)) return e.code;
    // core's functions raster-io re-exports (utmProj4) and core's file reads throw core's typed error
    if (e instanceof CoreError) return e.code;
    return `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`;
  }
}

describe('every exported function against hostile argument shapes', () => {
  const functions = Object.entries(nodeApi).filter(
    ([name, v]) => typeof v === 'function' && !/^[A-Z]/.test(name), // classes are constructed, not called
  ) as [string, (...a: unknown[]) => unknown][];

  it('covers the entry points (not vacuous)', () => {
    expect(functions.length).toBeGreaterThan(40);
    expect(functions.map(([n]) => n)).toEqual(
      expect.arrayContaining(['openGeoTiff', 'writeGeoTiff', 'httpSource']),
    );
  });

  it.each(functions.map(([n]) => n))('%s: a result or a RasterIoError', async (name) => {
    const fn = (nodeApi as unknown as Record<string, (...a: unknown[]) => unknown>)[name] as (
      ...a: unknown[]
    ) => unknown;
    const shapes = NODE_ONLY.has(name) ? SHAPES : [...SHAPES, ...WITH_STRINGS];
    const bad: string[] = [];
    for (const args of shapes) {
      const o = await outcome(fn, args);
      if (o !== 'ok' && !/^[A-Z_]+$/.test(o))
        bad.push(`${name}(${args.map((a) => typeof a).join(', ')}): ${o}`);
    }
    expect(bad).toEqual([]);
  });

  it('names the function and the argument in the message', async () => {
    expect(await outcome(api.httpSource as never, [42])).toBe('INVALID_ARGUMENT');
    const err = (() => {
      try {
        api.httpSource(42 as never);
      } catch (e) {
        return e as RasterIoError;
      }
    })();
    expect(err?.message).toBe('httpSource: url must be a string, got 42');
    await expect(api.openGeoTiff(null as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message:
        'openGeoTiff: input (a ByteSource or the file bytes) must be a Uint8Array or an ArrayBuffer, got null',
    });
    expect(() => api.redactUrl(undefined as never)).toThrow('redactUrl: url must be a string, got undefined');
    expect(() => api.urlSecrets(null as never)).toThrow('urlSecrets: url must be a string, got null');
    expect(() => api.splitUrlCredentials(42 as never)).toThrow(
      'splitUrlCredentials: url must be a string, got 42',
    );
  });
});
