import { stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createFolder, folderFailureMessage } from '../src/node.js';
import { tempDir } from './support.js';

class WriteFailed extends Error {
  constructor(
    message: string,
    readonly why: unknown,
  ) {
    super(message);
  }
}
const writeFailed = (message: string, cause: unknown) => new WriteFailed(message, cause);

describe('createFolder', () => {
  it('creates the folder and those above it', async () => {
    const dir = await tempDir();
    await createFolder('output folder', `${dir}/a/b/c`, writeFailed);
    expect((await stat(`${dir}/a/b/c`)).isDirectory()).toBe(true);
  });

  it("turns a file in the way into the caller's error naming the folder, the system code and the reason", async () => {
    const dir = await tempDir();
    await writeFile(`${dir}/afile`, 'x');
    const err = await createFolder('output folder', `${dir}/afile/sub`, writeFailed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteFailed);
    expect((err as WriteFailed).message).toBe(
      `cannot create the output folder ${dir}/afile/sub (ENOTDIR): a file stands at that path or above it; give a folder path`,
    );
    expect(((err as WriteFailed).why as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });

  it('words the other system codes, and errors without one', () => {
    const sys = (code: string) => Object.assign(new Error(code), { code });
    expect(folderFailureMessage('model folder', '/m', sys('ENOSPC'))).toBe(
      'cannot create the model folder /m (ENOSPC): the disk is full',
    );
    expect(folderFailureMessage('model folder', '/m', sys('EROFS'))).toMatch(
      /\(EROFS\): the file system is read-only$/,
    );
    expect(folderFailureMessage('model folder', '/m', sys('EACCES'))).toMatch(
      /no permission to write there$/,
    );
    expect(folderFailureMessage('model folder', '/m', new Error('odd'))).toBe(
      'cannot create the model folder /m (odd): check that the parent folder is writable',
    );
    expect(folderFailureMessage('model folder', '/m', null)).toMatch(/\(null\)/);
  });
});
