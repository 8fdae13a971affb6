// libjpeg-turbo's TurboJPEG API called through the `koffi` FFI. GDAL reads JPEG GeoTIFFs through libtiff and
// libjpeg-turbo, so a stream this library decodes without a warning gives GDAL's pixels, at its SIMD speed
// (≈ 6× our TypeScript decoder). Optional: when koffi or the library is missing, or WORLDSTRAT_LIBTURBOJPEG=off,
// `loadLibturbojpeg()` returns null and JPEG blocks stay on the TypeScript decoder.
import { type KoffiLibrary, nativeLibrary, outputBuffers } from './native-library.node.js';

/** What a JPEG stream's header says (tjDecompressHeader3). */
export interface TurbojpegHeader {
  width: number;
  height: number;
  /** TJSAMP_*: 0 4:4:4, 1 4:2:2, 2 4:2:0, 3 gray, 4 4:4:0, 5 4:1:1. */
  subsampling: number;
  /** TJCS_*: 0 RGB, 1 YCbCr, 2 gray, 3 CMYK, 4 YCCK. */
  colorspace: number;
}

/** One-shot decoding of whole JPEG streams to 8-bit RGB or gray rows. */
export interface Libturbojpeg {
  /** Which shared library was loaded (for benchmark lines and messages). */
  readonly library: string;
  /** The stream's header, or null when the library cannot read one. */
  header(stream: Uint8Array): TurbojpegHeader | null;
  /**
   * Decode `stream` (`width` × `height`, checked by the caller against {@link header}) to RGB (3 samples, colour
   * converted as libjpeg does) or gray (1). Null when the library fails or warns: a warning means it skipped or
   * invented data (a truncated or damaged stream). With `reuse`, the result is a view of a buffer the next
   * `decode(…, true)` on this thread overwrites.
   */
  decode(
    stream: Uint8Array,
    width: number,
    height: number,
    samples: 1 | 3,
    reuse?: boolean,
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
  LIBRARY_NAMES,
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
  // One decompressor per thread (a thread only ever runs one call at a time), replaced after every failure:
  // TurboJPEG 2.x leaves a decompressor whose header read failed mid-state, and its next call then fails too.
  const create = () => {
    const h = init();
    if (!h) throw new Error('tjInitDecompress failed');
    return h;
  };
  let handle = create();
  const failed = () => {
    destroy(handle);
    handle = create();
    return null;
  };
  const width = [0];
  const height = [0];
  const subsampling = [0];
  const colorspace = [0];
  const outputs = outputBuffers();
  return {
    library,
    header(stream) {
      const r = readHeader(handle, stream, stream.byteLength, width, height, subsampling, colorspace);
      if (r !== 0) return failed();
      return {
        width: width[0] as number,
        height: height[0] as number,
        subsampling: subsampling[0] as number,
        colorspace: colorspace[0] as number,
      };
    },
    decode(stream, w, h, samples, reuse) {
      const bytes = w * h * samples;
      const out = outputs(bytes, reuse);
      const format = samples === 3 ? TJPF_RGB : TJPF_GRAY;
      const r = decompress(
        handle,
        stream,
        stream.byteLength,
        out,
        w,
        w * samples,
        h,
        format,
        TJFLAG_STOPONWARNING,
      );
      return r === 0 ? new Uint8Array(out.buffer, out.byteOffset, bytes) : failed();
    },
  };
}
