// Walks a TIFF's IFD chain before geotiff.js parses it: loops, absurd entry counts and tag arrays that run
// past the end of the file become typed errors here instead of hangs or RangeErrors inside geotiff.js.
import { RasterIoError } from '../errors.js';
import type { ByteSource } from '../source/byte-source.js';
import { checkLimit, type RasterIoLimits } from './limits.js';

/** Bytes per value of each TIFF field type (6.0 plus BigTIFF's LONG8/SLONG8/IFD8). */
export const TYPE_SIZE: Readonly<Record<number, number>> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};

/** Field types libtiff accepts for the tags that shape pixel data (it fails the directory otherwise). */
const UNSIGNED = new Set([1, 3, 4, 16]);
const OFFSET_TYPES = new Set([3, 4, 16]);
const STRUCTURAL_TYPES: Readonly<Record<number, Set<number>>> = {
  256: UNSIGNED, // ImageWidth
  257: UNSIGNED, // ImageLength
  258: UNSIGNED, // BitsPerSample
  259: UNSIGNED, // Compression
  262: UNSIGNED, // PhotometricInterpretation
  273: OFFSET_TYPES, // StripOffsets
  277: UNSIGNED, // SamplesPerPixel
  278: UNSIGNED, // RowsPerStrip
  279: OFFSET_TYPES, // StripByteCounts
  284: UNSIGNED, // PlanarConfiguration
  317: UNSIGNED, // Predictor
  322: UNSIGNED, // TileWidth
  323: UNSIGNED, // TileLength
  324: OFFSET_TYPES, // TileOffsets
  325: OFFSET_TYPES, // TileByteCounts
  338: UNSIGNED, // ExtraSamples
  339: UNSIGNED, // SampleFormat
};

/**
 * Georeferencing tags and the field types libtiff converts them from. A geo tag of another type (an UNDEFINED
 * or ASCII ModelTiepoint, say) is dropped by libtiff, so GDAL sees no such tag; geotiff.js would hand its bytes
 * on as numbers, which become a transform no other reader sees.
 */
const NUMERIC = new Set([1, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 16, 17, 18]);
const INTEGER = new Set([1, 3, 4, 6, 8, 9, 16, 17]);
const GEO_TAG_TYPES: Readonly<Record<number, Set<number>>> = {
  33550: NUMERIC, // ModelPixelScale
  33922: NUMERIC, // ModelTiepoint
  34264: NUMERIC, // ModelTransformation
  34735: INTEGER, // GeoKeyDirectory
  34736: NUMERIC, // GeoDoubleParams
};

/** What {@link walkIfds} found. */
export interface IfdChain {
  /** Number of IFDs. */
  count: number;
  /** Per IFD, the georeferencing tags libtiff ignores for their field type (read them as absent). */
  ignoredGeoTags: Set<number>[];
}

/** libtiff refuses directories with more entries than this; so do we. */
const MAX_IFD_ENTRIES = 4096;

export interface IfdWalkInput {
  source: ByteSource;
  name: string;
  littleEndian: boolean;
  bigTiff: boolean;
  limits: RasterIoLimits;
  signal?: AbortSignal;
}

/**
 * Validate the IFD chain and every entry's value range.
 * @returns the number of IFDs and the geo tags of each that libtiff would ignore.
 * @throws RasterIoError `CORRUPT_TIFF` (loop, empty or oversized directory, unknown field type),
 *   `TRUNCATED` (an IFD or a tag's values past the end), `TOO_LARGE` (limits.maxIfds / maxTagBytes)
 */
export async function walkIfds(input: IfdWalkInput): Promise<IfdChain> {
  const { source, name, littleEndian: le, bigTiff: big, limits, signal } = input;
  const head = await readView(source, 0, big ? 16 : 8, signal);
  if (big && (head.byteLength < 16 || head.getUint16(4, le) !== 8 || head.getUint16(6, le) !== 0)) {
    throw new RasterIoError('CORRUPT_TIFF', `${name}: BigTIFF header has a bad offset size (expected 8, 0)`);
  }
  let offset = big ? u64(head, 8, le, name, 'first IFD offset') : head.getUint32(4, le);
  const seen = new Map<number, number>();
  const countSize = big ? 8 : 2;
  const entrySize = big ? 20 : 12;
  const ignoredGeoTags: Set<number>[] = [];
  while (offset !== 0) {
    const index = seen.size;
    const earlier = seen.get(offset);
    if (earlier !== undefined) {
      throw new RasterIoError(
        'CORRUPT_TIFF',
        `${name}: IFD loop; the next-IFD offset of IFD ${index - 1} points back to IFD ${earlier} at byte ${offset}`,
      );
    }
    checkLimit(limits, 'maxIfds', index + 1, name, 'the IFD count');
    seen.set(offset, index);
    const where = `IFD ${index} at byte ${offset}`;
    const countView = await readView(source, offset, countSize, signal);
    if (countView.byteLength < countSize) throw pastEnd(name, where, source.size);
    const n = big ? u64(countView, 0, le, name, where) : countView.getUint16(0, le);
    if (n === 0 || n > MAX_IFD_ENTRIES) {
      throw new RasterIoError(
        'CORRUPT_TIFF',
        `${name}: ${where} declares ${n} entries (a directory holds 1..${MAX_IFD_ENTRIES})`,
      );
    }
    const bodyLength = n * entrySize + countSize * (big ? 1 : 2);
    const body = await readView(source, offset + countSize, bodyLength, signal);
    if (body.byteLength < bodyLength) throw pastEnd(name, where, source.size);
    const tags = new Set<number>();
    const ignored = new Set<number>();
    ignoredGeoTags.push(ignored);
    for (let i = 0; i < n; i++) {
      const tag = checkEntry(body, i * entrySize, { name, where, big, le, limits, size: source.size });
      const geoTypes = GEO_TAG_TYPES[tag];
      if (geoTypes && !geoTypes.has(body.getUint16(i * entrySize + 2, le))) ignored.add(tag);
      // geotiff.js keeps the last of two equal tags, libtiff the first: refuse rather than guess.
      if (tags.has(tag)) throw new RasterIoError('CORRUPT_TIFF', `${name}: ${where} has tag ${tag} twice`);
      tags.add(tag);
    }
    offset = big ? u64(body, n * entrySize, le, name, where) : body.getUint32(n * entrySize, le);
  }
  if (seen.size === 0)
    throw new RasterIoError('CORRUPT_TIFF', `${name}: the header points to no IFD (offset 0)`);
  return { count: seen.size, ignoredGeoTags };
}

interface EntryContext {
  name: string;
  where: string;
  big: boolean;
  le: boolean;
  limits: RasterIoLimits;
  size: number | undefined;
}

/** Check one entry's type and value range; returns its tag. */
function checkEntry(v: DataView, at: number, ctx: EntryContext): number {
  const { name, where, big, le } = ctx;
  const tag = v.getUint16(at, le);
  const type = v.getUint16(at + 2, le);
  const typeSize = TYPE_SIZE[type];
  if (typeSize === undefined) {
    throw new RasterIoError('CORRUPT_TIFF', `${name}: ${where}, tag ${tag} has unknown field type ${type}`);
  }
  if (STRUCTURAL_TYPES[tag] && !STRUCTURAL_TYPES[tag].has(type)) {
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${name}: ${where}, tag ${tag} has field type ${type}; expected one of ${[...STRUCTURAL_TYPES[tag]].join(', ')}`,
    );
  }
  const count = big ? u64(v, at + 4, le, name, `${where}, tag ${tag}`) : v.getUint32(at + 4, le);
  const bytes = count * typeSize;
  if (bytes <= (big ? 8 : 4)) return tag; // stored inline
  checkLimit(ctx.limits, 'maxTagBytes', bytes, name, `${where}, tag ${tag} (${count} values) size in bytes`);
  const valueOffset = big ? u64(v, at + 12, le, name, `${where}, tag ${tag}`) : v.getUint32(at + 8, le);
  if (ctx.size !== undefined && valueOffset + bytes > ctx.size) {
    throw new RasterIoError(
      'TRUNCATED',
      `${name}: ${where}, tag ${tag} holds ${count} × ${typeSize} bytes at byte ${valueOffset}, past the end of the ${ctx.size}-byte file`,
    );
  }
  return tag;
}

async function readView(
  source: ByteSource,
  offset: number,
  length: number,
  signal?: AbortSignal,
): Promise<DataView> {
  const b = await source.read(offset, length, signal);
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function u64(v: DataView, at: number, le: boolean, name: string, where: string): number {
  const x = v.getBigUint64(at, le);
  if (x > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RasterIoError('CORRUPT_TIFF', `${name}: ${where}: 64-bit value ${x} is beyond 2^53`);
  }
  return Number(x);
}

function pastEnd(name: string, where: string, size: number | undefined): RasterIoError {
  return new RasterIoError(
    'TRUNCATED',
    `${name}: truncated TIFF; ${where} runs past the end of the ${size ?? '?'}-byte file`,
  );
}
