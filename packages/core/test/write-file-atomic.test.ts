import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../src/index.js';
import { writeFileAtomic } from '../src/node.js';
import { tempDir } from './support.js';

describe('writeFileAtomic', () => {
  it('writes bytes and text, creating parent folders, and replaces an existing file leaving no temp file', async () => {
    const dir = await tempDir();
    await writeFileAtomic(`${dir}/a/b/f.bin`, new Uint8Array([1, 2, 3]));
    expect([...(await readFile(`${dir}/a/b/f.bin`))]).toEqual([1, 2, 3]);
    await writeFileAtomic(`${dir}/a/b/f.bin`, 'héllo');
    expect(await readFile(`${dir}/a/b/f.bin`, 'utf8')).toBe('héllo');
    expect(await readdir(`${dir}/a/b`)).toEqual(['f.bin']);
  });

  it('writes pieces back to back, more than one iovec batch of them, empty ones included', async () => {
    const dir = await tempDir();
    // 3000 pieces: over Linux's 1024-iovec limit for one writev
    const pieces = Array.from({ length: 3000 }, (_, i) => new Uint8Array(i % 7).fill(i % 251));
    const big = new Uint8Array(300_000).map((_, i) => i % 13);
    pieces.splice(1500, 0, big.subarray(5, 250_000));
    await writeFileAtomic(`${dir}/p.bin`, pieces);
    const want = Buffer.concat(pieces);
    expect(want.byteLength).toBeGreaterThan(250_000);
    expect((await readFile(`${dir}/p.bin`)).equals(want)).toBe(true);
    expect(await readdir(dir)).toEqual(['p.bin']);
  });

  it('fails with WRITE_FAILED naming the path, keeps the old file and removes its temp file', async () => {
    const dir = await tempDir();
    await mkdir(`${dir}/ro`);
    await writeFile(`${dir}/ro/keep.txt`, 'old');
    // the target is a folder: rename over it fails after the temp file was written
    await mkdir(`${dir}/ro/target`);
    const err = await writeFileAtomic(`${dir}/ro/target`, 'new').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).code).toBe('WRITE_FAILED');
    expect((err as CoreError).message).toContain(`${dir}/ro/target: write failed`);
    expect((await readdir(`${dir}/ro`)).sort()).toEqual(['keep.txt', 'target']);
    expect(await readFile(`${dir}/ro/keep.txt`, 'utf8')).toBe('old');
  });
});
