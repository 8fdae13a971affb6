// How a read groups adjacent blocks into source reads: one read per run of neighbours, split into reads of about
// the source's preferredReadBytes (files: decoding the first piece overlaps reading the next; the first piece is
// smaller, as decoding waits for it), never splitting a block, with the same pixels either way.
import { describe, expect, it } from 'vitest';
import { type ByteSource, encodeGeoTiff, memorySource, openGeoTiff, readRaster } from '../../src/index.js';
import { syntheticRaster } from '../support/synthetic.js';

/** Band-by-band byte equality (vitest's deep equality is slow on 360 k-element arrays). */
const samePixels = (a: ArrayBufferView[], b: ArrayBufferView[]) =>
  a.length === b.length &&
  a.every((x, i) => {
    const y = b[i] as ArrayBufferView;
    return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(
      Buffer.from(y.buffer, y.byteOffset, y.byteLength),
    );
  });

/** A memory source that records the (offset, length) of every read. */
function countingSource(bytes: Uint8Array, preferredReadBytes?: number) {
  const inner = memorySource(bytes, 'runs.tif');
  const reads: [number, number][] = [];
  const source: ByteSource = {
    name: inner.name,
    size: inner.size,
    preferredReadBytes,
    read(offset, length, signal) {
      reads.push([offset, length]);
      return inner.read(offset, length, signal);
    },
  };
  return { source, reads };
}

describe('block runs and preferredReadBytes', () => {
  const raster = syntheticRaster('uint16', 600, 600, 2, 5);
  // 256-px tiles, no compression, band-separate: 18 tiles of 128 KiB stored back to back
  const file = encodeGeoTiff(raster, { tiled: true, tileSize: 256, compression: 'none' });

  async function readWith(preferred?: number) {
    const { source, reads } = countingSource(file, preferred);
    const tiff = await openGeoTiff(source);
    const before = reads.length; // header and IFD reads
    const result = await readRaster(tiff);
    return { result, blockReads: reads.slice(before) };
  }

  it('reads all adjacent blocks in one piece when the source sets no preference', async () => {
    const { result, blockReads } = await readWith();
    expect(blockReads).toHaveLength(1);
    expect(samePixels(result.bands, raster.bands)).toBe(true);
  });

  it('splits the run into reads of at most preferredReadBytes, covering every block once', async () => {
    const { result, blockReads } = await readWith(600_000);
    expect(samePixels(result.bands, raster.bands)).toBe(true);
    // the first read is capped at a quarter (150 000 bytes: one 128 KiB tile) so decoding starts sooner; four
    // tiles fit in 600 000 bytes, so the other 17 take 5 reads
    expect(blockReads).toHaveLength(6);
    expect(blockReads[0]?.[1]).toBe(256 * 256 * 2);
    for (const [, length] of blockReads) expect(length).toBeLessThanOrEqual(600_000);
    const sorted = [...blockReads].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) {
      const [prevOffset, prevLength] = sorted[i - 1] as [number, number];
      expect((sorted[i] as [number, number])[0]).toBe(prevOffset + prevLength); // contiguous, no overlap
    }
  });

  it('still reads a block larger than the preference whole', async () => {
    const { result, blockReads } = await readWith(1000);
    expect(samePixels(result.bands, raster.bands)).toBe(true);
    expect(blockReads).toHaveLength(18);
    for (const [, length] of blockReads) expect(length).toBe(256 * 256 * 2);
  });
});
