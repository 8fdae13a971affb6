// createCogWriter's `signal` and abort(): honoured up to the atomic rename (close() rejects ABORTED, the destination
// keeps its previous content), the temporary files are removed as soon as the signal fires, and a rejection with
// ABORTED comes only once they are gone. node:fs/promises is wrapped so a test can abort at an exact step.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { type DType, RasterIoError } from '../../src/index.js';
import { createCogWriter, readGeoTiffFile } from '../../src/node.js';
import { useTmpDir } from '../support/tmp.js';

const hooks = vi.hoisted(() => ({
  /** Runs once `open()` resolved, with the path opened. */
  afterOpen: undefined as ((path: string) => void) | undefined,
  /** Runs when `rename()` is called, before the rename itself. */
  beforeRename: undefined as (() => void) | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof fs.open = async (...args) => {
    const fh = await fs.open(...args);
    hooks.afterOpen?.(String(args[0]));
    return fh;
  };
  const rename: typeof fs.rename = async (from, to) => {
    hooks.beforeRename?.();
    return fs.rename(from, to);
  };
  return { ...fs, default: { ...fs, open, rename }, open, rename };
});

const tmp = useTmpDir('cog-writer-abort-');
const opts = {
  width: 64,
  height: 40,
  bands: 2,
  dtype: 'float32' as DType,
  tileSize: 256 as const,
  overviews: [2],
};
const rows = (n: number): Float32Array[] => [
  new Float32Array(64 * n).fill(3),
  new Float32Array(64 * n).fill(4),
];

/** A fresh folder holding `out.tif` with previous content; `temps()` lists the writer's temporary files there. */
function setup(): { path: string; temps: () => string[] } {
  const dir = mkdtempSync(join(tmp(), 'case-'));
  const path = join(dir, 'out.tif');
  writeFileSync(path, 'previous output');
  return { path, temps: () => readdirSync(dir).filter((f) => f.startsWith('out.tif.')) };
}

/** The rejection of `p` (fails when it resolves), with what the folder held the moment it arrived. */
async function rejection<T>(
  p: Promise<T>,
  temps: () => string[],
): Promise<{ code: string; temps: string[] }> {
  return p.then(
    (v) => {
      throw new Error(`resolved with ${String(v)}`);
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(RasterIoError);
      return { code: (e as RasterIoError).code, temps: temps() };
    },
  );
}

describe('createCogWriter signal and abort()', () => {
  it('a signal aborted while close() is pending: ABORTED, after the cleanup; the destination untouched', async () => {
    const { path, temps } = setup();
    const ac = new AbortController();
    const w = await createCogWriter(path, { ...opts, signal: ac.signal });
    await w.writeRows(0, rows(40));
    const closing = w.close();
    ac.abort();
    expect(await rejection(closing, temps)).toEqual({ code: 'ABORTED', temps: [] });
    expect(readFileSync(path, 'utf8')).toBe('previous output');
  });

  it('a signal aborted mid-layout (the temporary COG already open) still stops the write', async () => {
    const { path, temps } = setup();
    const ac = new AbortController();
    const w = await createCogWriter(path, { ...opts, signal: ac.signal });
    await w.writeRows(0, rows(40));
    hooks.afterOpen = (p) => {
      if (p.endsWith('.tmp') && !p.endsWith('.blocks.tmp')) ac.abort();
    };
    try {
      expect(await rejection(w.close(), temps)).toEqual({ code: 'ABORTED', temps: [] });
    } finally {
      hooks.afterOpen = undefined;
    }
    expect(readFileSync(path, 'utf8')).toBe('previous output');
  });

  it('abort() mid-layout: close() rejects ABORTED, the destination untouched, no temporary file', async () => {
    const { path, temps } = setup();
    const w = await createCogWriter(path, opts);
    await w.writeRows(0, rows(40));
    let aborting: Promise<void> | undefined;
    hooks.afterOpen = (p) => {
      if (p.endsWith('.tmp') && !p.endsWith('.blocks.tmp')) aborting = w.abort();
    };
    try {
      expect(await rejection(w.close(), temps)).toEqual({ code: 'ABORTED', temps: [] });
    } finally {
      hooks.afterOpen = undefined;
    }
    await aborting;
    expect(readFileSync(path, 'utf8')).toBe('previous output');
  });

  it('a signal aborted once the rename is issued: close() resolves, the new file stands', async () => {
    const { path, temps } = setup();
    const ac = new AbortController();
    const w = await createCogWriter(path, { ...opts, signal: ac.signal });
    await w.writeRows(0, rows(40));
    hooks.beforeRename = () => ac.abort();
    let size: number;
    try {
      size = await w.close();
    } finally {
      hooks.beforeRename = undefined;
    }
    expect(ac.signal.aborted).toBe(true); // the hook ran: the abort came after the rename was issued
    expect(size).toBe(readFileSync(path).byteLength);
    const back = await readGeoTiffFile(path);
    expect([back.width, back.height, back.bands.length]).toEqual([64, 40, 2]);
    expect(Array.from((back.bands[1] as Float32Array).subarray(0, 3))).toEqual([4, 4, 4]);
    expect(temps()).toEqual([]);
    await w.abort(); // nothing left to drop
    expect(readFileSync(path).byteLength).toBe(size);
  });

  it('a signal aborted between writes removes the temporary files with no further call', async () => {
    const { path, temps } = setup();
    const ac = new AbortController();
    const w = await createCogWriter(path, { ...opts, signal: ac.signal });
    await w.writeRows(0, rows(20));
    expect(temps().length).toBe(1); // the parked blocks
    ac.abort();
    await vi.waitFor(() => expect(temps()).toEqual([]), { timeout: 15_000, interval: 5 });
    expect(readFileSync(path, 'utf8')).toBe('previous output');
  });

  it('the call after an aborted signal rejects ABORTED only once the temporary files are gone', async () => {
    const { path, temps } = setup();
    const ac = new AbortController();
    const w = await createCogWriter(path, { ...opts, signal: ac.signal });
    await w.writeRows(0, rows(20));
    ac.abort();
    expect(await rejection(w.writeRows(20, rows(20)), temps)).toEqual({ code: 'ABORTED', temps: [] });
    expect(await rejection(w.close(), temps)).toEqual({ code: 'ABORTED', temps: [] });
    expect(readFileSync(path, 'utf8')).toBe('previous output');
  });

  it('a signal aborted while blocks are being parked: that writeRows rejects ABORTED after the cleanup', async () => {
    const { path, temps } = setup();
    const ac = new AbortController();
    const w = await createCogWriter(path, { ...opts, signal: ac.signal });
    const writing = w.writeRows(0, rows(40));
    ac.abort();
    expect(await rejection(writing, temps)).toEqual({ code: 'ABORTED', temps: [] });
    expect(readFileSync(path, 'utf8')).toBe('previous output');
  });

  it('an already aborted signal: createCogWriter rejects ABORTED and creates no file', async () => {
    const { path, temps } = setup();
    const ac = new AbortController();
    ac.abort();
    expect(await rejection(createCogWriter(path, { ...opts, signal: ac.signal }), temps)).toEqual({
      code: 'ABORTED',
      temps: [],
    });
  });
});
