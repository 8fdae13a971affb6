// libtiff's LZW decoder called through the `koffi` FFI: GDAL reads LZW GeoTIFFs with this very code, about 1.4× the
// speed of our TypeScript decoder. libtiff has no stand-alone codec call, so each thread opens one handle on a tiny
// TIFF of our own (1×1, 8-bit, LZW) held in memory, and hands blocks to `TIFFReadFromUserBuffer`, which runs the
// handle's decoder on a caller's buffer. LZW decoding depends on nothing but the stream and the output size, so one
// handle serves every block of every file; predictor and byte order stay with the reader. Optional: without koffi,
// without libtiff ≥ 4.5 (`TIFFClientOpenExt`, which routes a handle's messages to us instead of stderr), or with
// WORLDSTRAT_LIBTIFF=off, `loadLibtiff()` returns null and LZW blocks stay on the TypeScript decoder.
import { type Koffi, type KoffiLibrary, nativeLibrary, outputBuffers } from './native-library.node.js';

/** LZW decoding of whole blocks by libtiff. */
export interface Libtiff {
  /** Which shared library was loaded (for benchmark lines and messages). */
  readonly library: string;
  /**
   * The first `expected` bytes of the LZW stream `block`, or null when this block is the TypeScript decoder's to
   * decide: the stream decodes to fewer than `expected` bytes or to more than `cap`, is corrupt, is old-style
   * (LSB-first) LZW, or libtiff says anything but that the stream ended before `cap + 1` bytes. So a non-null
   * result is exactly what the TypeScript decoder gives (its first `expected` bytes). With `reuse`, the result is a
   * view of a buffer the next reusing call on this thread overwrites; with `into` (more than `cap` bytes), a view
   * of `into`; otherwise the caller's.
   */
  decodeLzw(
    block: Uint8Array,
    expected: number,
    cap: number,
    reuse?: boolean,
    into?: Uint8Array,
  ): Uint8Array | null;
}

/** Names tried in order: the runtime package's soname first (Debian/Ubuntu `libtiff6`, Fedora, Homebrew). */
const LIBRARY_NAMES: Readonly<Record<string, readonly string[]>> = {
  linux: ['libtiff.so.6', 'libtiff.so'],
  darwin: [
    'libtiff.6.dylib',
    'libtiff.dylib',
    '/opt/homebrew/lib/libtiff.6.dylib',
    '/usr/local/lib/libtiff.6.dylib',
  ],
  win32: ['libtiff.dll', 'tiff.dll', 'libtiff-6.dll'],
};

/** The process's (or worker thread's) libtiff binding, loaded on first use; null when unavailable. */
export const loadLibtiff: () => Libtiff | null = nativeLibrary(
  'WORLDSTRAT_LIBTIFF',
  { names: LIBRARY_NAMES, probe: 'TIFFReadFromUserBuffer' },
  bind,
);

/** libtiff's message when a stream ends before the output is full: the one message a good block may give. */
const ENDED_EARLY = 'Not enough data';

function bind(lib: KoffiLibrary, library: string, koffi: Koffi): Libtiff {
  const messages: string[] = [];
  const tif = openMemoryTiff(lib, koffi, messages);
  const decode = lib.func(
    'int TIFFReadFromUserBuffer(void* tif, uint32_t strile, const uint8_t* inbuf, int64_t insize, ' +
      '_Out_ uint8_t* outbuf, int64_t outsize)',
  );
  const outputs = outputBuffers();
  let sentinel = 0x5a;
  /** libtiff's verdict on `block` with room for `cap + 1` bytes: whether it ended early and nothing else. */
  const endedEarly = (block: Uint8Array, out: Uint8Array, cap: number): boolean => {
    messages.length = 0;
    const ok = decode(tif, 0, block, block.byteLength, out, cap + 1) === 1;
    // room for cap + 1 bytes all filled: the stream runs past the block, which the TypeScript decoder refuses
    return !ok && messages.length === 1 && (messages[0] as string).startsWith(ENDED_EARLY);
  };
  const binding: Libtiff = {
    library,
    decodeLzw(block, expected, cap, reuse, into) {
      if (!(expected >= 1 && expected <= cap) || block.byteLength === 0 || oldStyle(block)) return null;
      const out = into && into.byteLength > cap ? into : outputs(cap + 1, reuse);
      // The stream fills byte expected − 1 when it decodes to at least `expected` bytes: a sentinel there tells,
      // unless the decoded byte is the sentinel itself, and then a second run with another one does.
      for (const mark of [sentinel, sentinel ^ 0xff]) {
        out[expected - 1] = mark;
        if (!endedEarly(block, out, cap)) return null;
        if (out[expected - 1] !== mark) {
          sentinel = (out[expected - 1] as number) ^ 0xff; // the next block likely ends alike
          return new Uint8Array(out.buffer, out.byteOffset, expected);
        }
      }
      return null; // shorter than `expected`
    },
  };
  checkBehaviour(binding, (block, out) => {
    messages.length = 0;
    decode(tif, 0, block, block.byteLength, out, out.byteLength);
    return messages.slice();
  });
  return binding;
}

/** Clear, 'A', 'B', 'C', EOI in 9-bit codes: decodes to "ABC". */
const ABC = Uint8Array.of(128, 16, 72, 68, 56, 8);
/** Clear, 'A', then code 300, which is not in the table yet. */
const BAD_CODE = Uint8Array.of(128, 16, 101, 128);

/**
 * Throws unless this libtiff behaves as the binding relies on: a stream that ends early leaves the rest of the output
 * as it was (libtiff fills it with zeros in other codecs, which would pass a block cut short for a whole one) with
 * one "Not enough data" message, and a corrupt block leaves the handle able to decode the next one.
 */
export function checkBehaviour(
  binding: Libtiff,
  rawDecode: (block: Uint8Array, out: Uint8Array) => string[],
): void {
  const out = new Uint8Array(8).fill(0xab);
  const said = rawDecode(ABC, out);
  const untouched = out.subarray(3).every((b) => b === 0xab);
  if (said.length !== 1 || !(said[0] as string).startsWith(ENDED_EARLY) || !untouched)
    throw new Error('libtiff does not leave the output past a short stream as it was');
  const abc = () => Array.from(binding.decodeLzw(ABC, 3, 3) ?? []).join();
  if (abc() !== '65,66,67') throw new Error('libtiff does not decode a plain LZW stream');
  if (binding.decodeLzw(BAD_CODE, 2, 2) !== null || abc() !== '65,66,67')
    throw new Error('libtiff does not decode a block after a corrupt one');
}

/**
 * Whether `block` starts as an old-style (pre-TIFF 6, LSB-first) LZW stream, by libtiff's own test. Those stay with
 * the TypeScript decoder: libtiff switches a handle to its old-style decoder for good on the first such stream
 * (a file holds one kind), and would then read TIFF 6 streams with it.
 */
function oldStyle(block: Uint8Array): boolean {
  return block.byteLength >= 2 && block[0] === 0 && ((block[1] as number) & 1) === 1;
}

/**
 * A handle on a 1×1 8-bit LZW TIFF served from memory, whose error and warning messages land in `messages` (libtiff
 * ≥ 4.5 lets a handle route them, so nothing reaches stderr). Throws when the library lacks that API.
 */
function openMemoryTiff(lib: KoffiLibrary, koffi: Koffi, messages: string[]): unknown {
  const proto = (result: string, args: string[]) => koffi.pointer(koffi.proto(null, result, args));
  const ReadProc = proto('int64_t', ['void*', 'void*', 'int64_t']);
  const SeekProc = proto('uint64_t', ['void*', 'uint64_t', 'int']);
  const CloseProc = proto('int', ['void*']);
  const SizeProc = proto('uint64_t', ['void*']);
  const MapProc = proto('int', ['void*', 'void*', 'void*']);
  const UnmapProc = proto('void', ['void*', 'void*', 'uint64_t']);
  const MessageProc = proto('int', ['void*', 'void*', 'str', 'str', 'void*']);
  const allocOptions = lib.func('void* TIFFOpenOptionsAlloc()');
  const freeOptions = lib.func('void TIFFOpenOptionsFree(void* opts)');
  const onError = lib.func('TIFFOpenOptionsSetErrorHandlerExtR', 'void', ['void*', MessageProc, 'void*']);
  const onWarning = lib.func('TIFFOpenOptionsSetWarningHandlerExtR', 'void', ['void*', MessageProc, 'void*']);
  const open = lib.func('TIFFClientOpenExt', 'void*', [
    'str',
    'str',
    'void*',
    ReadProc,
    ReadProc,
    SeekProc,
    CloseProc,
    SizeProc,
    MapProc,
    UnmapProc,
    'void*',
  ]);
  const file = memoryTiff();
  let pos = 0;
  // Registered for the thread's life: libtiff keeps the handlers, and calls close and unmap only at TIFFClose.
  const callbacks = [
    koffi.register((_h: unknown, buf: unknown, size: bigint | number) => {
      const n = Math.max(0, Math.min(Number(size), file.byteLength - pos));
      if (n > 0) new Uint8Array(koffi.view(buf, n)).set(file.subarray(pos, pos + n));
      pos += n;
      return n;
    }, ReadProc),
    koffi.register(() => -1, ReadProc), // no writes: the handle is read-only
    koffi.register((_h: unknown, offset: bigint | number, whence: number) => {
      const at = Number(offset);
      pos = whence === 0 ? at : whence === 1 ? pos + at : file.byteLength + at;
      return pos;
    }, SeekProc),
    koffi.register(() => 0, CloseProc),
    koffi.register(() => file.byteLength, SizeProc),
    koffi.register(() => 0, MapProc), // not mappable: libtiff reads through ReadProc
    koffi.register(() => {}, UnmapProc),
  ];
  const onMessage = koffi.register((_t: unknown, _u: unknown, _module: string, format: string) => {
    messages.push(String(format));
    return 1; // handled: libtiff prints nothing
  }, MessageProc);
  const options = allocOptions();
  if (!options) throw new Error('TIFFOpenOptionsAlloc failed');
  try {
    onError(options, onMessage, null);
    onWarning(options, onMessage, null);
    const tif = open('worldstrat-lzw', 'r', null, ...callbacks, options);
    if (!tif) throw new Error(`libtiff refused its in-memory TIFF (${messages.join('; ')})`);
    return tif;
  } finally {
    freeOptions(options);
  }
}

/** A classic little-endian TIFF of one 8-bit LZW pixel in one strip: the tags libtiff needs to open it. */
function memoryTiff(): Uint8Array {
  const LONG = 4;
  const SHORT = 3;
  const tags: [number, number, number][] = [
    [256, LONG, 1], // ImageWidth
    [257, LONG, 1], // ImageLength
    [258, SHORT, 8], // BitsPerSample
    [259, SHORT, 5], // Compression: LZW
    [262, SHORT, 1], // PhotometricInterpretation: BlackIsZero
    [273, LONG, 8], // StripOffsets (never read)
    [277, SHORT, 1], // SamplesPerPixel
    [278, LONG, 1], // RowsPerStrip
    [279, LONG, 1], // StripByteCounts
    [284, SHORT, 1], // PlanarConfiguration: contiguous
  ];
  const bytes = new Uint8Array(8 + 2 + 12 * tags.length + 4);
  const view = new DataView(bytes.buffer);
  bytes.set([0x49, 0x49, 42, 0]); // "II", 42
  view.setUint32(4, 8, true); // the directory follows the header
  view.setUint16(8, tags.length, true);
  for (const [i, [tag, type, value]] of tags.entries()) {
    const at = 10 + 12 * i;
    view.setUint16(at, tag, true);
    view.setUint16(at + 2, type, true);
    view.setUint32(at + 4, 1, true);
    if (type === SHORT) view.setUint16(at + 8, value, true);
    else view.setUint32(at + 8, value, true);
  }
  return bytes; // the next-directory offset stays 0
}
