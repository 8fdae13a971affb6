import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../src/index.js';
import { readFileBounded } from '../src/node.js';
import { tempDir } from './support.js';

async function failure(p: Promise<unknown>): Promise<CoreError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CoreError);
  return e as CoreError;
}

describe('readFileBounded', () => {
  it('reads a regular file (and one reached through a symlink) whole, empty ones too', async () => {
    const dir = await tempDir();
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff);
    await writeFile(`${dir}/f.bin`, bytes);
    await writeFile(`${dir}/empty`, '');
    await symlink(`${dir}/f.bin`, `${dir}/link`);
    expect((await readFileBounded(`${dir}/f.bin`, { maxBytes: 70_000 })).equals(bytes)).toBe(true);
    expect((await readFileBounded(`${dir}/link`, { maxBytes: 1e6 })).equals(bytes)).toBe(true);
    expect((await readFileBounded(`${dir}/empty`, { maxBytes: 0 })).byteLength).toBe(0);
  });

  it('refuses a missing file, a folder and a file over the cap, naming what and where', async () => {
    const dir = await tempDir();
    await writeFile(`${dir}/big`, new Uint8Array(101));
    await mkdir(`${dir}/folder`);
    const missing = await failure(readFileBounded(`${dir}/nope`, { maxBytes: 10, what: 'saved plan' }));
    expect(missing.code).toBe('FILE_NOT_FOUND');
    expect(missing.message).toBe(`saved plan ${dir}/nope does not exist`);
    const under = await failure(readFileBounded(`${dir}/big/x`, { maxBytes: 10 }));
    expect(under.code).toBe('FILE_NOT_FOUND');
    const folder = await failure(readFileBounded(`${dir}/folder`, { maxBytes: 10, what: 'checkpoint' }));
    expect(folder.code).toBe('UNREADABLE_FILE');
    expect(folder.message).toContain(`checkpoint ${dir}/folder is not a regular file`);
    const big = await failure(readFileBounded(`${dir}/big`, { maxBytes: 100 }));
    expect(big.code).toBe('UNREADABLE_FILE');
    expect(big.message).toBe(`file ${dir}/big is 101 bytes, more than the 100-byte limit`);
    expect((await failure(readFileBounded(`${dir}/big`, { maxBytes: -1 }))).code).toBe('INVALID_ARGUMENT');
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const dir = await tempDir();
    execFileSync('mkfifo', [`${dir}/fifo`]);
    const t0 = Date.now();
    const e = await failure(readFileBounded(`${dir}/fifo`, { maxBytes: 1e6, what: 'points file' }));
    expect(e.code).toBe('UNREADABLE_FILE');
    expect(e.message).toContain(`points file ${dir}/fifo is not a regular file`);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('refuses a device such as /dev/zero (endless bytes) without reading it', async () => {
    const e = await failure(readFileBounded('/dev/zero', { maxBytes: 1e6 }));
    expect(e.code).toBe('UNREADABLE_FILE');
    expect(e.message).toContain('/dev/zero is not a regular file');
  });
});
