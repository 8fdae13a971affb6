// Band planes staged in WebAssembly memory: pixel-interleaved blocks are split there by the SIMD kernel of
// assembly/deinterleave.ts (about 3× the scalar JavaScript split of deinterleave.ts; predictors 2 and 3 are
// undone on the way), and the planes are copied into the output bands in whole rows. WebAssembly cannot write into
// the caller's arrays, so staging full window rows and copying them in long runs is what makes the kernel pay:
// per-row copies out of a block-sized stage cost as much as the scalar split. Codecs that can decode into memory
// of our choosing (libdeflate, libzstd, LZW, libjpeg-turbo, libwebp) decode straight into the stage's block area,
// so the block bytes are not copied in either. Rows go out to the bands as soon as all their blocks are placed, a
// few tile rows at a time, while the planes are still in cache. When blocks come in row order (as writers store
// them), the planes hold only those few block rows and are reused down the window: the stage stays in cache
// instead of adding the window's size.

import { swapBytes } from '../codecs/predictor.js';
import { bytesOf } from '../internal/typed-array.js';
import type { RasterArray } from '../types.js';
import { DEINTERLEAVE_WASM } from './deinterleave-wasm.generated.js';
import { type BlockGeometry, type BlockJob, blockSpan } from './place-block.js';

type BlockSpan = ReturnType<typeof blockSpan>;

/**
 * Largest stage (planes of all bands + a block): planes over a whole window add its size to a read's peak memory,
 * so larger ones split in JavaScript straight into the bands. Planes reused down the window (blocks in row order)
 * hold a few block rows, under this for any window a few thousand pixels wide.
 */
export const STAGE_MAX_BYTES = 64 * 1024 * 1024;
/**
 * Bytes of the block area past the block: a decoder may need room for one byte more than the block to learn that a
 * stream ends with it (Node's LZW through libtiff). A multiple of 16 keeps the planes aligned.
 */
const BLOCK_SLACK = 16;
/** A kernel with more memory than this is dropped after its read rather than kept for the next one. */
const KEEP_BYTES = 32 * 1024 * 1024;
const PAGE = 65536;

/** The module's exports (assembly/deinterleave.ts) over its memory, whose bytes from `base` on are ours. */
interface Kernel {
  memory: WebAssembly.Memory;
  base: number;
  split: (...args: number[]) => void;
  undoHorizontal: (...args: number[]) => void;
  splitFloatPredicted: (...args: number[]) => void;
}

/** A read's staged planes. Use from one read at a time; `release` once the read is over, whatever happened. */
export interface PlaneStage {
  /** The stage's block area (a block and a few bytes more): codecs that can decode into given memory decode here. */
  readonly blockArea: Uint8Array;
  /**
   * Split the block's part of the window into the planes, undoing byte order and predictor on the way; window rows
   * whose blocks are all placed go into `out()` a slab at a time.
   */
  place(g: BlockGeometry, b: BlockJob, data: Uint8Array, out: () => RasterArray[]): void;
  /** Copy the rows not copied yet into the output bands (every block placed). */
  copyTo(bands: RasterArray[]): void;
  release(): void;
}

let compiled: WebAssembly.Module | null | undefined;
const idle: Kernel[] = [];

/**
 * A stage for this read, or null when the JavaScript split applies: blocks that are not compressed plain
 * pixel-interleaved samples of every band in order, a window over {@link STAGE_MAX_BYTES}, no WebAssembly SIMD
 * here, no memory to be had for it, or WORLDSTRAT_WASM=off.
 */
export function openPlaneStage(
  g: BlockGeometry,
  order: StageOrder = { rowOrdered: false },
): PlaneStage | null {
  if (!canStage(g)) return null;
  const rows = planeRows(g, order);
  const planeBytes = g.win.width * rows.count * g.bps;
  const blockRoom = g.blockBytes + BLOCK_SLACK;
  const needed = planeBytes * g.spp + blockRoom;
  if (needed > STAGE_MAX_BYTES) return null;
  const kernel = takeKernel(needed);
  if (!kernel) return null;
  const { memory, base } = kernel;
  const blockArea = new Uint8Array(memory.buffer, base, blockRoom);
  const planes = base + blockRoom;
  const rowBytes = g.bw * g.spp * g.bps;
  const slabs = completedSlabs(g, order.slabBytes ?? SLAB_BYTES, rows.ring);
  const output = order.output ?? { width: g.win.width, x: 0, y: 0 };
  /** Bytes of a window row in a plane, and of a row of the bands. */
  const bytes = g.win.width * g.bps;
  const pitch = output.width * g.bps;
  /** Window rows [from, to), all in the planes now (one stretch of plane rows), into the bands. */
  const copyRows = (bands: RasterArray[], from: number, to: number): void => {
    const at = rows.of(g.win.y + from);
    const start = (output.y + from) * pitch + output.x * g.bps;
    for (const [k, band] of bands.entries()) {
      const plane = new Uint8Array(memory.buffer, planes + k * planeBytes + at * bytes, (to - from) * bytes);
      const dst = bytesOf(band);
      if (pitch === bytes) {
        dst.set(plane, start);
        continue;
      }
      for (let r = 0, d = start; r < to - from; r++, d += pitch)
        dst.set(plane.subarray(r * bytes, (r + 1) * bytes), d);
    }
  };
  /** Rows `rows` of the block from `first` (window pixels from `x0 - bx0`) into the planes from `dst`. */
  const splitRows = (span: BlockSpan, first: number, dst: number, rows: number): void => {
    const { bx0, x0, x1 } = span;
    const { spp, bps } = g;
    if (g.predictor === 3) {
      // byte planes, most significant first whatever the file's byte order
      const { splitFloatPredicted } = kernel;
      splitFloatPredicted(first, rowBytes, dst, bytes, planeBytes, rows, g.bw, x0 - bx0, x1 - x0, spp, bps);
      return;
    }
    if (!g.littleEndian && bps > 1) swapBytes(new Uint8Array(memory.buffer, first, rows * rowBytes), bps);
    // predictor 2 sums from the block's first column: split then sum when the window starts there
    let sum = g.predictor === 2;
    if (sum && x0 > bx0) {
      kernel.undoHorizontal(first, rowBytes, rows, x1 - bx0, spp, bps);
      sum = false;
    }
    const src = first + (x0 - bx0) * spp * bps;
    kernel.split(src, rowBytes, dst, bytes, planeBytes, rows, x1 - x0, spp, bps, sum ? 1 : 0);
  };
  let released = false;
  return {
    blockArea,
    place(g, b, data, out) {
      const span = blockSpan(g, b);
      const { by0, x0, x1, y0, y1 } = span;
      if (x1 > x0 && y1 > y0) {
        // cannot happen: the planes are reused only when the read's blocks come in row order
        if (!slabs.holds(b.row))
          throw new Error(`${g.name}: block row ${b.row} reached the stage out of order`);
        let at = data.byteOffset;
        if (data.buffer !== memory.buffer) {
          // the stage's own copy, which the stages below may change (never the caller's bytes)
          blockArea.set(data.subarray(0, (y1 - by0) * rowBytes));
          at = base;
        }
        const dst = planes + (rows.of(y0) * g.win.width + (x0 - g.win.x)) * g.bps;
        splitRows(span, at + (y0 - by0) * rowBytes, dst, y1 - y0);
      }
      const rowsDone = slabs.placed(b);
      if (rowsDone) copyRows(out(), rowsDone[0], rowsDone[1]);
    },
    copyTo(bands) {
      const rest = slabs.rest();
      if (!rest) return;
      // cannot happen: with reused planes every row has gone out as its ring completed
      if (rows.ring && rest[1] > rest[0] + rows.ring) throw new Error(`${g.name}: staged rows went missing`);
      copyRows(bands, rest[0], rest[1]);
    },
    release() {
      if (released) return;
      released = true;
      if (memory.buffer.byteLength <= KEEP_BYTES && idle.length === 0) idle.push(kernel);
    },
  };
}

/** Window rows copied into the bands at a time, at least (per band): a few tile rows, still in cache. */
const SLAB_BYTES = 256 * 1024;

/** How the read's blocks reach the stage, and where its rows go. */
export interface StageOrder {
  /** Every block of a block row comes before any block of a later row (blocks stored in row order). */
  rowOrdered: boolean;
  /** Smallest copy into the bands, per band (tests set it low to run many slabs through small windows). */
  slabBytes?: number;
  /**
   * The bands are `width` pixels wide and the stage's window starts at their pixel (x, y): a decode worker stages
   * one part of a read's window. Default: the bands are the stage's window.
   */
  output?: { width: number; x: number; y: number };
}

/**
 * Which plane row holds each image row. Blocks in row order reuse planes of `ring` rows (whole block rows, at least
 * a slab): image row y sits at y mod ring, so every block row has one place. Otherwise the planes span the window.
 */
function planeRows(
  g: BlockGeometry,
  order: StageOrder,
): { count: number; ring: number; of: (y: number) => number } {
  const { win, bh } = g;
  const slabRows = Math.ceil((order.slabBytes ?? SLAB_BYTES) / (win.width * g.bps));
  const ring = Math.max(1, Math.ceil(slabRows / bh)) * bh;
  const oneRing = Math.floor(win.y / ring) === Math.floor((win.y + win.height - 1) / ring);
  if (!order.rowOrdered || oneRing) return { count: win.height, ring: 0, of: (y) => y - win.y };
  return { count: ring, ring, of: (y) => y % ring };
}

/**
 * Which window rows are complete as blocks are placed: `placed` returns the rows to copy into the bands now (every
 * block of them placed, at least `slabBytes` per band or the window's last), `rest` the rows not copied yet.
 * Blocks usually come in rows (file order), so the planes go out a slab at a time while still in cache. With a
 * `ring` (planes of that many rows, reused), rows go out as each ring's worth is complete, before the next ring's
 * blocks may overwrite it, and `holds` says whether a block row belongs to the ring being filled.
 */
function completedSlabs(g: BlockGeometry, slabBytes: number, ring: number) {
  const { win, bw, bh } = g;
  const firstRow = Math.floor(win.y / bh);
  const blockRows = Math.floor((win.y + win.height - 1) / bh) - firstRow + 1;
  const blockCols = Math.floor((win.x + win.width - 1) / bw) - Math.floor(win.x / bw) + 1;
  const left = new Int32Array(blockRows).fill(blockCols);
  let ready = 0; // block rows [0, ready) have every block placed
  let copied = 0; // window rows [0, copied) are in the bands
  /** The window row where the ring holding window row `from` ends. */
  const ringEnd = (from: number) =>
    Math.min(win.height, (Math.floor((win.y + from) / ring) + 1) * ring - win.y);
  return {
    holds(row: number): boolean {
      return ring === 0 || Math.floor((row * bh) / ring) === Math.floor((win.y + copied) / ring);
    },
    placed(b: BlockJob): [number, number] | null {
      const r = b.row - firstRow;
      if (r < 0 || r >= blockRows || --(left[r] as number) !== 0) return null;
      left[r] = 0;
      while (ready < blockRows && left[ready] === 0) ready++;
      const upTo = Math.min(win.height, (firstRow + ready) * bh - win.y);
      const due = ring ? upTo >= ringEnd(copied) : (upTo - copied) * win.width * g.bps >= slabBytes;
      if (upTo < win.height && !due) return null;
      const rows: [number, number] = [copied, upTo];
      copied = upTo;
      return upTo > rows[0] ? rows : null;
    },
    rest(): [number, number] | null {
      const rows: [number, number] = [copied, win.height];
      copied = win.height;
      return rows[1] > rows[0] ? rows : null;
    },
  };
}

/** Whether reads of this geometry may be staged (the stage may still be refused for its size or for memory). */
export function canStage(g: BlockGeometry): boolean {
  return stageable(g) && !wasmDisabled();
}

/**
 * Plain whole-byte samples of every band, in order, pixel-interleaved, without a predictor, with predictor 2
 * (integer sums: libtiff's for every sample width) or with predictor 3 on 32- and 64-bit floats, compressed. JPEG
 * and WEBP blocks qualify: their decoders hand over 8-bit samples interleaved so (JPEG's YCbCr converted to RGB).
 * Uncompressed blocks keep their direct split out of the bytes read: staged, every byte moves three times (read
 * buffer → stage → planes → bands) for no gain (a 4 × 1054² uint16 read into kept arrays: 2.3 ms either way).
 */
function stageable(g: BlockGeometry): boolean {
  const decoded = g.compression !== 1;
  const plain = !g.ycbcr && !g.halfFloat && !g.float24 && !g.nbits && !g.lerc && !g.ccitt;
  const inOrder = g.bands.length === g.spp && g.bands.every((band, slot) => band === slot);
  const predictor = g.predictor === 1 || g.predictor === 2 || (g.predictor === 3 && g.bps >= 4);
  return decoded && plain && g.spp >= 2 && inOrder && predictor && [1, 2, 4, 8].includes(g.bps);
}

function wasmDisabled(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.WORLDSTRAT_WASM === 'off';
}

/**
 * An idle kernel with at least `bytes` free after its base, or a new one. Memory is never grown: growing detaches
 * the old ArrayBuffer, and one detach anywhere in the process makes V8 check every typed array access for it from
 * then on (measured: the LZW decoder 10–15 % slower). A kernel too small is dropped for a new one instead.
 */
function takeKernel(bytes: number): Kernel | null {
  const kept = idle.pop();
  if (kept && kept.base + bytes <= kept.memory.buffer.byteLength) return kept;
  return newKernel(bytes);
}

function newKernel(bytes: number): Kernel | null {
  if (compiled === undefined) compiled = compile();
  if (!compiled) return null;
  let memory: WebAssembly.Memory;
  let exports: Pick<Kernel, 'split' | 'undoHorizontal' | 'splitFloatPredicted'> & { heapBase: () => number };
  try {
    // room for the module's own data below its heap base (a few bytes: it has no static data beyond constants)
    memory = new WebAssembly.Memory({ initial: Math.ceil((bytes + PAGE) / PAGE) });
    exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as typeof exports;
  } catch {
    return null; // no memory for the stage (the JavaScript split needs none), or an engine that refuses it
  }
  const base = exports.heapBase();
  if (base + bytes > memory.buffer.byteLength) return null;
  const { split, undoHorizontal, splitFloatPredicted } = exports;
  return { memory, base, split, undoHorizontal, splitFloatPredicted };
}

/** The kernel's module, or null where WebAssembly or its SIMD instructions are missing. */
function compile(): WebAssembly.Module | null {
  try {
    if (typeof WebAssembly === 'undefined' || typeof atob !== 'function') return null;
    const bytes = Uint8Array.from(atob(DEINTERLEAVE_WASM), (c) => c.charCodeAt(0));
    if (!WebAssembly.validate(bytes)) return null;
    return new WebAssembly.Module(bytes);
  } catch {
    return null;
  }
}
