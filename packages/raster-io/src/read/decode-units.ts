// How a parallel read's blocks are shared among decode workers: each worker claims a unit of blocks at a time from
// a shared counter. Blocks placed one by one go in runs of consecutive blocks. Blocks split through a WebAssembly
// stage (wasm-stage.ts) go in rectangles of whole blocks, so a worker's stage holds long rows of the window and
// copies them out in long runs: a stage per block would copy out a tile's short rows one by one, which costs as
// much as the split in JavaScript it replaces.

import { type BlockGeometry, type BlockJob, blockSpan } from './place-block.js';
import { openPlaneStage, type PlaneStage } from './wasm-stage.js';

/** A task's blocks in claim order: unit `u` is `blocks[starts[u]]` up to `blocks[starts[u + 1]]`. */
export interface DecodeUnits {
  blocks: BlockJob[];
  starts: number[];
}

/** Decoded bytes a worker takes at a time when it places blocks one by one: whole tiles, strips a few dozen rows. */
const CLAIM_BYTES = 1 << 17;
/** Most decoded bytes in one staged unit of whole block rows joined down the window (its planes hold that much). */
const STAGED_UNIT_BYTES = 1 << 20;
/**
 * Most decoded bytes in one staged unit cut from a block row, unless it is a single block: every worker keeps a
 * stage of its largest unit's size for later reads, so wide windows are cut rather than staged whole.
 */
const STAGED_UNIT_MAX_BYTES = 4 << 20;

/** Runs of consecutive blocks, in the order given (the file's), of about {@link CLAIM_BYTES} decoded. */
export function blockRuns(blocks: BlockJob[]): DecodeUnits {
  const mean = decodedBytes(blocks) / Math.max(1, blocks.length);
  const chunk = Math.max(
    1,
    Math.min(Math.floor(CLAIM_BYTES / Math.max(1, mean)), Math.ceil(blocks.length / 16)),
  );
  const starts: number[] = [];
  for (let i = 0; i < blocks.length; i += chunk) starts.push(i);
  starts.push(blocks.length);
  return { blocks, starts };
}

/**
 * Rectangles of whole blocks for workers that stage their blocks. Block rows go whole (a unit as wide as the window
 * copies each band's rows out in one run; a cut one copies them row by row, which cost a 2-thread read of a tiled
 * 4 × 1054² uint16 file ~1 ms per worker), cut into near-equal runs of adjacent columns only where a row decodes to
 * more than {@link STAGED_UNIT_MAX_BYTES} and in the last rows, so that the workers end together: the last
 * `threads` rows are cut into two units per thread among them. Runs over the same columns in adjacent rows
 * are then joined while there are at least four units per thread and each holds at most {@link STAGED_UNIT_BYTES}.
 * Blocks of planar reads (one band each) go in {@link blockRuns}.
 */
export function stagedUnits(blocks: BlockJob[], threads: number): DecodeUnits {
  if (blocks.some((b) => b.slot >= 0)) return blockRuns(blocks);
  const segments = cutRows(rowSegments(blocks), threads);
  const perUnit = Math.max(1, Math.floor(segments.length / (4 * threads)));
  const units: { blocks: BlockJob[]; rows: number; bytes: number }[] = [];
  let last: (typeof units)[number] | undefined;
  for (const seg of segments) {
    const first = seg[0] as BlockJob;
    const bytes = decodedBytes(seg);
    const prev = last?.blocks[last.blocks.length - 1];
    // the unit's last row spans the same columns, in the row above
    const below =
      last !== undefined &&
      prev !== undefined &&
      first.row === prev.row + 1 &&
      seg.length * last.rows === last.blocks.length &&
      (last.blocks[last.blocks.length - seg.length] as BlockJob).col === first.col &&
      prev.col === (seg[seg.length - 1] as BlockJob).col;
    if (last && below && last.rows < perUnit && last.bytes + bytes <= STAGED_UNIT_BYTES) {
      last.blocks.push(...seg);
      last.rows++;
      last.bytes += bytes;
    } else {
      last = { blocks: [...seg], rows: 1, bytes };
      units.push(last);
    }
  }
  const starts = [0];
  for (const u of units) starts.push((starts[starts.length - 1] as number) + u.blocks.length);
  return { blocks: units.flatMap((u) => u.blocks), starts };
}

function decodedBytes(blocks: readonly BlockJob[]): number {
  let n = 0;
  for (const b of blocks) n += b.expected;
  return n;
}

/** Each block row's blocks in column order, cut where a column is missing. */
function rowSegments(blocks: BlockJob[]): BlockJob[][] {
  const sorted = [...blocks].sort((a, b) => a.row - b.row || a.col - b.col);
  const segments: BlockJob[][] = [];
  let seg: BlockJob[] = [];
  for (const b of sorted) {
    const prev = seg[seg.length - 1];
    if (prev && (prev.row !== b.row || prev.col + 1 !== b.col)) {
      segments.push(seg);
      seg = [];
    }
    seg.push(b);
  }
  if (seg.length > 0) segments.push(seg);
  return segments;
}

/**
 * Segments cut into near-equal parts of at most {@link STAGED_UNIT_MAX_BYTES} (or one block each), and the last ones
 * further, a part at a time from the end, until the last `threads` segments (more where they have too few blocks)
 * hold `2 × threads` units: the workers then end on short units together instead of one waiting on another's row.
 */
function cutRows(segments: BlockJob[][], threads: number): BlockJob[][] {
  const n = segments.length;
  const parts = segments.map((seg) =>
    Math.min(seg.length, Math.max(1, Math.ceil(decodedBytes(seg) / STAGED_UNIT_MAX_BYTES))),
  );
  const want = Math.min(
    2 * threads,
    segments.reduce((sum, seg) => sum + seg.length, 0),
  );
  let span = 0;
  let tail = 0;
  const widen = (): void => {
    const to = Math.min(n, span + threads);
    for (let i = n - 1 - span; i >= n - to; i--) tail += parts[i] as number;
    span = to;
  };
  widen();
  while (tail < want) {
    let grew = false;
    for (let i = n - 1; i >= n - span && tail < want; i--) {
      if ((parts[i] as number) < (segments[i] as BlockJob[]).length) {
        parts[i] = (parts[i] as number) + 1;
        tail++;
        grew = true;
      }
    }
    if (!grew) widen(); // every segment whole blocks already: span grows until it holds `want` blocks
  }
  return segments.flatMap((seg, i) => {
    const k = parts[i] as number;
    return Array.from({ length: k }, (_, j) =>
      seg.slice(Math.floor((j * seg.length) / k), Math.floor(((j + 1) * seg.length) / k)),
    );
  });
}

/**
 * A stage for one unit of {@link stagedUnits} and its geometry: over the part of the read's window its blocks
 * cover, writing rows into the read's bands at their place. Null when the unit covers no pixel or the stage is
 * refused (see `openPlaneStage`).
 */
export function openUnitStage(
  g: BlockGeometry,
  unit: readonly BlockJob[],
): { g: BlockGeometry; stage: PlaneStage } | null {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const b of unit) {
    const s = blockSpan(g, b);
    x0 = Math.min(x0, s.x0);
    y0 = Math.min(y0, s.y0);
    x1 = Math.max(x1, s.x1);
    y1 = Math.max(y1, s.y1);
  }
  if (!(x1 > x0 && y1 > y0)) return null;
  const part: BlockGeometry = { ...g, win: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } };
  const stage = openPlaneStage(part, {
    rowOrdered: true,
    output: { width: g.win.width, x: x0 - g.win.x, y: y0 - g.win.y },
  });
  return stage ? { g: part, stage } : null;
}
