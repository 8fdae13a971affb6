// libzstd (the library libtiff's ZSTD codec uses) called through the `koffi` FFI. Optional: when koffi or the shared
// library is missing, or WORLDSTRAT_LIBZSTD=off, `loadLibzstd()` returns null and the ZSTD codec falls back to
// node:zlib's zstd (Node ≥ 22.15) or reports the codec as unavailable.
import { type KoffiLibrary, nativeLibrary, outputBuffers } from './native-library.node.js';

/** One-shot ZSTD decompression over whole blocks (and compression, which tests build blocks with). */
export interface Libzstd {
  /** Which shared library was loaded (for messages). */
  readonly library: string;
  /**
   * Decompress the first frame of `block` into a buffer of `cap` bytes; what follows it (another frame, other bytes)
   * is ignored, as libtiff's streaming decoder stops at a frame's end. Returns the decoded bytes, `'too-long'` when
   * the frame holds more than `cap` bytes, or an error text for bad or truncated data. With `reuse`, the result is
   * a view of a buffer the next `decompress(…, true)` on this thread overwrites; with `into` (at least `cap`
   * bytes), a view of `into`.
   */
  decompress(
    block: Uint8Array,
    cap: number,
    reuse?: boolean,
    into?: Uint8Array,
  ): Uint8Array | 'too-long' | { error: string };
  /** One ZSTD frame of `block` at `level` (1–22), in a buffer the caller owns. */
  compress(block: Uint8Array, level: number): Uint8Array;
}

/** ZSTD_ErrorCode values (zstd_errors.h, stable since zstd 1.3). */
const DST_SIZE_TOO_SMALL = 70;

/** Names tried in order: the runtime package's soname first (Debian/Ubuntu `libzstd1`, Fedora, Homebrew). */
const LIBRARY_NAMES: Readonly<Record<string, readonly string[]>> = {
  linux: ['libzstd.so.1', 'libzstd.so'],
  darwin: [
    'libzstd.1.dylib',
    'libzstd.dylib',
    '/opt/homebrew/lib/libzstd.1.dylib',
    '/usr/local/lib/libzstd.1.dylib',
  ],
  win32: ['libzstd.dll', 'zstd.dll'],
};

/** The process's (or worker thread's) libzstd binding, loaded on first use; null when unavailable. */
export const loadLibzstd: () => Libzstd | null = nativeLibrary(
  'WORLDSTRAT_LIBZSTD',
  { names: LIBRARY_NAMES, probe: 'ZSTD_decompressDCtx' },
  bind,
);

/** size_t results: koffi gives a number, or a bigint above 2^53 (every error code is near 2^64). */
type SizeT = number | bigint;

function bind(lib: KoffiLibrary, library: string): Libzstd {
  const createDCtx = lib.func('void* ZSTD_createDCtx()');
  const decompressDCtx = lib.func(
    'size_t ZSTD_decompressDCtx(void* dctx, _Out_ uint8_t* dst, size_t dstCapacity, const uint8_t* src, size_t srcSize)',
  );
  const findFrameCompressedSize = lib.func(
    'size_t ZSTD_findFrameCompressedSize(const uint8_t* src, size_t srcSize)',
  );
  const isError = lib.func('unsigned int ZSTD_isError(size_t code)');
  const getErrorCode = lib.func('int ZSTD_getErrorCode(size_t code)');
  const getErrorName = lib.func('const char* ZSTD_getErrorName(size_t code)');
  const compressBound = lib.func('size_t ZSTD_compressBound(size_t srcSize)');
  const compress = lib.func(
    'size_t ZSTD_compress(_Out_ uint8_t* dst, size_t dstCapacity, const uint8_t* src, size_t srcSize, int level)',
  );
  // One decompression context for the life of this thread (it holds its tables; a thread runs one call at a time).
  const dctx = createDCtx();
  if (!dctx) throw new Error('ZSTD_createDCtx failed');
  const failed = (r: SizeT) => (isError(r) as number) !== 0;
  const outputs = outputBuffers();
  return {
    library,
    decompress(block, cap, reuse, into) {
      const out = into && into.byteLength >= cap ? into : outputs(cap, reuse);
      // the first frame only: libtiff's streaming loop stops at the end of a frame, and whatever follows it
      // (another frame, other bytes) is left alone
      const frame = findFrameCompressedSize(block, block.byteLength) as SizeT;
      if (failed(frame)) return { error: String(getErrorName(frame)) };
      const n = decompressDCtx(dctx, out, cap, block, frame) as SizeT;
      if (failed(n)) {
        if ((getErrorCode(n) as number) === DST_SIZE_TOO_SMALL) return 'too-long';
        return { error: String(getErrorName(n)) };
      }
      return new Uint8Array(out.buffer, out.byteOffset, Number(n));
    },
    compress(block, level) {
      const bound = Number(compressBound(block.byteLength) as SizeT);
      const out = Buffer.allocUnsafeSlow(bound);
      const n = compress(out, bound, block, block.byteLength, level) as SizeT;
      if (failed(n)) throw new Error(`ZSTD_compress: ${String(getErrorName(n))}`);
      return new Uint8Array(out.buffer, out.byteOffset, Number(n)).slice();
    },
  };
}

/**
 * libtiff decodes ZSTD through the streaming API, whose default limit refuses frames that declare a window over
 * 2^27 bytes (ZSTD_WINDOWLOG_LIMIT_DEFAULT); a one-shot call would decode them. Refused likewise, so such a block
 * fails here as it fails in GDAL.
 */
export const MAX_STREAM_WINDOW = 2 ** 27;

/** Whether `b` starts with a ZSTD frame's magic number and a header byte past it. */
const isFrameStart = (b: Uint8Array): boolean =>
  b.byteLength >= 6 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd;

/**
 * The bytes of the ZSTD frame at the start of `block` (RFC 8878 §3.1.1: header, blocks up to the last, checksum),
 * or the whole block when it is not a complete frame (the decoder then reports what is wrong).
 */
export function firstFrameLength(block: Uint8Array): number {
  return completeFrameLength(block) ?? block.byteLength;
}

/** Whether `block` starts a ZSTD frame that ends before the block does (node:zlib decodes a cut one silently). */
export const isTruncatedFrame = (block: Uint8Array): boolean =>
  isFrameStart(block) && completeFrameLength(block) === null;

/** The length of the whole ZSTD frame at the start of `block`, or null when it is not one or is cut short. */
function completeFrameLength(block: Uint8Array): number | null {
  if (!isFrameStart(block)) return null;
  const fhd = block[4] as number;
  const single = (fhd & 0x20) !== 0;
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fhd >> 6] as number;
  let at = 5 + (single ? 0 : 1) + ([0, 1, 2, 4][fhd & 3] as number) + fcsBytes;
  for (;;) {
    if (at + 3 > block.byteLength) return null;
    const header =
      (block[at] as number) | ((block[at + 1] as number) << 8) | ((block[at + 2] as number) << 16);
    const type = (header >> 1) & 3;
    at += 3 + (type === 1 ? 1 : header >>> 3);
    if (header & 1) break;
  }
  at += fhd & 4 ? 4 : 0;
  return at <= block.byteLength ? at : null;
}

/**
 * The window a ZSTD frame declares (RFC 8878 §3.1.1.1): its Window_Descriptor, or the content size of a
 * single-segment frame; 0 for a header too short to say (the decoder reports that).
 */
export function frameWindowSize(frame: Uint8Array): number {
  if (!isFrameStart(frame)) return 0;
  const fhd = frame[4] as number;
  if (!(fhd & 0x20)) {
    const wd = frame[5] as number;
    const base = 2 ** (10 + (wd >> 3));
    return base + (base / 8) * (wd & 7);
  }
  // single segment: the window is the frame content size, after the optional dictionary id
  const dictBytes = [0, 1, 2, 4][fhd & 3] as number;
  const fcsBytes = [1, 2, 4, 8][fhd >> 6] as number;
  const at = 5 + dictBytes;
  if (frame.byteLength < at + fcsBytes) return 0;
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + (frame[at + i] as number);
  return fcsBytes === 2 ? size + 256 : size;
}
