// Scratch memory kept between reads. A read's stored bytes and the shared bands its workers decode into are
// needed only until the read returns; allocating them fresh each time costs a page fault per 4 KiB touched
// (about 10 µs each on virtual machines: ~45 ms for a 4 × 1054² uint16 read, longer than the decode), which
// the C allocator behind other readers avoids by reusing freed heap memory.

import { isSharedMemory } from '../internal/typed-array.js';

/** Buffers larger than this are never kept (a whole-scene read's bands would pin hundreds of MB). */
const MAX_POOLED_BYTES = 16 * 1024 * 1024;
/** Idle bytes kept per pool; anything given back beyond this is left to the garbage collector. */
const MAX_IDLE_BYTES = 48 * 1024 * 1024;
/** Sizes are rounded up to this so runs of slightly different lengths share buffers. */
const GRAIN = 64 * 1024;

/** A bounded free list of buffers, plain or shared; `take` hands out views, `give` takes their buffers back. */
export class ScratchPool {
  private readonly idle: ArrayBufferLike[] = [];
  private idleBytes = 0;

  constructor(private readonly shared: boolean) {}

  /**
   * A view of `bytes` bytes on an idle buffer (at most twice as large) or a new one. Pooled memory is not
   * cleared: `fresh` is false when the view may hold a previous read's bytes.
   */
  take(bytes: number): { view: Uint8Array; fresh: boolean } {
    let best = -1;
    let bestSize = Number.POSITIVE_INFINITY;
    for (const [i, buffer] of this.idle.entries()) {
      const size = buffer.byteLength;
      if (size >= bytes && size <= 2 * bytes + GRAIN && size < bestSize) [best, bestSize] = [i, size];
    }
    if (best >= 0) {
      const buffer = this.idle.splice(best, 1)[0] as ArrayBufferLike;
      this.idleBytes -= bestSize;
      return { view: new Uint8Array(buffer, 0, bytes), fresh: false };
    }
    const size = bytes > MAX_POOLED_BYTES ? bytes : Math.ceil(bytes / GRAIN) * GRAIN;
    const buffer = this.shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
    return { view: new Uint8Array(buffer, 0, bytes), fresh: true };
  }

  /** Return a view's buffer; nothing may use it afterwards. Too large or too many buffers are dropped. */
  give(view: ArrayBufferView): void {
    const buffer = view.buffer;
    if (buffer.byteLength > MAX_POOLED_BYTES || this.idle.includes(buffer)) return;
    if (isSharedMemory(buffer) !== this.shared) return;
    this.idle.push(buffer);
    this.idleBytes += buffer.byteLength;
    while (this.idleBytes > MAX_IDLE_BYTES) {
      // drop the oldest first: recently used buffers are the ones still mapped in
      this.idleBytes -= (this.idle.shift() as ArrayBufferLike).byteLength;
    }
  }
}

/** Stored bytes of runs decoded on the calling thread. */
export const plainScratch = new ScratchPool(false);
/** Stored bytes and output bands of reads decoded by workers (`SharedArrayBuffer` is checked where used). */
export const sharedScratch = new ScratchPool(typeof SharedArrayBuffer !== 'undefined');
