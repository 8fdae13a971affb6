// Random byte mutations of a file read at 1 and 2 threads: both must end alike (the same pixels or the same typed
// error code), and the outcomes are counted for the caller's assertions.
import { readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { bytesOf } from '../../src/internal/typed-array.js';
import { readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import type { Raster } from '../../src/types.js';
import { rng } from './synthetic.js';

export interface MutationRun {
  /** The file's bytes; each case changes 1–4 random bytes at or after `from` (the first block). */
  original: Uint8Array;
  from: number;
  cases: number;
  seed: number;
  /** Where each mutant is written (overwritten case by case). */
  path: string;
}

/** Outcome counts: `ok` for a read that succeeded, else the error's code. A code-less error fails the test. */
export async function mutationOutcomes(run: MutationRun): Promise<Map<string, number>> {
  const next = rng(run.seed);
  const codes = new Map<string, number>();
  for (let k = 0; k < run.cases; k++) {
    const bytes = run.original.slice();
    const count = 1 + Math.floor(next() * 4);
    for (let m = 0; m < count; m++)
      bytes[run.from + Math.floor(next() * (bytes.length - run.from))] = Math.floor(next() * 256);
    writeFileSync(run.path, bytes);
    const outcome = async (threads: number): Promise<string> => {
      try {
        const r = await readGeoTiffFile(run.path, { threads });
        return `ok ${r.bands.map((b) => Buffer.from(bytesOf(b)).toString('base64')).join(',')}`;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code !== 'string') throw err;
        return code;
      }
    };
    const one = await outcome(1);
    expect(await outcome(2), `case ${k}`).toBe(one);
    const kind = one.split(' ')[0] as string;
    codes.set(kind, (codes.get(kind) ?? 0) + 1);
  }
  return codes;
}

/**
 * `src` written to `path` as a pixel-interleaved deflate file of 256-px tiles with 64 bytes in its middle (inside a
 * tile's deflate stream) overwritten; returns the intact file's bytes.
 */
export async function writeGarbledTiles(path: string, src: Raster): Promise<Buffer> {
  await writePixelTiles(path, src);
  const good = readFileSync(path);
  const bad = Buffer.from(good);
  bad.fill(0xff, bad.length >> 1, (bad.length >> 1) + 64);
  writeFileSync(path, bad);
  return good;
}

/** `src` written to `path` as a pixel-interleaved deflate file of 256-px tiles (the WebAssembly stage's layout). */
export async function writePixelTiles(path: string, src: Raster): Promise<void> {
  await writeGeoTiff(path, src, { compression: 'deflate', tiled: true, tileSize: 256, interleave: 'pixel' });
}
