import { GeoTIFF, GeoTIFFImage } from 'geotiff';
import { CCITT_RLE, CCITT_T6, type CcittLayout, isCcitt } from '../codecs/ccitt-params.js';
import type { Codec } from '../codecs/codec.js';
import { JPEG_COMPRESSION } from '../codecs/jpeg-params.js';
import { LERC_COMPRESSION } from '../codecs/lerc-params.js';
import { type GeoKeyDirectory, parseGeoKeyDirectory } from '../crs/geokeys.js';
import { RasterIoError } from '../errors.js';
import { throwIfAborted } from '../internal/assert.js';
import { checkBytes, checkOptions } from '../internal/check-args.js';
import { dtypeFromTiff } from '../internal/typed-array.js';
import { type BlockCacheOptions, blockCache, checkBlockCacheOptions } from '../source/block-cache.js';
import type { ByteSource } from '../source/byte-source.js';
import { memorySource } from '../source/memory-source.js';
import { waitOrAbort } from '../source/wait-or-abort.js';
import type { DType, GeoBlock, GeoTransform } from '../types.js';
import { geoFromTags, scaleGeo, transformFromTags } from './geo-from-tags.js';
import { geotiffJsView, readNumericEntry, TYPE_SIZE, type WalkedIfd, walkIfds } from './ifd-walk.js';
import { checkLimit, type RasterIoLimits, resolveLimits } from './limits.js';
import type { PamInfo } from './pam.js';
import type { ParallelBlockDecoder } from './parallel-decoder.js';
import { scanXml, XmlScanError } from './xml-scan.js';
import type { YCbCrLayout } from './ycbcr.js';

/**
 * One resolution level of a GeoTIFF: the full image (level 0) or an overview, internal or in GDAL's `.ovr`
 * sidecar (`file`).
 */
export interface GeoTiffLevel {
  /** Index of the TIFF IFD holding this level (in `file` when set). */
  ifd: number;
  /**
   * The file holding this overview when it is not this one: GDAL's external overviews (`scene.tif.ovr`, which
   * `gdaladdo -ro` writes), read by `openGeoTiffFile` when the file has no internal overviews.
   */
  file?: string;
  width: number;
  height: number;
  bandCount: number;
  dtype: DType;
  noData: number | null;
  /** Georeferencing (overviews: the full image's extent over their own size). */
  geo?: GeoBlock;
  /** Tile size when tiled, else undefined (stripped). */
  tileWidth?: number;
  tileHeight?: number;
  /** Rows per strip when stripped. */
  rowsPerStrip?: number;
  /** TIFF Compression code (1 none, 5 LZW, 8/32946 deflate, ...). */
  compression: number;
  /** TIFF Predictor (1 none, 2 horizontal, 3 floating point). */
  predictor: number;
  /** 1 = pixel-interleaved (chunky), 2 = band-sequential (planar). */
  planarConfiguration: 1 | 2;
  /** TIFF PhotometricInterpretation (1 BlackIsZero, 2 RGB, 6 YCbCr, ...). */
  photometric: number;
  /**
   * Unsigned integer samples stored in a bit count other than 8, 16 or 32 (GDAL's NBITS, 1–31: 1-bit masks,
   * 4-bit palettes, 12-bit sensors), packed MSB-first and read into the smallest dtype that holds them.
   */
  nbits?: number;
  /** Float16 samples (SampleFormat 3, 16 bits), read into float32 as GDAL does (every half value is exact). */
  halfFloat?: boolean;
  /**
   * Float24 samples (SampleFormat 3, 24 bits: 1 sign, 7 exponent, 16 mantissa bits, as ImageMagick writes them),
   * read into float32 as GDAL does (`CPLTripleToFloat`; every value is exact).
   */
  float24?: boolean;
  /** JPEG-compressed levels: the JPEGTables tag (quantization and Huffman tables shared by every block). */
  jpegTables?: Uint8Array;
  /**
   * YCbCr levels (PhotometricInterpretation 6): the YCbCrSubSampling tag as libtiff reads it (default 2×2). A JPEG
   * block's luma sampling must equal it (libtiff refuses a block whose JPEG frame says otherwise).
   */
  ycbcrSubsampling?: [number, number];
  /**
   * LERC-compressed levels: what wraps each blob (the LercParameters tag), and whether the last sample is an
   * 8-bit unassociated alpha that the encoder may have stored as the blob's validity mask.
   */
  lerc?: { additionalCompression: number; alphaAsMask: boolean };
  /**
   * Set when the samples are YCbCr that we convert to RGB as GDAL does (8-bit strips: chunky with a known
   * subsampling, or planar 1×1).
   */
  ycbcr?: YCbCrLayout;
  /**
   * Tag holding the block offsets. libtiff keeps one offsets field per directory, set by StripOffsets and by
   * TileOffsets alike (the later entry wins), whether the image is tiled (it has TileWidth) or not: old tiled
   * files store their tile offsets in StripOffsets.
   */
  offsetsTag: 'TileOffsets' | 'StripOffsets';
  /** Tag holding the block byte counts: the later of StripByteCounts and TileByteCounts, as for the offsets. */
  countsTag: 'TileByteCounts' | 'StripByteCounts';
  /**
   * Set when the directory has no byte counts, which libtiff then estimates (it allows that for one strip or tile,
   * or one per band of a planar image).
   */
  byteCountsMissing?: boolean;
  /**
   * The bytes of the file header, this directory and its out-of-line values, which libtiff subtracts from the file
   * size when it estimates byte counts (none stored, or an only strip's count of 0).
   */
  directoryBytes?: number;
  /**
   * The level's transparency mask, read with `readMask`: an internal one (GDAL's per-dataset mask: a 1-bit IFD of
   * NewSubfileType 4, or 5 for an overview's), or, for a local file without one, GDAL's `.msk` sidecar (`file`: its
   * path, `ifd` the IFD in it), which holds one mask for every band or, `perBand`, one per band.
   */
  mask?: { ifd: number; file?: string; perBand?: boolean };
  /** CCITT-compressed levels (2, 3, 4): T4Options / T6Options. */
  ccitt?: CcittLayout;
  /**
   * CMYK levels (PhotometricInterpretation 5): the InkSet as libtiff reads it (1, CMYK, when absent or unreadable).
   * GDAL returns 8-bit InkSet 1 samples converted to RGBA, so reading them is refused.
   */
  inkSet?: number;
  /**
   * FillOrder 2: every stored byte holds its bits least significant first. libtiff reverses them before any codec
   * runs (its fax decoders do the same in their own way), and so do we.
   */
  lsbFirst?: boolean;
}

/** An opened GeoTIFF/COG: its levels and the source they are read from. */
export interface GeoTiff {
  /** File name or URL, used in every error message. */
  readonly name: string;
  readonly source: ByteSource;
  /**
   * Full resolution first, then overviews by decreasing size (external ones, from GDAL's `.ovr`, in the sidecar's
   * order).
   */
  readonly levels: readonly GeoTiffLevel[];
  readonly littleEndian: boolean;
  readonly bigTiff: boolean;
  /** Close the underlying source (files). */
  close(): Promise<void>;
}

/** Options for {@link openGeoTiff}. */
export interface OpenGeoTiffOptions {
  signal?: AbortSignal;
  /** Name for messages (default: the source's name). */
  name?: string;
  /** Per-file codec overrides by compression code (Node passes `node:zlib` deflate here). */
  codecs?: Readonly<Record<number, Codec>>;
  /** Block cache used for header/IFD reads; `false` disables it (default 16 KiB blocks). */
  headerCache?: BlockCacheOptions | false;
  /** Overrides of {@link DEFAULT_RASTER_IO_LIMITS}, also used by every {@link readRaster} of this file. */
  limits?: Partial<RasterIoLimits>;
  /** Worker pool used by reads with `threads` > 1 (Node: `nodeBlockDecoder`; `openGeoTiffFile` sets it). */
  blockDecoder?: ParallelBlockDecoder;
  /**
   * Asked only when the file's tags give no geotransform: one to use instead (`openGeoTiffFile` reads the
   * file's world file here, `.tfw`/`.tifw`/`.wld`, as GDAL does). The CRS still comes from the GeoKeys.
   */
  fallbackTransform?: () => Promise<GeoTransform | undefined>;
}

/** Internal state kept next to a {@link GeoTiff} (never exported from the package). */
export interface GeoTiffInternals {
  images: GeoTIFFImage[];
  /** Each level's mask (same index as `images`). */
  masks: (LevelMask | undefined)[];
  /** Each level's file when it is not this one (GDAL's `.ovr` sidecar; same index as `images`). */
  levelFiles: (GeoTiff | undefined)[];
  codecs?: Readonly<Record<number, Codec>>;
  limits: RasterIoLimits;
  decoder?: ParallelBlockDecoder;
  /**
   * The first `count` values of a block offsets or byte counts tag of directory `ifd`, read from the file (fewer
   * when the tag holds fewer; undefined when they lie past the end of the file). libtiff reads no more entries than
   * the directory has blocks, whatever count the tag declares. Read once, shared by every read: `signal` ends only
   * this caller's wait.
   */
  blockArray(ifd: number, tag: number, count: number, signal?: AbortSignal): Promise<number[] | undefined>;
}

/** A level's mask: the IFD holding it, described as a level. */
export interface LevelMask {
  level: GeoTiffLevel;
  image: GeoTIFFImage;
  /** The file holding it when it is not this one (GDAL's `.msk` sidecar). */
  file?: GeoTiff;
  /**
   * Per data band, the band of the mask image that masks it (undefined: that band has none). Internal masks: one
   * band for all.
   */
  bands: readonly (number | undefined)[];
  /** The mask's samples are returned as stored (a `.msk` band, as GDAL reads it), not as 0/255. */
  raw?: boolean;
}

/**
 * Files GDAL reads beside a local one, which `openGeoTiffFile` finds (never part of the public options).
 * @internal
 */
export interface Sidecars {
  /** The PAM `.aux.xml` sidecar: georeferencing and nodata that win over the file's own. */
  pam?: () => Promise<PamInfo | undefined>;
  /** The `.msk` sidecar, opened, for a file without an internal mask of its full image. */
  mask?: () => Promise<{ tiff: GeoTiff; path: string } | undefined>;
  /** The `.ovr` sidecar, opened, for a file without internal overviews. */
  overviews?: () => Promise<{ tiff: GeoTiff; path: string } | undefined>;
}

const internals = new WeakMap<GeoTiff, GeoTiffInternals>();

/** @internal */
export function geoTiffInternals(tiff: GeoTiff): GeoTiffInternals {
  const state = internals.get(tiff);
  if (!state) throw new RasterIoError('INVALID_ARGUMENT', 'not a GeoTiff returned by openGeoTiff()');
  return state;
}

function isByteSource(x: unknown): x is ByteSource {
  return typeof x === 'object' && x !== null && typeof (x as ByteSource).read === 'function';
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength
    ? (b.buffer as ArrayBuffer)
    : (new Uint8Array(b).buffer as ArrayBuffer);
}

/**
 * Open a GeoTIFF or Cloud-Optimized GeoTIFF and read its structure (headers only; pixels are read by
 * {@link readRaster}). geotiff.js parses the IFDs; header reads go through a block cache.
 *
 * @param input - a {@link ByteSource} (memory, file, http) or the file's bytes
 * @param options - signal, name, codecs, headerCache
 * @returns the opened file with its levels
 * @throws RasterIoError `NOT_A_TIFF` (bad magic), `TRUNCATED` (structure points past the end),
 *   `CORRUPT_TIFF` (IFD loop, impossible tag values such as a zero tile size), `TOO_LARGE` (over `limits`),
 *   `UNSUPPORTED_DTYPE` (e.g. 1-bit or int8 samples), `ABORTED`; never another error type
 * @example
 * ```ts
 * const tiff = await openGeoTiff(httpSource('https://example.com/cog.tif'));
 * console.log(tiff.levels.map((l) => `${l.width}x${l.height}`));
 * const raster = await readRaster(tiff, { window: { x: 0, y: 0, width: 256, height: 256 }, bands: [0] });
 * ```
 */
export async function openGeoTiff(
  input: ByteSource | ArrayBuffer | Uint8Array,
  options: OpenGeoTiffOptions = {},
): Promise<GeoTiff> {
  return openGeoTiffWith(input, options, {});
}

/**
 * {@link openGeoTiff} with the sidecar files GDAL reads beside a local file.
 * @internal
 */
export async function openGeoTiffWith(
  input: ByteSource | ArrayBuffer | Uint8Array,
  options: OpenGeoTiffOptions,
  sidecars: Sidecars,
): Promise<GeoTiff> {
  try {
    return await openGeoTiffUnguarded(input, options, sidecars);
  } catch (err) {
    if (err instanceof RasterIoError) throw err;
    // Last resort, as readRaster's: a source of the caller's that throws its own errors (or a failure of ours)
    const name = (options as { name?: unknown })?.name ?? (input as { name?: unknown })?.name ?? 'memory';
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${String(name)}: unexpected failure opening the TIFF (${(err as Error)?.message ?? String(err)})`,
      { cause: err },
    );
  }
}

async function openGeoTiffUnguarded(
  input: ByteSource | ArrayBuffer | Uint8Array,
  options: OpenGeoTiffOptions,
  sidecars: Sidecars,
): Promise<GeoTiff> {
  checkOptions('openGeoTiff', options);
  if (!isByteSource(input)) checkBytes('openGeoTiff', 'input (a ByteSource or the file bytes)', input);
  const raw = isByteSource(input) ? input : memorySource(input, options.name ?? 'memory');
  const name = options.name ?? raw.name;
  const { signal } = options;
  throwIfAborted(signal, name);
  // The open's signal governs the open only: reads made later through the closures below (lazy tag arrays) must
  // not fail because it fired once the open was over.
  let openSignal = signal;
  const limits = resolveLimits(name, options.limits);
  if (options.headerCache !== false)
    checkBlockCacheOptions('openGeoTiff', 'options.headerCache', options.headerCache);
  const headerSource =
    options.headerCache === false || !isByteSource(input) ? raw : blockCache(raw, options.headerCache);

  const head = await headerSource.read(0, 16, signal);
  const bom = head.length >= 2 ? String.fromCharCode(head[0] as number, head[1] as number) : '';
  if (head.length < 8) {
    if (head.length === 0 || bom === 'II' || bom === 'MM') {
      throw new RasterIoError(
        'TRUNCATED',
        `${name}: file is ${head.length} bytes long, too short for a TIFF header (8 bytes)`,
      );
    }
  }
  if (head.length < 8 || (bom !== 'II' && bom !== 'MM')) {
    throw new RasterIoError(
      'NOT_A_TIFF',
      `${name}: not a TIFF (first bytes ${hex(head.subarray(0, 4))}; expected 49 49 2a 00 or 4d 4d 00 2a)`,
    );
  }
  const le = bom === 'II';
  const magic = le
    ? (head[2] as number) | ((head[3] as number) << 8)
    : ((head[2] as number) << 8) | (head[3] as number);
  if (magic !== 42 && magic !== 43) {
    throw new RasterIoError(
      'NOT_A_TIFF',
      `${name}: not a TIFF (magic number ${magic}; expected 42, or 43 for BigTIFF)`,
    );
  }
  const chain = await walkIfds({
    source: headerSource,
    name,
    littleEndian: le,
    bigTiff: magic === 43,
    limits,
    signal,
  });

  let shortRead = false;
  const adapter = {
    async fetch(slices: { offset: number; length: number }[], sig?: AbortSignal) {
      return Promise.all(
        slices.map(async (s) => {
          const bytes = await headerSource.read(s.offset, s.length, sig ?? openSignal);
          if (bytes.byteLength < s.length) shortRead = true;
          return toArrayBuffer(geotiffJsView(bytes, s.offset, chain.ifds, le, magic === 43));
        }),
      );
    },
    get fileSize() {
      return raw.size ?? null;
    },
    async close() {},
  };

  const images: GeoTIFFImage[] = [];
  let gt: GeoTIFF;
  try {
    gt = await GeoTIFF.fromSource(adapter as never, {}, signal);
    // The chain was walked above: never let geotiff.js count it (it follows loops forever).
    for (let i = 0; i < chain.count; i++) images.push(await gt.getImage(i));
    for (const sub of chain.ifds.slice(chain.count)) {
      const fd = await gt.parser.parseFileDirectoryAt(sub.offset);
      images.push(new GeoTIFFImage(fd, le, gt.cache, gt.source));
    }
  } catch (err) {
    if (err instanceof RasterIoError) throw err;
    throwIfAborted(signal, name);
    if (shortRead) {
      throw new RasterIoError(
        'TRUNCATED',
        `${name}: truncated TIFF; the header/IFDs point past the end of the ${raw.size ?? '?'}-byte file (${(err as Error).message})`,
        {
          cause: err,
        },
      );
    }
    throw new RasterIoError('CORRUPT_TIFF', `${name}: corrupt TIFF structure (${(err as Error).message})`, {
      cause: err,
    });
  }
  try {
    return await describeFile(images, {
      name,
      raw,
      le,
      bigTiff: magic === 43,
      ifds: chain.ifds,
      chainLength: chain.count,
      tags: {
        numbers: (ifd, tag, limit) => {
          const entry = chain.ifds[ifd]?.entries.get(tag);
          const at = {
            source: headerSource,
            name,
            littleEndian: le,
            bigTiff: magic === 43,
            signal: openSignal,
          };
          return entry ? readNumericEntry(at, entry, limit) : Promise.resolve(undefined);
        },
        position: (ifd, tag) => chain.ifds[ifd]?.entries.get(tag)?.valueAt,
        entry: (ifd, tag) => chain.ifds[ifd]?.entries.get(tag),
        tagBytes: (ifd) => chain.ifds[ifd]?.tagBytes ?? Number.NaN,
      },
      codecs: options.codecs,
      limits,
      decoder: options.blockDecoder,
      fallbackTransform: options.fallbackTransform,
      sidecars,
    });
  } catch (err) {
    if (err instanceof RasterIoError) throw err;
    throwIfAborted(signal, name);
    // Last resort: geotiff.js tag decoding failed on a value our walk let through.
    throw new RasterIoError('CORRUPT_TIFF', `${name}: corrupt TIFF tags (${(err as Error).message})`, {
      cause: err,
    });
  } finally {
    openSignal = undefined;
  }
}

/** Raw access to the walked directories' entries. */
interface IfdTags {
  /**
   * A numeric tag of IFD `ifd` read from the file (its first `limit` values when given), or undefined when it is
   * absent or not numeric.
   */
  numbers(ifd: number, tag: number, limit?: number): Promise<number[] | undefined>;
  /** Where a tag's entry sits in the file (directory order), or undefined when absent. */
  position(ifd: number, tag: number): number | undefined;
  /** A tag's field type and value count as stored, or undefined when absent. */
  entry(ifd: number, tag: number): { type: number; count: number } | undefined;
  /** The header, directory and out-of-line value bytes of IFD `ifd` (see {@link WalkedIfd.tagBytes}). */
  tagBytes(ifd: number): number;
}

interface DescribeInput {
  name: string;
  raw: ByteSource;
  le: boolean;
  bigTiff: boolean;
  /** Every directory as walked: the main chain, then IFD 0's SubIFDs. */
  ifds: readonly WalkedIfd[];
  /** How many of them are the main chain. */
  chainLength: number;
  /** Entries as walked: numeric tags read from the file (geotiff.js misreads RATIONAL arrays), their order. */
  tags: IfdTags;
  codecs?: Readonly<Record<number, Codec>>;
  limits: RasterIoLimits;
  decoder?: ParallelBlockDecoder;
  fallbackTransform?: () => Promise<GeoTransform | undefined>;
  sidecars: Sidecars;
}

async function describeFile(images: GeoTIFFImage[], input: DescribeInput): Promise<GeoTiff> {
  const { name, raw, le, bigTiff } = input;
  const pam = await input.sidecars.pam?.();

  const levels: GeoTiffLevel[] = [];
  const levelImages: GeoTIFFImage[] = [];
  const maskImages: MaskCandidate[] = [];
  let full: GeoTiffLevel | undefined;
  const visitOrder = await gdalOpenableOrder(input);
  for (const i of visitOrder) {
    const img = images[i] as GeoTIFFImage;
    const fd = img.fileDirectory;
    const subfile = Number(fd.getValue('NewSubfileType') ?? 0);
    if (i > 0 && subfile & 4) maskImages.push({ ifd: i, image: img, ofOverview: (subfile & 1) !== 0 });
    if (i > 0 && (!(subfile & 1) || subfile & 4)) continue; // other pages and masks are not levels
    const level = await describeLevel(img, i, name, input.tags);
    // IFD 0 failing libtiff's read is the file failing in GDAL (describeLevel names the commoner faults first)
    const problem = i === 0 ? await libtiffDirectoryProblem(input, 0) : null;
    if (problem) throw new RasterIoError('CORRUPT_TIFF', `${name}: IFD 0 ${problem}, which libtiff refuses`);
    const blocks = i === 0 ? await gdalBlockProblem(input, 0) : null;
    if (blocks) throw new RasterIoError('CORRUPT_TIFF', `${name}: IFD 0 ${blocks} ("Too large block size")`);
    if (full) checkOverviewSize(level, full, name);
    if (full && level.bandCount !== full.bandCount) continue; // GDAL drops such overviews
    if (i === 0) {
      full = level;
      const ignoredGeoTags = input.ifds[0]?.ignoredGeoTags ?? new Set<number>();
      const geoNumbers = (tag: number, geotiffName: string, limit: number) =>
        ignoredGeoTags.has(tag) ? undefined : numbersOfTag(fd, input.tags, { tag, geotiffName, limit });
      const tags = {
        pixelScale: await geoNumbers(33550, 'ModelPixelScale', 3),
        // the transform reads the first tiepoint; one value more than 16 tells a ModelTransformation GDAL ignores
        tiepoint: await geoNumbers(33922, 'ModelTiepoint', 6),
        transformation: await geoNumbers(34264, 'ModelTransformation', 17),
        geoKeys: await rawGeoKeys(img, ignoredGeoTags, input.tags),
      };
      // GDAL's order: the PAM sidecar, the file's tags, then its world file
      const fallbackTransform =
        pam?.transform || transformFromTags(tags) ? undefined : await input.fallbackTransform?.();
      level.geo = geoFromTags(
        {
          ...tags,
          ...(fallbackTransform ? { fallbackTransform } : {}),
          ...(pam?.transform ? { overrideTransform: pam.transform } : {}),
          ...(pam?.epsg !== undefined ? { overrideEpsg: pam.epsg } : {}),
        },
        name,
      );
      if (pam && pam.noData.size > 0) level.noData = pamNoData(pam, level);
    } else if (full) {
      if (full.geo) level.geo = scaleGeo(full.geo, full.width, full.height, level.width, level.height);
      if (level.noData === null || (pam && pam.noData.size > 0)) level.noData = full.noData;
    }
    levels.push(level);
    levelImages.push(img);
  }
  const order = levels
    .map((_, i) => i)
    .sort((a, b) =>
      a === 0 ? -1 : b === 0 ? 1 : (levels[b] as GeoTiffLevel).width - (levels[a] as GeoTiffLevel).width,
    );
  const opened: { mask?: GeoTiff; overviews?: GeoTiff } = {};
  const tiff: GeoTiff = {
    name,
    source: raw,
    levels: order.map((i) => levels[i] as GeoTiffLevel),
    littleEndian: le,
    bigTiff,
    close: async () => {
      await raw.close?.();
      await opened.mask?.close();
      await opened.overviews?.close();
    },
  };
  const state = {
    images: order.map((i) => levelImages[i] as GeoTIFFImage),
    masks: await pairMasks(tiff.levels, maskImages, { name, tags: input.tags, visitOrder }),
    levelFiles: tiff.levels.map(() => undefined) as GeoTiffInternals['levelFiles'],
  };
  await attachSidecars(tiff.levels as GeoTiffLevel[], state, input.sidecars, opened);
  const arrays = new Map<string, Promise<number[] | undefined>>();
  internals.set(tiff, {
    ...state,
    codecs: input.codecs,
    limits: input.limits,
    decoder: input.decoder,
    blockArray(ifd, tag, count, signal) {
      const key = `${ifd}/${tag}/${count}`;
      let values = arrays.get(key);
      if (!values) {
        // the walk leaves these arrays unchecked (their declared count is not what libtiff reads): bound what is
        const entry = input.tags.entry(ifd, tag);
        const n = Math.min(count, entry?.count ?? 0);
        const bytes = n * (TYPE_SIZE[entry?.type ?? 4] ?? 8);
        checkLimit(
          input.limits,
          'maxTagBytes',
          bytes,
          name,
          `IFD ${ifd}, tag ${tag} (${n} values) size in bytes`,
        );
        values = input.tags.numbers(ifd, tag, count);
        values.catch(() => arrays.delete(key));
        arrays.set(key, values);
      }
      return waitOrAbort(values, signal, name);
    },
  });
  return tiff;
}

/**
 * The directories GDAL considers, in its order: IFD 0, IFD 0's SubIFDs, then the rest of the main chain. A chain
 * directory (after the first) that has SubIFDs of its own is never an overview or a mask to GDAL.
 */
function gdalVisitOrder(input: DescribeInput): number[] {
  const subIfds = input.ifds.map((_, i) => i).slice(input.chainLength);
  const chain = input.ifds
    .map((_, i) => i)
    .slice(1, input.chainLength)
    .filter((i) => !hasSubIfds(input.ifds[i] as WalkedIfd));
  return [0, ...subIfds, ...chain];
}

/** Compression codes Debian's GDAL 3.6 has in libtiff (`TIFFIsCODECConfigured`): none, CCITT 2/3/4, LZW, old and new
 * JPEG, deflate (8, 32946), NeXT, ThunderScan, PackBits, PixarLog, JBIG, SGILog, LERC, LZMA, ZSTD, WEBP. */
const GDAL_CODECS: ReadonlySet<number> = new Set([
  1, 2, 3, 4, 5, 6, 7, 8, 32766, 32771, 32773, 32809, 32909, 32946, 34661, 34676, 34677, 34887, 34925, 50000,
  50001,
]);

/**
 * {@link gdalVisitOrder} less the directories GDAL cannot open. One libtiff fails to read ends the main chain there
 * (GDAL reaches the next through it) and ends IFD 0's SubIFDs likewise, and an overview or mask directory whose
 * compression GDAL lacks is skipped ("missing codec"). IFD 0 is checked once described (see describeFile).
 */
async function gdalOpenableOrder(input: DescribeInput): Promise<number[]> {
  const order: number[] = [];
  let subIfdsEnded = false;
  for (const i of gdalVisitOrder(input)) {
    const subIfd = i >= input.chainLength;
    if (subIfd && subIfdsEnded) continue;
    if (i > 0 && (await libtiffDirectoryProblem(input, i))) {
      if (!subIfd) break; // the chain comes last in the visit order
      subIfdsEnded = true;
      continue;
    }
    const compression = (await firstValue(input, i, 259)) ?? 1;
    if (i > 0 && !GDAL_CODECS.has(compression)) continue;
    if (i > 0 && (await gdalBlockProblem(input, i))) continue; // GDAL fails to open that overview alone
    order.push(i);
  }
  return order;
}

/**
 * Why GDAL refuses to open a directory libtiff reads: a tile width or length over 2^31 − 1 ("Too large block
 * size"); null otherwise.
 */
async function gdalBlockProblem(input: DescribeInput, ifd: number): Promise<string | null> {
  for (const [tag, name] of [
    [322, 'TileWidth'],
    [323, 'TileLength'],
  ] as const) {
    const value = await firstValue(input, ifd, tag);
    if (value !== undefined && value > 0x7fffffff)
      return `has a ${name} of ${value}, a block too large for GDAL`;
  }
  return null;
}

/** TIFF field types libtiff converts to a 16-bit unsigned value (BYTE, SHORT, LONG, their signed kinds, LONG8s). */
const INTEGER_TYPES: ReadonlySet<number> = new Set([1, 3, 4, 6, 8, 9, 16, 17]);

/**
 * Why libtiff's TIFFReadDirectory fails on the directory, or null when it reads it: no image size; an image or tile
 * size, RowsPerStrip or PlanarConfiguration that is not one unsigned integer; no strip or tile offsets (old JPEG
 * aside); zero strips or tiles; no byte counts for more than one strip or tile per plane; a palette image of
 * under 8 bits without a Colormap of 3 × 2^bits integers; a per-sample tag (BitsPerSample, Min/MaxSampleValue,
 * SampleFormat, DataType) that is not one 16-bit value or at least one per sample with the first SamplesPerPixel
 * of them equal, a SampleFormat outside 1–6 or DataType outside 0–3; or SMin/SMaxSampleValue that are not one
 * number per sample.
 */
async function libtiffDirectoryProblem(input: DescribeInput, ifd: number): Promise<string | null> {
  const { tags } = input;
  const has = (tag: number) => tags.position(ifd, tag) !== undefined;
  const first = (tag: number) => firstValue(input, ifd, tag);
  if (!has(256) && !has(257)) return 'has no ImageWidth or ImageLength';
  for (const [tag, name] of SCALAR_TAGS) {
    const entry = input.ifds[ifd]?.entries.get(tag);
    if (!entry) continue;
    const value = entry.count === 1 && INTEGER_TYPES.has(entry.type) ? await first(tag) : undefined;
    if (value === undefined || !Number.isInteger(value) || value < 0)
      return `has a ${name} of ${entry.count} value(s) libtiff cannot read as one unsigned integer`;
  }
  if (!has(273) && !has(324) && (await first(259)) !== 6) return 'has no StripOffsets or TileOffsets';
  const spp = (await first(277)) ?? 1;
  for (const [tag, name] of PER_SAMPLE_TAGS) {
    const entry = input.ifds[ifd]?.entries.get(tag);
    if (!entry) continue;
    if (!INTEGER_TYPES.has(entry.type) || entry.count < 1)
      return `has a ${name} of ${entry.count} value(s) libtiff cannot read as 16-bit values`;
    // one value per sample at most is compared (SamplesPerPixel is 16-bit), so no more is read
    const values = await tags.numbers(ifd, tag, spp);
    const fits = (v: number | undefined) => v !== undefined && Number.isInteger(v) && v >= 0 && v <= 65535;
    if (!values || values.length === 0 || !values.every(fits))
      return `has a ${name} libtiff cannot read as 16-bit values`;
    if (values.length > 1 && (values.length < spp || values.slice(0, spp).some((v) => v !== values[0])))
      return `has ${values.length} ${name} values that are not one per sample alike (${spp} samples)`;
    if (tag === 339 && !((values[0] as number) >= 1 && (values[0] as number) <= 6))
      return `has SampleFormat ${values[0]}; libtiff knows 1–6`;
    if (tag === DATA_TYPE_TAG && !((values[0] as number) in DATA_TYPE_FORMATS))
      return `has DataType ${values[0]} (libtiff knows 0–3)`;
  }
  const sampleRange = await sampleRangeProblem(input, ifd, spp);
  if (sampleRange) return sampleRange;
  if ((await first(262)) === 3 && ((await first(258)) ?? 1) < 8 && !(await colormapRead(input, ifd)))
    return 'is a palette image without a Colormap libtiff reads (3 × 2^BitsPerSample integers)';
  const blocks = await blocksPerPlane(input, ifd);
  if (blocks === 0) return 'has zero strips or tiles';
  if (!has(279) && !has(325) && blocks > 1)
    return `has no StripByteCounts or TileByteCounts for its ${blocks} strips or tiles per plane`;
  return null;
}

/**
 * Whether libtiff takes the directory's Colormap: integers, exactly 3 × 2^BitsPerSample of them, and a BitsPerSample
 * to count them by (libtiff ignores the tag otherwise).
 */
async function colormapRead(input: DescribeInput, ifd: number): Promise<boolean> {
  const entry = input.ifds[ifd]?.entries.get(320);
  const bits = await firstValue(input, ifd, 258);
  if (!entry || bits === undefined || !INTEGER_TYPES.has(entry.type)) return false;
  return entry.count === 3 * 2 ** bits;
}

/** A numeric tag's first value (the rest is not read); undefined when absent or not numeric. */
async function firstValue(input: DescribeInput, ifd: number, tag: number): Promise<number | undefined> {
  return (await input.tags.numbers(ifd, tag, 1))?.[0];
}

/** Tags libtiff reads first, as one unsigned value each, failing the directory otherwise. */
const SCALAR_TAGS: readonly [number, string][] = [
  [256, 'ImageWidth'],
  [257, 'ImageLength'],
  [278, 'RowsPerStrip'],
  [284, 'PlanarConfiguration'],
  [322, 'TileWidth'],
  [323, 'TileLength'],
];

const PER_SAMPLE_TAGS: readonly [number, string][] = [
  [258, 'BitsPerSample'],
  [280, 'MinSampleValue'],
  [281, 'MaxSampleValue'],
  [339, 'SampleFormat'],
  [32996, 'DataType'],
];

/** The SGI DataType tag, which libtiff reads as another way to set SampleFormat. */
const DATA_TYPE_TAG = 32996;
/** DataType value → the SampleFormat libtiff sets from it (void, signed, unsigned, IEEE float). */
const DATA_TYPE_FORMATS: Readonly<Record<number, number>> = { 0: 4, 1: 2, 2: 1, 3: 3 };
/** Field types libtiff converts to doubles (SMinSampleValue/SMaxSampleValue): every numeric type but IFD/IFD8. */
const DOUBLE_TYPES: ReadonlySet<number> = new Set([1, 3, 4, 5, 6, 8, 9, 10, 11, 12, 16, 17]);

/**
 * SMinSampleValue / SMaxSampleValue as libtiff reads them, failing the directory otherwise: exactly one value per
 * sample, of a numeric field type, inside the file.
 */
async function sampleRangeProblem(input: DescribeInput, ifd: number, spp: number): Promise<string | null> {
  for (const [tag, name] of [
    [340, 'SMinSampleValue'],
    [341, 'SMaxSampleValue'],
  ] as const) {
    const entry = input.ifds[ifd]?.entries.get(tag);
    if (!entry) continue;
    if (entry.count !== spp) return `has ${entry.count} ${name} value(s) for ${spp} sample(s)`;
    if (!DOUBLE_TYPES.has(entry.type)) return `has a ${name} of field type ${entry.type}`;
    if (!(await input.tags.numbers(ifd, tag, spp))) return `has ${name} values past the end of the file`;
  }
  return null;
}

/**
 * The strips or tiles libtiff counts in one plane of the directory (all of them when pixel-interleaved): 0 for no
 * rows or a zero image or tile dimension (a lone tile tag follows {@link libtiffTileSize}).
 */
async function blocksPerPlane(input: DescribeInput, ifd: number): Promise<number> {
  const get = (tag: number) => firstValue(input, ifd, tag);
  const [width, length] = [(await get(256)) ?? 0, (await get(257)) ?? 0];
  const rowsPerStrip = await get(278);
  const tiles = libtiffTileSize(
    { width, height: length, tileWidth: await get(322), tileLength: await get(323), rowsPerStrip },
    (tag) => input.tags.position(ifd, tag),
  );
  if (!tiles) {
    if (length === 0) return rowsPerStrip === 0xffffffff ? 1 : 0;
    return rowsPerStrip ? Math.ceil(length / Math.min(rowsPerStrip, length)) : 1;
  }
  const [tw, th] = tiles;
  if (width === 0 || length === 0 || tw === 0 || th === 0) return 0;
  return Math.ceil(width / tw) * Math.ceil(length / th);
}

/** Whether libtiff hands GDAL a SubIFDs list for this directory. */
function hasSubIfds(ifd: WalkedIfd): boolean {
  const e = ifd.entries.get(330);
  return e !== undefined && [4, 13, 16, 18].includes(e.type) && e.count >= 1 && e.count <= 65535;
}

/** An overview larger than the full image (GDAL lists it as it is) can only be a damaged IFD. */
function checkOverviewSize(level: GeoTiffLevel, full: GeoTiffLevel, name: string): void {
  if (level.width <= full.width && level.height <= full.height) return;
  throw new RasterIoError(
    'CORRUPT_TIFF',
    `${name}: IFD ${level.ifd} is a reduced-resolution image of ${level.width}x${level.height}, larger than the full image's ${full.width}x${full.height}`,
  );
}

/** A mask IFD (NewSubfileType 4): of the full image, or of an overview when it is also reduced (5). */
interface MaskCandidate {
  ifd: number;
  image: GeoTIFFImage;
  ofOverview: boolean;
}

/**
 * Each level's internal mask, as GDAL pairs them: a full-image mask (NewSubfileType 4) goes to level 0 only, an
 * overview's (5) to the first overview of its size met before it in GDAL's visit order that has none yet; one
 * band of 1 bit (what GDAL writes). A mask IFD that cannot be described, or of another layout, is left out (the
 * pixels stay readable).
 */
async function pairMasks(
  levels: readonly GeoTiffLevel[],
  candidates: readonly MaskCandidate[],
  ctx: { name: string; tags: IfdTags; visitOrder: readonly number[] },
): Promise<GeoTiffInternals['masks']> {
  const masks: GeoTiffInternals['masks'] = levels.map(() => undefined);
  const visited = (ifd: number) => ctx.visitOrder.indexOf(ifd);
  for (const { ifd, image, ofOverview } of candidates) {
    try {
      const at = levels.findIndex(
        (l, k) =>
          !masks[k] &&
          (ofOverview ? k > 0 && visited(l.ifd) < visited(ifd) : k === 0) &&
          l.width === image.getWidth() &&
          l.height === image.getHeight(),
      );
      const owner = levels[at];
      if (!owner) continue;
      const level = await describeLevel(image, ifd, ctx.name, ctx.tags);
      if (level.bandCount !== 1 || level.nbits !== 1) continue;
      level.noData = null;
      masks[at] = { level, image, bands: new Array<number>(owner.bandCount).fill(0) };
      owner.mask = { ifd };
    } catch {
      // a mask IFD we cannot describe: the level reads as if it had none
    }
  }
  return masks;
}

/**
 * The nodata of a level with a PAM sidecar, as GDAL reads each band: the sidecar's `<NoDataValue>` for the band,
 * else the file's GDAL_NODATA. One value holds for every band here, so bands that end up with different ones (the
 * sidecar sets some bands or gives them different values) are refused rather than given one band's value.
 * @throws RasterIoError `CORRUPT_TIFF` naming the sidecar when the bands' nodata differ
 */
function pamNoData(pam: PamInfo, level: GeoTiffLevel): number | null {
  const perBand = Array.from({ length: level.bandCount }, (_, b) => {
    const v = pam.noData.get(b + 1);
    return v === undefined ? level.noData : noDataForDType(v, level.dtype);
  });
  const first = perBand[0] ?? null;
  const differs = perBand.findIndex((v) => !Object.is(v, first) && !(v === 0 && first === 0));
  if (differs > 0) {
    const shown = (v: number | null) => (v === null ? 'none' : String(v));
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${pam.name}: GDAL PAM sidecar gives band 1 nodata ${shown(first)} and band ${differs + 1} ${shown(perBand[differs] ?? null)} (a band it leaves out keeps the file's GDAL_NODATA); raster-io holds one nodata value per file, so the bands cannot be read with their own: give every band the same <NoDataValue> in the sidecar`,
    );
  }
  return first;
}

/**
 * The sidecars GDAL reads beside a local file, in its order: the `.ovr` overviews when the file has no internal
 * ones, then the `.msk` mask when its full image has no internal mask. What is opened is recorded in `opened` (for
 * the file's close) and closed again when a later step fails.
 */
async function attachSidecars(
  levels: GeoTiffLevel[],
  state: Pick<GeoTiffInternals, 'images' | 'masks' | 'levelFiles'>,
  sidecars: Sidecars,
  opened: { mask?: GeoTiff; overviews?: GeoTiff },
): Promise<void> {
  try {
    const external = levels.length === 1 ? await sidecars.overviews?.() : undefined;
    if (external && addExternalOverviews(levels, state, external)) opened.overviews = external.tiff;
    else await external?.tiff.close();
    if (!state.masks[0] && sidecars.mask) {
      const sidecar = await sidecars.mask();
      opened.mask = sidecar?.tiff;
      if (sidecar) await pairMaskFile(levels, state.masks, sidecar);
    }
  } catch (err) {
    await opened.mask?.close();
    await opened.overviews?.close();
    throw err;
  }
}

/**
 * Append GDAL's external overviews to `levels` (the full image alone), as GDAL lists them: the sidecar's levels
 * in its order, georeferenced over the full image's extent. Each keeps its own nodata (GDAL reads the sidecar's
 * bands) and its own internal mask. GDAL gives a band overviews only when the sidecar has that band, and a level
 * here holds every band, so a sidecar of another band count adds none.
 * @returns whether the sidecar's levels were added
 */
function addExternalOverviews(
  levels: GeoTiffLevel[],
  state: Pick<GeoTiffInternals, 'images' | 'masks' | 'levelFiles'>,
  sidecar: { tiff: GeoTiff; path: string },
): boolean {
  const full = levels[0] as GeoTiffLevel;
  const { tiff: file, path } = sidecar;
  if (file.levels[0]?.bandCount !== full.bandCount) return false;
  const own = geoTiffInternals(file);
  file.levels.forEach((overview, j) => {
    const { geo: _geo, mask, ...rest } = overview;
    const level: GeoTiffLevel = { ...rest, file: path };
    if (full.geo) level.geo = scaleGeo(full.geo, full.width, full.height, level.width, level.height);
    const ownMask = own.masks[j];
    if (mask && ownMask) level.mask = { ...mask, file: mask.file ?? path };
    levels.push(level);
    state.images.push(own.images[j] as GeoTIFFImage);
    state.masks.push(ownMask ? { ...ownMask, file: ownMask.file ?? file } : undefined);
    state.levelFiles.push(file);
  });
  return true;
}

/** GDAL's mask flag: one mask for all bands (`GMF_PER_DATASET`). */
const GMF_PER_DATASET = 2;

/**
 * Pair the levels with GDAL's `.msk` sidecar as GDAL does: its `INTERNAL_MASK_FLAGS_n` metadata says for each band
 * n whether it has a mask (no item: none) and whether that mask is the sidecar's first band (flag 2, per dataset)
 * or its band n. The full image takes the sidecar's first level, each overview the sidecar's first overview of its
 * size (GDAL reads `.msk` overviews so); levels with an internal mask keep it.
 * @throws RasterIoError `CORRUPT_TIFF` naming the sidecar when its first level is not 8-bit of the image's size
 */
async function pairMaskFile(
  levels: readonly GeoTiffLevel[],
  masks: GeoTiffInternals['masks'],
  sidecar: { tiff: GeoTiff; path: string },
): Promise<void> {
  const { tiff: file, path } = sidecar;
  const full = levels[0] as GeoTiffLevel;
  const first = file.levels[0] as GeoTiffLevel;
  if (first.width !== full.width || first.height !== full.height || first.dtype !== 'uint8') {
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${path}: GDAL mask sidecar is ${first.width}x${first.height} ${first.dtype}, the image ${full.width}x${full.height} (a mask is 8-bit, of the image's size)`,
    );
  }
  const flags = await maskFlags(file, path);
  const bands = Array.from({ length: full.bandCount }, (_, b) => {
    const f = flags.get(b + 1);
    if (f === undefined) return undefined;
    const band = f & GMF_PER_DATASET ? 0 : b;
    return band < first.bandCount ? band : undefined;
  });
  if (bands.every((b) => b === undefined)) return;
  const perBand = bands.some((b) => b !== undefined && b !== 0);
  const { images, levelFiles } = geoTiffInternals(file);
  levels.forEach((level, k) => {
    if (masks[k]) return;
    const at = file.levels.findIndex(
      (m, j) => (k === 0 ? j === 0 : j > 0) && m.width === level.width && m.height === level.height,
    );
    const mask = file.levels[at];
    if (!mask) return;
    // a mask overview may lie in the sidecar's own `.ovr`
    const holder = levelFiles[at] ?? file;
    masks[k] = { level: mask, image: images[at] as GeoTIFFImage, file: holder, bands, raw: true };
    level.mask = { ifd: mask.ifd, file: mask.file ?? path, ...(perBand ? { perBand: true } : {}) };
  });
}

/** The `INTERNAL_MASK_FLAGS_n` items of a mask file's GDALMetadata tag (dataset items only): band → flags. */
async function maskFlags(file: GeoTiff, path: string): Promise<Map<number, number>> {
  const fd = (geoTiffInternals(file).images[0] as GeoTIFFImage).fileDirectory;
  const flags = new Map<number, number>();
  if (!fd.hasTag('GDAL_METADATA' as never)) return flags;
  const text: unknown = await fd.loadValue('GDAL_METADATA' as never);
  if (typeof text !== 'string') return flags;
  let root: ReturnType<typeof scanXml>;
  try {
    root = scanXml(text.split('\0')[0] as string, 1);
  } catch (err) {
    if (!(err instanceof XmlScanError)) throw err;
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${path}: its GDALMetadata tag is not well-formed XML (${err.message})`,
    );
  }
  for (const item of root.children) {
    const m = /^INTERNAL_MASK_FLAGS_(\d+)$/.exec(item.attributes.name ?? '');
    // dataset items only: band items carry a sample, other domains a domain
    if (!m || item.name !== 'Item' || item.attributes.sample !== undefined || item.attributes.domain)
      continue;
    flags.set(Number(m[1]), Number.parseInt(item.text.trim(), 10) || 0);
  }
  return flags;
}

/** The GeoKeys by id; long params (a WKT citation) may be deferred by geotiff.js, hence loadValue. */
/** Field types RATIONAL and SRATIONAL, which libtiff converts to doubles and geotiff.js 3.0.5 misreads. */
const RATIONAL_TYPES = new Set([5, 10]);

/**
 * The values of IFD 0's numeric tag: geotiff.js's, except RATIONAL/SRATIONAL arrays, which it reads wrongly (every
 * other value) and which are read from the file here (the first `limit` of them).
 */
async function numbersOfTag(
  fd: GeoTIFFImage['fileDirectory'],
  tags: IfdTags,
  { tag, geotiffName, limit }: { tag: number; geotiffName: string; limit: number },
): Promise<number[] | undefined> {
  const entry = tags.entry(0, tag);
  if (entry && RATIONAL_TYPES.has(entry.type)) return tags.numbers(0, tag, limit);
  const v = fd.getValue(geotiffName as never) as ArrayLike<number> | number | undefined;
  return v === undefined ? undefined : typeof v === 'number' ? [v] : Array.from(v, Number);
}

/** GeoDoubleParams worth reading: one more than libtiff's 16-bit count tells a tag it drops. */
const MAX_GEO_DOUBLES = 65536;

async function rawGeoKeys(
  img: GeoTIFFImage,
  ignored: Set<number>,
  tags: IfdTags,
): Promise<GeoKeyDirectory | undefined> {
  const fd = img.fileDirectory;
  const ids: Record<string, number> = {
    GeoKeyDirectory: 34735,
    GeoDoubleParams: 34736,
    GeoAsciiParams: 34737,
  };
  const get = async (tag: string): Promise<unknown> => {
    if (!fd.hasTag(tag as never) || ignored.has(ids[tag] as number)) return undefined;
    try {
      return await fd.loadValue(tag as never);
    } catch {
      return undefined; // unreadable params: the keys that use them are skipped
    }
  };
  const ascii = await get('GeoAsciiParams');
  return parseGeoKeyDirectory(
    (await get('GeoKeyDirectory')) as ArrayLike<number> | undefined,
    ignored.has(34736)
      ? undefined
      : RATIONAL_TYPES.has(tags.entry(0, 34736)?.type ?? 0)
        ? await tags.numbers(0, 34736, MAX_GEO_DOUBLES)
        : ((await get('GeoDoubleParams')) as ArrayLike<number> | undefined),
    // libtiff reads an ASCII tag stored as bytes or other integers too (each must fit a byte)
    typeof ascii === 'string' ? ascii : ascii === undefined ? undefined : bytesAsText(tagNumbers(ascii)),
  );
}

function sampleFormats(fd: GeoTIFFImage['fileDirectory']): number[] {
  const raw = fd.getValue('SampleFormat') as ArrayLike<number> | number | undefined;
  return raw === undefined ? [1] : typeof raw === 'number' ? [raw] : Array.from(raw);
}

/**
 * The SampleFormat an SGI DataType tag sets, when it comes after any SampleFormat entry (libtiff applies the
 * directory's entries in order, so the later one wins); undefined otherwise.
 */
async function dataTypeFormat(tags: IfdTags, ifd: number): Promise<number[] | undefined> {
  const at = tags.position(ifd, DATA_TYPE_TAG);
  if (at === undefined || at < (tags.position(ifd, 339) ?? -1)) return undefined;
  const value = (await tags.numbers(ifd, DATA_TYPE_TAG, 1))?.[0];
  const format = value === undefined ? undefined : DATA_TYPE_FORMATS[value];
  return format === undefined ? undefined : [format];
}

async function describeLevel(
  img: GeoTIFFImage,
  ifd: number,
  name: string,
  tags: IfdTags,
): Promise<GeoTiffLevel> {
  const fd = img.fileDirectory;
  const spp = img.getSamplesPerPixel();
  if (!Number.isSafeInteger(spp) || spp < 1) {
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${name}: IFD ${ifd} has SamplesPerPixel ${spp}; it must be a positive integer`,
    );
  }
  const bits = Array.from(
    (fd.getValue('BitsPerSample') as ArrayLike<number> | number | undefined as ArrayLike<number>) ?? [1],
  );
  const formats = (await dataTypeFormat(tags, ifd)) ?? sampleFormats(fd);
  // libtiff takes one value for all samples or one per sample; any other count fails the directory.
  for (const [tag, values] of [
    ['BitsPerSample', bits],
    ['SampleFormat', formats],
  ] as const) {
    if (values.length === 0 || (values.length > 1 && values.length < spp)) {
      throw new RasterIoError(
        'CORRUPT_TIFF',
        `${name}: IFD ${ifd} has ${values.length} ${tag} value(s) for ${spp} sample(s) per pixel`,
      );
    }
  }
  const dtypes = new Set<string>();
  let dtype: DType | undefined;
  for (let s = 0; s < spp; s++) {
    const b = Number(bits[Math.min(s, bits.length - 1)]);
    const f = Number(formats[Math.min(s, formats.length - 1)] ?? 1);
    dtype =
      dtypeFromTiff(f, b) ?? packedDtype(f, b) ?? (f === 3 && (b === 16 || b === 24) ? 'float32' : undefined);
    dtypes.add(`${f}:${b}`);
    if (!dtype) {
      throw new RasterIoError(
        'UNSUPPORTED_DTYPE',
        `${name}: IFD ${ifd} has ${b}-bit samples of SampleFormat ${f}; supported: 8/16/32-bit unsigned, 16/32-bit signed, 32/64-bit float (convert with gdal_translate -ot)`,
      );
    }
  }
  if (dtypes.size > 1 || !dtype) {
    throw new RasterIoError(
      'UNSUPPORTED_DTYPE',
      `${name}: IFD ${ifd} mixes sample types (${[...dtypes].join(', ')}); all bands must share one dtype`,
    );
  }
  checkExtraSamples(fd.getValue('ExtraSamples'), spp, name, ifd);
  const subsampling = await ycbcrSubsamplingTag(tags, ifd);
  checkYCbCrSubsampling(fd, subsampling, { spp, name, ifd });
  const firstBits = Number(bits[0]);
  const firstFormat = Number(formats[0] ?? 1);
  const width = img.getWidth();
  const height = img.getHeight();
  const photometric = Number(fd.getValue('PhotometricInterpretation') ?? 1);
  // A tile tag makes the image tiled (libtiff's rule), whichever offsets tag it uses; geotiff.js looks at the
  // offsets tag only and would read such tiles as strips.
  const tiles = tileSize(fd, { ifd, width, height }, tags);
  const tiled = tiles !== undefined;
  // libtiff keeps one offsets and one byte-counts entry per directory: StripX and TileX are the same field, and
  // the later of the two in the directory wins, whatever the layout
  const later = <T extends string>(strip: [T, number], tile: [T, number]): T =>
    (tags.position(ifd, tile[1]) ?? -1) > (tags.position(ifd, strip[1]) ?? -1) ? tile[0] : strip[0];
  const offsetsTag = later(['StripOffsets', 273], ['TileOffsets', 324]);
  const countsTag = later(['StripByteCounts', 279], ['TileByteCounts', 325]);
  const [tileWidth, tileHeight] = tiles ?? [undefined, undefined];
  for (const t of [tileWidth, tileHeight]) {
    if (t !== undefined && !(Number.isInteger(t) && t >= 1)) {
      throw new RasterIoError(
        'NOT_A_TIFF',
        `${name}: corrupt TIFF structure; IFD ${ifd} has tile size ${tileWidth}x${tileHeight} (TileWidth/TileLength must be positive integers)`,
      );
    }
  }
  const rps = Number(fd.getValue('RowsPerStrip') ?? height);
  const compression = Number(fd.getValue('Compression') ?? 1);
  const dims: [string, unknown][] = [
    ['ImageWidth', width],
    ['ImageLength', height],
  ];
  if (tiled) dims.push(['TileWidth', img.getTileWidth()], ['TileLength', img.getTileHeight()]);
  else dims.push(['RowsPerStrip', rps]);
  for (const [tag, v] of dims) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new RasterIoError(
        'CORRUPT_TIFF',
        `${name}: IFD ${ifd} has ${tag} ${String(v)}; it must be a positive integer`,
      );
    }
  }
  return {
    ifd,
    width,
    height,
    bandCount: spp,
    dtype,
    noData: noDataForDType(
      parseNoData(fd.getValue('GDAL_NODATA'), tags.entry(ifd, GDAL_NODATA)?.type),
      dtype,
    ),
    tileWidth,
    tileHeight,
    rowsPerStrip: tiled ? undefined : Math.min(Math.max(1, rps), height),
    compression,
    predictor: Number((await fd.loadValue('Predictor')) ?? 1),
    planarConfiguration: spp > 1 && Number(fd.getValue('PlanarConfiguration') ?? 1) === 2 ? 2 : 1,
    photometric,
    offsetsTag,
    countsTag,
    ...(tags.position(ifd, 279) === undefined && tags.position(ifd, 325) === undefined
      ? { byteCountsMissing: true }
      : {}),
    directoryBytes: tags.tagBytes(ifd),
    ...(packedDtype(firstFormat, firstBits) ? { nbits: firstBits } : {}),
    ...(firstFormat === 3 && firstBits === 16 ? { halfFloat: true } : {}),
    ...(firstFormat === 3 && firstBits === 24 ? { float24: true } : {}),
    // JPEG's YCbCr is converted by the JPEG decoder (whole blocks at full resolution), not as raw YCbCr samples
    ...(photometric === 6 && compression !== JPEG_COMPRESSION && !packedDtype(firstFormat, firstBits)
      ? await ycbcrLayout(fd, { dtype, spp, tiled, subsampling }, (tag) => tags.numbers(ifd, tag))
      : {}),
    ...(compression === JPEG_COMPRESSION ? await jpegTables(fd) : {}),
    ...(photometric === 6 ? { ycbcrSubsampling: subsampling } : {}),
    ...(compression === LERC_COMPRESSION ? lercLayout(fd, dtype, spp) : {}),
    ...(isCcitt(compression) ? { ccitt: ccittLayout(fd, compression) } : {}),
    ...((await libtiffShort(tags, ifd, 266)) === 2 ? { lsbFirst: true } : {}),
    ...(photometric === 5 ? { inkSet: (await libtiffShort(tags, ifd, 332)) ?? 1 } : {}),
  };
}

/**
 * A tag libtiff reads as one 16-bit value and ignores otherwise (FillOrder, InkSet): exactly one value of an integer
 * field type within 0–65535; undefined when absent or ignored, so the caller's default applies.
 */
async function libtiffShort(tags: IfdTags, ifd: number, tag: number): Promise<number | undefined> {
  const entry = tags.entry(ifd, tag);
  if (!entry || entry.count !== 1 || !INTEGER_TYPES.has(entry.type)) return undefined;
  const value = (await tags.numbers(ifd, tag, 1))?.[0];
  return value !== undefined && Number.isInteger(value) && value >= 0 && value <= 65535 ? value : undefined;
}

/**
 * LERC's wrapping (LercParameters: version, then 0 none / 1 deflate / 2 ZSTD; libtiff's default without the tag
 * is none) and the alpha-as-mask case. An unknown wrapping fails the read, not the open.
 */
function lercLayout(
  fd: GeoTIFFImage['fileDirectory'],
  dtype: DType,
  spp: number,
): { lerc: { additionalCompression: number; alphaAsMask: boolean } } {
  const additionalCompression = Number(tagNumbers(fd.getValue('LercParameters' as never))[1] ?? 0);
  const kinds = tagNumbers(fd.getValue('ExtraSamples'));
  const chunky = spp > 1 && Number(fd.getValue('PlanarConfiguration') ?? 1) !== 2;
  const alphaAsMask = chunky && dtype === 'uint8' && kinds[kinds.length - 1] === 2;
  return { lerc: { additionalCompression, alphaAsMask } };
}

/** A CCITT level's options (T4Options for T.4, T6Options for T.6; 0 when absent). */
function ccittLayout(fd: GeoTIFFImage['fileDirectory'], compression: number): CcittLayout {
  const tag = compression === CCITT_T6 ? 'T6Options' : 'T4Options';
  return { options: compression === CCITT_RLE ? 0 : Number(tagNumbers(fd.getValue(tag as never))[0] ?? 0) };
}

/**
 * The YCbCrSubSampling tag (horizontal, vertical) as libtiff reads it: exactly two integers, else it ignores the
 * tag and keeps its 2×2 default. Read from the file: geotiff.js would allocate a tag of any count at parse time,
 * so it never sees one.
 */
async function ycbcrSubsamplingTag(tags: IfdTags, ifd: number): Promise<[number, number]> {
  const entry = tags.entry(ifd, YCBCR_SUBSAMPLING);
  if (!entry || entry.count !== 2 || !INTEGER_TYPES.has(entry.type)) return [2, 2];
  const [hs, vs] = (await tags.numbers(ifd, YCBCR_SUBSAMPLING, 2)) ?? [];
  return hs === undefined || vs === undefined ? [2, 2] : [hs, vs];
}

/** The JPEGTables tag of a JPEG level, when it has one (each block may also carry its own tables). */
async function jpegTables(fd: GeoTIFFImage['fileDirectory']): Promise<{ jpegTables?: Uint8Array }> {
  if (!fd.hasTag('JPEGTables' as never)) return {};
  const v = (await fd.loadValue('JPEGTables' as never)) as ArrayLike<number> | number | undefined;
  if (v === undefined) return {};
  return { jpegTables: typeof v === 'number' ? Uint8Array.of(v) : Uint8Array.from(v as ArrayLike<number>) };
}

/**
 * The dtype GDAL reads packed unsigned samples into (NBITS 1–7 → uint8, 9–15 → uint16, 17–31 → uint32), or
 * undefined for whole-byte sizes and other sample formats.
 */
function packedDtype(sampleFormat: number, bits: number): DType | undefined {
  if (sampleFormat !== 1 || !Number.isInteger(bits) || bits < 1 || bits > 31 || bits === 8 || bits === 16)
    return undefined;
  return bits < 8 ? 'uint8' : bits < 16 ? 'uint16' : 'uint32';
}

/** libtiff fails the directory when ExtraSamples lists more samples than there are, or unknown kinds. */
function checkExtraSamples(v: unknown, spp: number, name: string, ifd: number): void {
  const kinds = tagNumbers(v);
  if (kinds.length > spp || kinds.some((k) => k > 2 && k !== 999)) {
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${name}: IFD ${ifd} has ExtraSamples [${kinds.slice(0, 8).join(', ')}] for ${spp} sample(s) per pixel`,
    );
  }
}

/**
 * libtiff cannot size the rows of pixel-interleaved 3-sample YCbCr with a subsampling other than 1, 2 or 4 (default
 * 2×2) and fails the directory, JPEG included.
 */
function checkYCbCrSubsampling(
  fd: GeoTIFFImage['fileDirectory'],
  [hs, vs]: readonly [number, number],
  { spp, name, ifd }: { spp: number; name: string; ifd: number },
): void {
  const photometric = Number(fd.getValue('PhotometricInterpretation') ?? 1);
  const planar = Number(fd.getValue('PlanarConfiguration') ?? 1);
  if (photometric !== 6 || planar !== 1 || spp !== 3) return;
  if (![1, 2, 4].includes(hs) || ![1, 2, 4].includes(vs)) {
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${name}: IFD ${ifd} has YCbCrSubSampling [${hs}, ${vs}]; each must be 1, 2 or 4`,
    );
  }
}

/** A numeric tag's values as an array (geotiff.js gives one value as a number, several as an array). */
function tagNumbers(v: unknown): number[] {
  if (v === undefined || v === null) return [];
  return typeof v === 'number' ? [v] : Array.from(v as ArrayLike<number>);
}

/** The GDAL_NODATA tag. */
const GDAL_NODATA = 42113;
const YCBCR_SUBSAMPLING = 530;

/**
 * Field types libtiff reads an ASCII tag from (TIFFReadDirEntryByteArray): ASCII and UNDEFINED bytes, and integers
 * that each fit a byte. FLOAT, DOUBLE, RATIONAL and the IFD types it refuses ("Incompatible type for
 * GDALNoDataValue"; tag ignored), so GDAL has no nodata.
 */
const ASCII_TAG_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 4, 6, 7, 8, 9, 16, 17]);

/**
 * GDAL_NODATA as GDAL reads it: the ASCII value up to its first NUL (a C string); empty is no nodata, anything
 * else is parsed with GDAL's `CPLAtofM` (below), so a damaged value means what it means to GDAL, never "none".
 * Stored as a field type libtiff does not read text from (`type`, see {@link ASCII_TAG_TYPES}), it is absent.
 */
function parseNoData(v: unknown, type: number | undefined): number | null {
  if (v === undefined || v === null) return null;
  if (type !== undefined && !ASCII_TAG_TYPES.has(type)) return null;
  const raw = typeof v === 'string' ? v : bytesAsText(tagNumbers(v));
  if (raw === undefined) return null;
  const text = raw.split('\0')[0] as string;
  return text === '' ? null : gdalAtof(text);
}

/**
 * An ASCII tag stored with an integer type: libtiff takes the values as its bytes, or drops the tag when one does
 * not fit a byte (undefined).
 */
function bytesAsText(values: number[]): string | undefined {
  if (!values.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) return undefined;
  return String.fromCharCode(...values.slice(0, 4096));
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?\d+))?/;

/**
 * GDAL's `CPLAtofM`: a ',' before any '.' in the first 50 characters is the decimal separator; a few MSVC
 * spellings (1.#QNAN, 1.#INF) and exactly "inf", "-inf", "nan"; else C `strtod` of the longest valid prefix
 * (leading white space, inf/infinity/nan in any case, hexadecimal floats), 0 when there is none.
 */
export function gdalAtof(text: string): number {
  const head = text.slice(0, 50);
  const comma = head.indexOf(',');
  const dot = head.indexOf('.');
  let s = comma >= 0 && (dot < 0 || comma < dot) ? text.replace(',', '.') : text;
  s = s.replace(/^ +/, '');
  if (/^-1\.#(QNAN|IND)/.test(s) || /^1\.#[QS]NAN/.test(s)) return Number.NaN;
  if (s === '-inf' || /^-1\.#INF/i.test(s)) return -Infinity;
  if (s === 'inf' || /^1\.#INF/i.test(s)) return Infinity;
  if (s === 'nan') return Number.NaN;
  s = s.replace(/^[ \t\n\v\f\r]+/, '');
  const sign = s.startsWith('-') ? -1 : 1;
  const unsigned = s.replace(/^[+-]/, '');
  if (/^inf/i.test(unsigned)) return sign * Infinity;
  if (/^nan/i.test(unsigned)) return Number.NaN;
  const hex = HEX.exec(s);
  if (hex && (hex[2] || hex[3])) return hexFloat(hex);
  const decimal = DECIMAL.exec(s);
  return decimal ? Number(decimal[0]) : 0;
}

/** The value of a C hexadecimal float (`0x1.8p3`), from {@link HEX}'s groups. */
function hexFloat([, sign, whole, fraction, exponent]: RegExpExecArray): number {
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return sign === '-' ? -0 : 0;
  const mantissa = Number.parseInt(digits.slice(0, 15), 16) * 16 ** Math.max(0, digits.length - 15);
  const value = mantissa * 2 ** (Number(exponent ?? 0) - 4 * (fraction?.length ?? 0));
  return sign === '-' ? -value : value;
}

/**
 * The YCbCr layout libtiff's RGBA interface (GDAL's reader for these files) handles: 8-bit, 3 samples, strips,
 * chunky with subsampling 1/2/4 (vertical ≤ horizontal) or planar subsampled 1×1. Anything else gets none and is
 * refused when read.
 */
/**
 * A ReferenceBlackWhite value libtiff's RGBA interface accepts: as float32, inside (−2^31 + 128, 2^31); others fail
 * its YCbCr conversion ("Invalid values for ReferenceBlackWhite tag"), and GDAL's read with it.
 */
function inReferenceRange(v: number): boolean {
  const f = Math.fround(v);
  return f > Math.fround(-0x7fffffff + 128) && f < Math.fround(0x7fffffff);
}

async function ycbcrLayout(
  fd: GeoTIFFImage['fileDirectory'],
  {
    dtype,
    spp,
    tiled,
    subsampling,
  }: { dtype: DType; spp: number; tiled: boolean; subsampling: readonly [number, number] },
  readNumbers: (tag: number) => Promise<number[] | undefined>,
): Promise<{ ycbcr?: YCbCrLayout }> {
  const [hs, vs] = subsampling;
  const planar = Number(fd.getValue('PlanarConfiguration') ?? 1);
  // RATIONAL arrays, read from the file: geotiff.js 3.0.5 skips every other value of them
  const coefficients = (await readNumbers(529)) ?? [0.299, 0.587, 0.114];
  const rbw = (await readNumbers(532)) ?? [0, 255, 128, 255, 128, 255];
  // Tiled YCbCr is left out: GDAL 3.6 (libtiff's RGBA tile reader) fails on it, so there is no reference.
  const ok =
    !tiled &&
    dtype === 'uint8' &&
    spp === 3 &&
    // planar: libtiff's RGBA interface converts separate planes sample by sample, so only 1×1 (GDAL 3.6 reads it)
    (planar === 1 || (planar === 2 && hs === 1 && vs === 1)) &&
    [1, 2, 4].includes(hs) &&
    [1, 2, 4].includes(vs) &&
    vs <= hs &&
    coefficients.length === 3 &&
    coefficients.every(Number.isFinite) &&
    (coefficients[1] as number) !== 0 &&
    rbw.length === 6 &&
    rbw.every(inReferenceRange);
  if (!ok) return {};
  return {
    ycbcr: {
      subsampling: [hs, vs],
      coefficients: coefficients as YCbCrLayout['coefficients'],
      referenceBlackWhite: rbw as YCbCrLayout['referenceBlackWhite'],
    },
  };
}

/**
 * Nodata as GDAL reports it for the band type: a Float32 band's nodata is cast to float32 (so "-3.4e+38"
 * equals the pixels that hold it); integer bands keep the value as written, out of range or not, as GDAL does.
 */
export function noDataForDType(v: number | null, dtype: DType): number | null {
  if (v === null) return null;
  return dtype === 'float32' ? Math.fround(v) : v;
}

/** The tile size of a described directory, or undefined for a stripped image (see {@link libtiffTileSize}). */
function tileSize(
  fd: GeoTIFFImage['fileDirectory'],
  at: { ifd: number; width: number; height: number },
  tags: IfdTags,
): [number, number] | undefined {
  const value = (name: 'TileWidth' | 'TileLength' | 'RowsPerStrip') =>
    fd.hasTag(name) ? Number(fd.getValue(name)) : undefined;
  return libtiffTileSize(
    {
      width: at.width,
      height: at.height,
      tileWidth: value('TileWidth'),
      tileLength: value('TileLength'),
      rowsPerStrip: value('RowsPerStrip'),
    },
    (tag) => tags.position(at.ifd, tag),
  );
}

/**
 * The tile size libtiff ends up with, or undefined for a stripped image. TileWidth and TileLength set one libtiff
 * field, and a RowsPerStrip met before either tile tag sets it too (length = RowsPerStrip, width = ImageWidth), so a
 * lone tile tag takes its partner from there, else 0: a tiled image of zero tiles, which libtiff (and so GDAL)
 * refuses. A dimension of 2^32 − 1 means the whole image, as in libtiff.
 */
function libtiffTileSize(
  d: { width: number; height: number; tileWidth?: number; tileLength?: number; rowsPerStrip?: number },
  position: (tag: number) => number | undefined,
): [number, number] | undefined {
  const hasWidth = d.tileWidth !== undefined;
  const hasLength = d.tileLength !== undefined;
  if (!hasWidth && !hasLength) return undefined;
  let w = d.tileWidth ?? 0;
  let l = d.tileLength ?? 0;
  if (hasWidth !== hasLength) {
    const at = (tag: number) => position(tag) ?? Number.POSITIVE_INFINITY;
    const rowsPerStrip = at(278);
    if (rowsPerStrip < Math.min(at(322), at(323))) {
      if (!hasWidth) w = at(256) < rowsPerStrip ? d.width : 0;
      if (!hasLength) l = d.rowsPerStrip ?? 0;
    }
  }
  return [w === 0xffffffff ? d.width : w, l === 0xffffffff ? d.height : l];
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ') || '(empty)';
}
