// apache-arrow is an optional peer: without it, CSV and GeoJSON AOI files still work and an Arrow file fails
// with a typed error that names the file and the install command (no untyped module-not-found crash).
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.mock('apache-arrow', () => {
  throw new Error("Cannot find package 'apache-arrow'");
});

describe('AOI files without the optional apache-arrow peer', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes and reads CSV, and names the file and the install command for .arrow', async () => {
    const { createAoi, readAoisFile, writeAoisFile, GeoSamplingError } = await import('../src/node.js');
    dir = await mkdtemp(join(tmpdir(), 'geo-sampling-no-arrow-'));
    const aois = [createAoi({ name: 'a', lon: 13.4, lat: 52.5 }, 2.5)];
    await writeAoisFile(join(dir, 'aois.csv'), aois);
    expect((await readAoisFile(join(dir, 'aois.csv')))[0]?.name).toBe('a');

    const target = join(dir, 'aois.arrow');
    const err = await writeAoisFile(target, aois).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GeoSamplingError);
    expect((err as InstanceType<typeof GeoSamplingError>).code).toBe('MISSING_PEER');
    expect((err as Error).message).toContain(target);
    expect((err as Error).message).toContain('npm install apache-arrow@21');
    // nothing half-written
    expect((await readdir(dir)).sort()).toEqual(['aois.csv']);

    await writeFile(target, new Uint8Array([1, 2, 3]));
    await expect(readAoisFile(target)).rejects.toMatchObject({ code: 'MISSING_PEER' });
  });
});
