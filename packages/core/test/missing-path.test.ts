import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isMissingPathError } from '../src/node.js';
import { tempDir } from './support.js';

/** What `p` rejected with (the test fails if it resolved). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.unreachable('expected a rejection'),
    (err: unknown) => err,
  );
}

describe('isMissingPathError', () => {
  it('is true for what node:fs throws when nothing is at the path: ENOENT and ENOTDIR', async () => {
    const dir = await tempDir();
    await writeFile(`${dir}/file.tif`, 'x');
    const absent = await rejection(stat(`${dir}/absent.tif`));
    expect((absent as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(isMissingPathError(absent)).toBe(true);
    expect(isMissingPathError(await rejection(open(`${dir}/no/such/folder.tif`, 'r')))).toBe(true);
    // a path through a regular file
    const through = await rejection(open(`${dir}/file.tif/inner`, 'r'));
    expect((through as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect(isMissingPathError(through)).toBe(true);
  });

  it('is false for every other failure, and for values that are no system error', async () => {
    const dir = await tempDir();
    await mkdir(`${dir}/folder`);
    const folder = await rejection(readFile(`${dir}/folder`));
    expect((folder as NodeJS.ErrnoException).code).toBe('EISDIR');
    expect(isMissingPathError(folder)).toBe(false);
    for (const code of ['EACCES', 'EIO', 'EMFILE', 'enoent', ''])
      expect(isMissingPathError(Object.assign(new Error(code), { code }))).toBe(false);
    for (const value of [undefined, null, 0, 'ENOENT', {}, { code: 2 }, new Error('ENOENT')])
      expect(isMissingPathError(value)).toBe(false);
  });
});
