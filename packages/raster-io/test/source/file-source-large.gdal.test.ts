// Reads of 2 GiB or more from a local file: Node's FileHandle.read aborts the whole process (a native assertion)
// on a length of 2^31 or more, so fileSource reads in pieces; and a strip whose byte count claims 2^31 bytes is
// read as libtiff reads it (cut to 10 × its size + 4096 bytes). Run in child processes on sparse files (no disk).
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readGeoTiffFile } from '../../src/node.js';
import { gdalPixels } from '../support/envi.js';
import { HAS_GDAL } from '../support/gdal.js';
import { assertDistFresh } from '../support/read-child.js';
import { LONG, tinyTiff } from '../support/tiny-tiff.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-large-read-');
const dist = fileURLToPath(new URL('../../dist/node.js', import.meta.url));

/** Run `body` (an async function body with `m`, the built package) in a child Node; its JSON result. */
function inChild(body: string): {
  status: number | null;
  signal: string | null;
  out: unknown;
  stderr: string;
} {
  assertDistFresh();
  const script = `${tmp()}/child-${Math.random().toString(36).slice(2)}.mjs`;
  writeFileSync(
    script,
    `const m = await import(${JSON.stringify(dist)});\n` +
      `const out = await (async () => {\n${body}\n})().catch((e) => ({ threw: e.constructor.name, code: e.code, message: e.message }));\n` +
      'console.log(JSON.stringify(out));\n',
  );
  const { NODE_OPTIONS: _, ...env } = process.env;
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000, env });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return { status: r.status, signal: r.signal, out: line ? JSON.parse(line) : undefined, stderr: r.stderr };
}

describe('reads of 2 GiB or more', () => {
  it('fileSource.read and readInto of 2^31 + 8 bytes return every byte (the process used to abort)', () => {
    // a sparse file of 2^31 + 4096 bytes with markers at the start, across the 1 GiB piece boundary and at the end
    const path = `${tmp()}/sparse.bin`;
    writeFileSync(path, Uint8Array.of(1, 2, 3));
    truncateSync(path, 2 ** 31 + 4096);
    const fd = openSync(path, 'r+');
    writeSync(fd, Uint8Array.of(4, 5), 0, 2, 2 ** 30 - 1);
    writeSync(fd, Uint8Array.of(6, 7), 0, 2, 2 ** 31 + 7);
    closeSync(fd);
    const r = inChild(`
      const src = m.fileSource(${JSON.stringify(path)});
      const at = (b) => [b[0], b[1], b[2], b[2 ** 30 - 2], b[2 ** 30 - 1], b[2 ** 30], b[2 ** 31 + 6], b[2 ** 31 + 7]];
      const b = await src.read(1, 2 ** 31 + 8);
      const read = { length: b.length, bytes: at(b) };
      b.fill(9, 0, 8);
      b.fill(9, 2 ** 30 - 4, 2 ** 30 + 4);
      b.fill(9, 2 ** 31);
      const n = await src.readInto(1, b); // the same 2 GiB again
      const readInto = { n, bytes: at(b) };
      await src.close();
      return { read, readInto };`);
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // bytes 1.. of the file: 2 3 at the start, 4 5 at file offsets 2^30 − 1 / 2^30, 6 7 at 2^31 + 7 / 2^31 + 8
    const want = [2, 3, 0, 4, 5, 0, 6, 7];
    expect(r.out).toEqual({
      read: { length: 2 ** 31 + 8, bytes: want },
      readInto: { n: 2 ** 31 + 8, bytes: want },
    });
  }, 150_000); // the child may take its whole 120 s on a loaded runner (up to 22 s seen)

  it.skipIf(!HAS_GDAL)(
    'a strip whose StripByteCounts claims 2^31 bytes is read as GDAL reads it (libtiff cuts it to 10 × 256 + 4096)',
    async () => {
      const pixels = Uint8Array.from({ length: 256 }, (_, i) => (i * 37) & 255);
      const stored = deflateSync(pixels);
      const tiff = tinyTiff([
        { width: 16, height: 16, compression: 8, strips: [stored], tags: { 279: [LONG, [2 ** 31]] } },
      ]);
      const path = `${tmp()}/bigstrip.tif`;
      writeFileSync(path, tiff);
      truncateSync(path, 8 + 2 ** 31 + 4096); // the strip (at offset 8) "is" there: zeros after its real bytes
      const r = inChild(`
        const ras = await m.readGeoTiffFile(${JSON.stringify(path)});
        return { rssMB: process.resourceUsage().maxRSS / 1024, width: ras.width, pixels: Array.from(ras.bands[0]) };`);
      expect(r.signal).toBeNull();
      expect(r.status).toBe(0);
      expect(r.out).toMatchObject({ width: 16, pixels: Array.from(pixels) });
      expect((r.out as { rssMB: number }).rssMB).toBeLessThan(1024); // 6656 bytes read, not 2 GiB
      const gdal = gdalPixels(path, `${tmp()}/bigstrip.envi`, 'uint8', 16, 16);
      expect(Array.from(gdal[0] as Uint8Array)).toEqual(Array.from(pixels));
      // in this process too, now that it is known not to abort
      expect(Array.from((await readGeoTiffFile(path)).bands[0] as Uint8Array)).toEqual(Array.from(pixels));
    },
  );
});
