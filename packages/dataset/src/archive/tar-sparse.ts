// GNU tar's sparse members in PAX archives (`tar --sparse`, the pax format's default sparse version 1.0, and the
// older 0.1 and 0.0): the member's data holds only the file's non-hole segments, so written out as it is it would
// be a different, shorter file under a made-up `GNUSparseFile.<pid>/` name. This maps those segments back to the
// file's offsets; holes read as zeros. Every number comes from the archive and is checked before use.
import { DatasetError } from '../errors.js';

/** One data segment of a sparse file: `size` bytes of the member's data go to `offset` in the file. */
export interface SparseSegment {
  offset: number;
  size: number;
}

/** How a member's data maps onto the file it describes. */
export type SparseLayout =
  /** A plain member: its data is the file. */
  | { kind: 'plain' }
  /** Version 1.0: the segment map is text at the start of the data, padded to 512 bytes. */
  | { kind: 'map-in-data'; name: string; realSize: number }
  /** Version 0.1, or 0.0 with one segment: the map is in the PAX header. */
  | { kind: 'mapped'; name: string; realSize: number; segments: SparseSegment[] }
  /** Version 0.0 with several segments: the map repeats PAX keys the header parser keeps only once of. */
  | { kind: 'unreadable'; name: string; reason: string };

/** Most segments a map may list (a map's text is bounded by the member size too). */
const MAX_SEGMENTS = 1_000_000;

const corrupt = (where: string, what: string) =>
  new DatasetError('ARCHIVE_CORRUPT', `${where}: sparse member map ${what}; the archive is corrupt`);

/** A non-negative decimal integer that fits a safe integer, or an error naming the field. */
function decimal(where: string, field: string, text: string | undefined): number {
  if (text === undefined || !/^\d{1,16}$/.test(text))
    throw corrupt(where, `${field} "${text}" is not a size`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw corrupt(where, `${field} ${text} is too large`);
  return n;
}

/**
 * How a tar member's data maps onto its file, from its PAX header.
 *
 * @param pax - the member's PAX records (null when it has none).
 * @param headerName - the name in the member's own header.
 * @param dataSize - the member's data size.
 * @param archive - the archive, for messages (`<archive>: member <real name>`).
 * @returns the layout; `name` is the file's real name.
 * @throws {DatasetError} `ARCHIVE_CORRUPT` for a malformed sparse header.
 */
export function sparseLayout(
  pax: Record<string, string> | null | undefined,
  headerName: string,
  dataSize: number,
  archive: string,
): SparseLayout {
  if (!pax) return { kind: 'plain' };
  const name = pax['GNU.sparse.name'] ?? headerName;
  const where = `${archive}: member ${name}`;
  if (pax['GNU.sparse.major'] !== undefined || pax['GNU.sparse.minor'] !== undefined) {
    if (pax['GNU.sparse.major'] !== '1' || pax['GNU.sparse.minor'] !== '0')
      return {
        kind: 'unreadable',
        name,
        reason: `GNU sparse format ${pax['GNU.sparse.major']}.${pax['GNU.sparse.minor']}`,
      };
    return { kind: 'map-in-data', name, realSize: decimal(where, 'realsize', pax['GNU.sparse.realsize']) };
  }
  if (pax['GNU.sparse.size'] === undefined && pax['GNU.sparse.map'] === undefined) return { kind: 'plain' };
  const realSize = decimal(where, 'size', pax['GNU.sparse.size']);
  let numbers: number[];
  if (pax['GNU.sparse.map'] !== undefined) {
    const text = pax['GNU.sparse.map'];
    numbers = text === '' ? [] : text.split(',').map((t, i) => decimal(where, `map value ${i}`, t));
  } else {
    const blocks = decimal(where, 'numblocks', pax['GNU.sparse.numblocks']);
    if (blocks !== 1)
      return { kind: 'unreadable', name, reason: `GNU sparse format 0.0 with ${blocks} segments` };
    numbers = [
      decimal(where, 'offset', pax['GNU.sparse.offset']),
      decimal(where, 'numbytes', pax['GNU.sparse.numbytes']),
    ];
  }
  if (numbers.length % 2 !== 0) throw corrupt(where, `has an odd count of numbers (${numbers.length})`);
  const segments: SparseSegment[] = [];
  for (let i = 0; i < numbers.length; i += 2)
    segments.push({ offset: numbers[i] as number, size: numbers[i + 1] as number });
  checkSegments(where, segments, realSize, dataSize);
  return { kind: 'mapped', name, realSize, segments };
}

/**
 * Segments must be in file order, not overlap, end within the file, and add up to the data that follows the map.
 *
 * @param where - for messages.
 * @param segments - the map.
 * @param realSize - the file's size.
 * @param dataBytes - member data bytes after the map.
 * @throws {DatasetError} `ARCHIVE_CORRUPT` otherwise.
 */
export function checkSegments(
  where: string,
  segments: readonly SparseSegment[],
  realSize: number,
  dataBytes: number,
): void {
  if (segments.length > MAX_SEGMENTS) throw corrupt(where, `lists ${segments.length} segments`);
  let end = 0;
  let total = 0;
  for (const [i, s] of segments.entries()) {
    if (s.offset < end)
      throw corrupt(where, `segment ${i} at ${s.offset} overlaps or precedes the one before`);
    end = s.offset + s.size;
    if (end > realSize) throw corrupt(where, `segment ${i} ends at ${end}, past the file size ${realSize}`);
    total += s.size;
  }
  if (total !== dataBytes)
    throw corrupt(where, `segments hold ${total} bytes but the member carries ${dataBytes}`);
}

/**
 * Reads a version 1.0 map from the start of a member's data: decimal lines (the segment count, then offset and
 * size per segment), then NULs up to a 512-byte boundary. Feed data until it returns the map.
 */
export class SparseMapReader {
  private text = '';
  private consumed = 0;
  private readonly numbers: number[] = [];
  private count = -1;
  private segments: SparseSegment[] | null = null;
  private padLeft = 0;

  /**
   * @param where - for messages.
   * @param dataSize - the member's data size (the map cannot be longer).
   * @param realSize - the file's size.
   */
  constructor(
    private readonly where: string,
    private readonly dataSize: number,
    private readonly realSize: number,
  ) {}

  /**
   * Take the next chunk of member data.
   *
   * @param chunk - member data, in order.
   * @returns null while the map and its padding are incomplete, else the segments and the rest of `chunk`.
   * @throws {DatasetError} `ARCHIVE_CORRUPT` for a malformed or oversized map.
   */
  push(chunk: Uint8Array): { segments: SparseSegment[]; rest: Uint8Array } | null {
    for (let i = 0; i < chunk.byteLength; i++) {
      const c = chunk[i] as number;
      this.consumed++;
      if (this.segments) {
        if (c !== 0) throw corrupt(this.where, `padding has byte ${c} at ${this.consumed - 1}`);
        this.padLeft--;
      } else if (c === 0x0a) this.line();
      else if (c >= 0x30 && c <= 0x39 && this.text.length < 16) this.text += String.fromCharCode(c);
      else throw corrupt(this.where, `has byte ${c} at ${this.consumed - 1} in its text`);
      if (this.segments && this.padLeft === 0)
        return { segments: this.segments, rest: chunk.subarray(i + 1) };
    }
    if (this.consumed >= this.dataSize) throw corrupt(this.where, 'does not end before the member data does');
    return null;
  }

  private line(): void {
    const n = decimal(this.where, this.count < 0 ? 'segment count' : 'segment value', this.text);
    this.text = '';
    if (this.count < 0) {
      // each segment takes at least 4 bytes of text ("0\n0\n")
      if (n > MAX_SEGMENTS || n * 4 > this.dataSize) throw corrupt(this.where, `lists ${n} segments`);
      this.count = n;
    } else this.numbers.push(n);
    if (this.numbers.length === 2 * this.count) this.complete();
  }

  private complete(): void {
    const mapBytes = Math.ceil(this.consumed / 512) * 512;
    if (mapBytes > this.dataSize) throw corrupt(this.where, 'runs past the member data');
    const segments: SparseSegment[] = [];
    for (let i = 0; i < this.numbers.length; i += 2)
      segments.push({ offset: this.numbers[i] as number, size: this.numbers[i + 1] as number });
    checkSegments(this.where, segments, this.realSize, this.dataSize - mapBytes);
    this.segments = segments;
    this.padLeft = mapBytes - this.consumed;
  }
}

/**
 * Where each byte of a sparse member's data goes in its file: cuts data chunks at segment boundaries.
 */
export class SparsePlacer {
  private index = 0;
  private within = 0;

  /** @param segments - the checked map. */
  constructor(private readonly segments: readonly SparseSegment[]) {}

  /**
   * Split a chunk of segment data (after any map) into file writes.
   *
   * @param chunk - the next data bytes.
   * @returns `[bytes, file position]` pieces in order.
   */
  place(chunk: Uint8Array): [Uint8Array, number][] {
    const out: [Uint8Array, number][] = [];
    let at = 0;
    while (at < chunk.byteLength) {
      const seg = this.segments[this.index];
      if (!seg) break; // more data than the map holds: the caller's byte count reports it
      const n = Math.min(seg.size - this.within, chunk.byteLength - at);
      if (n > 0) out.push([chunk.subarray(at, at + n), seg.offset + this.within]);
      at += n;
      this.within += n;
      if (this.within === seg.size) {
        this.index++;
        this.within = 0;
      }
    }
    return out;
  }
}
