// The write path's deflate workers: blocks packed into caller-given shared regions come back as views with the same
// bytes as blocks compressed into buffers of their own, and a region too small for a block falls back to one.
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateBound, deflateInto } from '../../src/codecs/zlib-codec.node.js';
import { parallelDeflater } from '../../src/read/decode-pool.node.js';

/** Blocks of three kinds: incompressible (the bound's worst case), smooth, and constant. */
function blocks(): Uint8Array[] {
  let seed = 7;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 24;
  };
  return Array.from({ length: 9 }, (_, k) => {
    const b = new Uint8Array(65536 + 4099 * k);
    for (let i = 0; i < b.length; i++) b[i] = k % 3 === 0 ? random() : k % 3 === 1 ? (i >> 6) & 255 : 42;
    return b;
  });
}

async function compress(output?: (bytes: number) => Uint8Array): Promise<Uint8Array[]> {
  const d = parallelDeflater(2, 6, undefined, output);
  for (const b of blocks()) d.add(b);
  const out = await d.done();
  await d.settled();
  return out;
}

describe('parallel deflater', () => {
  it('packs into shared regions: the same bytes as owned buffers, views of the regions', async () => {
    const own = await compress();
    const regions: Uint8Array[] = [];
    const packed = await compress((n) => {
      const r = new Uint8Array(new SharedArrayBuffer(n));
      regions.push(r);
      return r;
    });
    expect(packed.map((b) => Buffer.from(b).toString('hex'))).toEqual(
      own.map((b) => Buffer.from(b).toString('hex')),
    );
    expect(packed.every((b) => regions.some((r) => r.buffer === b.buffer))).toBe(true);
    for (const [k, b] of blocks().entries())
      expect(inflateSync(packed[k] as Uint8Array).equals(b)).toBe(true);
  });

  it('a region too small for a block: that block comes back in a buffer of its own, the bytes unchanged', async () => {
    const own = await compress();
    const packed = await compress((n) => new Uint8Array(new SharedArrayBuffer(Math.floor(n / 3))));
    expect(packed.map((b) => Buffer.from(b).toString('hex'))).toEqual(
      own.map((b) => Buffer.from(b).toString('hex')),
    );
    expect(packed.some((b) => !(b.buffer instanceof SharedArrayBuffer))).toBe(true);
    expect(packed.some((b) => b.buffer instanceof SharedArrayBuffer)).toBe(true);
  });

  it('deflateBound holds for incompressible blocks; deflateInto writes into the region or returns its own bytes', () => {
    const [noise] = blocks() as [Uint8Array];
    const region = new Uint8Array(deflateBound(noise.byteLength));
    const n = deflateInto(noise, 6, region);
    expect(typeof n).toBe('number');
    expect(n as number).toBeGreaterThan(noise.byteLength); // stored: larger than the input, within the bound
    expect(inflateSync(region.subarray(0, n as number)).equals(noise)).toBe(true);
    const small = deflateInto(noise, 6, new Uint8Array(100));
    expect(small).toBeInstanceOf(Uint8Array);
    expect(inflateSync(small as Uint8Array).equals(noise)).toBe(true);
  });
});
