// Nothing this thread owns is ever detached by the worker pool: one detached ArrayBuffer makes V8 check every
// typed-array access of the thread from then on (LZW reads measured 13 % slower), so work goes to the workers
// in shared memory or as copies, never as transferred buffers.
import { Worker } from 'node:worker_threads';
import { afterEach, expect, it, vi } from 'vitest';
import { readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-nodetach-');

afterEach(() => {
  vi.restoreAllMocks();
});

it('threads 2 writes and reads post no transfer list from this thread', async () => {
  const transfers: unknown[][] = [];
  const post = Worker.prototype.postMessage;
  vi.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (this: Worker, msg, list) {
    if (list && (list as unknown[]).length > 0) transfers.push([...(list as unknown[])]);
    return post.call(this, msg, list as never);
  });
  const raster = syntheticRaster('uint16', 700, 500, 3, 8);
  const path = `${tmp()}/t.tif`;
  // plain (not shared) strips, each the whole of its buffer: what the pool used to transfer
  await writeGeoTiff(path, raster, { compression: 'deflate', rowsPerStrip: 500, threads: 2 });
  await writeGeoTiff(path, raster, {
    cog: true,
    compression: 'deflate',
    predictor: true,
    threads: 2,
  });
  const back = await readGeoTiffFile(path, { threads: 2 });
  expect(back.bands[2]).toEqual(raster.bands[2]);
  expect(raster.bands.every((b) => b.byteLength === 700 * 500 * 2)).toBe(true);
  expect(Worker.prototype.postMessage).toHaveBeenCalled();
  expect(transfers).toEqual([]);
});
