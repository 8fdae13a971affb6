// libjpeg-turbo's TurboJPEG API called through the `koffi` FFI. GDAL reads JPEG GeoTIFFs through libtiff and
// libjpeg-turbo, so a stream this library decodes without a warning gives GDAL's pixels, at its SIMD speed
// (≈ 5× our TypeScript decoder). Optional: when koffi or the library is missing, or WORLDSTRAT_LIBTURBOJPEG=off,
// `loadLibturbojpeg()` returns null and JPEG blocks stay on the TypeScript decoder.
import { type KoffiLibrary, nativeLibrary, outputBuffers } from './native-library.node.js';

/** What the caller expects of a stream: its size, the colour space libjpeg must read it as, and the output. */
export interface TurbojpegExpectation {
  width: number;
  height: number;
  /** TJCS_*: 0 RGB, 1 YCbCr, 2 gray. */
  colorspace: number;
  /** 3: RGB rows (YCbCr converted as libjpeg does), 1: gray rows. */
  samples: 1 | 3;
}

/** One-shot decoding of whole JPEG streams to 8-bit RGB or gray rows. */
export interface Libturbojpeg {
  /** Which shared library was loaded (for benchmark lines and messages). */
  readonly library: string;
  /**
   * Decode `stream` when its header matches `want`. Null when it does not, or when the library fails or warns: a
   * warning means it skipped or invented data (a truncated or damaged stream). Each call uses a new decompressor,
   * so no table of an earlier stream can stand in for one this stream lacks. With `reuse`, the result is a view of
   * a buffer the next `decode(…, true)` on this thread overwrites; with `into` (room for the pixels), a view of `into`.
   */
  decode(
    stream: Uint8Array,
    want: TurbojpegExpectation,
    reuse?: boolean,
    into?: Uint8Array,
  ): Uint8Array | null;
}

// turbojpeg.h (2.0+) constants
const TJPF_RGB = 0;
const TJPF_GRAY = 6;
/** A warning stops decoding at once instead of being reported after it (TJFLAG_STOPONWARNING). */
const TJFLAG_STOPONWARNING = 8192;

/** Names tried in order: the runtime package's soname first (Debian/Ubuntu `libturbojpeg0`, Fedora, Homebrew). */
const LIBRARY_NAMES: Readonly<Record<string, readonly string[]>> = {
  linux: ['libturbojpeg.so.0', 'libturbojpeg.so'],
  darwin: [
    'libturbojpeg.0.dylib',
    'libturbojpeg.dylib',
    '/opt/homebrew/lib/libturbojpeg.0.dylib',
    '/usr/local/lib/libturbojpeg.0.dylib',
    '/opt/libjpeg-turbo/lib64/libturbojpeg.0.dylib',
  ],
  win32: ['turbojpeg.dll', 'libturbojpeg.dll'],
};

/** The process's (or worker thread's) TurboJPEG binding, loaded on first use; null when unavailable. */
export const loadLibturbojpeg: () => Libturbojpeg | null = nativeLibrary(
  'WORLDSTRAT_LIBTURBOJPEG',
  { names: LIBRARY_NAMES, probe: 'tjInitDecompress' },
  bind,
);

function bind(lib: KoffiLibrary, library: string): Libturbojpeg {
  const init = lib.func('void* tjInitDecompress()');
  const destroy = lib.func('int tjDestroy(void* handle)');
  const readHeader = lib.func(
    'int tjDecompressHeader3(void* handle, const uint8_t* jpegBuf, unsigned long jpegSize, _Out_ int* width, ' +
      '_Out_ int* height, _Out_ int* jpegSubsamp, _Out_ int* jpegColorspace)',
  );
  const decompress = lib.func(
    'int tjDecompress2(void* handle, const uint8_t* jpegBuf, unsigned long jpegSize, uint8_t* dstBuf, ' +
      'int width, int pitch, int height, int pixelFormat, int flags)',
  );
  // out-parameters of the header read (koffi writes element 0)
  const width = [0];
  const height = [0];
  const subsampling = [0];
  const colorspace = [0];
  const outputs = outputBuffers();
  const run = (
    handle: unknown,
    stream: Uint8Array,
    want: TurbojpegExpectation,
    reuse?: boolean,
    into?: Uint8Array,
  ) => {
    if (readHeader(handle, stream, stream.byteLength, width, height, subsampling, colorspace) !== 0)
      return null;
    if (width[0] !== want.width || height[0] !== want.height || colorspace[0] !== want.colorspace)
      return null;
    const bytes = want.width * want.height * want.samples;
    const out = into && into.byteLength >= bytes ? into : outputs(bytes, reuse);
    const format = want.samples === 3 ? TJPF_RGB : TJPF_GRAY;
    const pitch = want.width * want.samples;
    const r = decompress(
      handle,
      stream,
      stream.byteLength,
      out,
      want.width,
      pitch,
      want.height,
      format,
      TJFLAG_STOPONWARNING,
    );
    return r === 0 ? new Uint8Array(out.buffer, out.byteOffset, bytes) : null;
  };
  return {
    library,
    decode(stream, want, reuse, into) {
      // A decompressor keeps the tables of the streams it read (libjpeg's abbreviated-stream rule) and TurboJPEG
      // 2.x leaves one mid-state after a failed header: a new one per stream avoids both (≈ µs against a block's ms).
      const handle = init();
      if (!handle) throw new Error('tjInitDecompress failed');
      try {
        return run(handle, stream, want, reuse, into);
      } finally {
        destroy(handle);
      }
    },
  };
}
