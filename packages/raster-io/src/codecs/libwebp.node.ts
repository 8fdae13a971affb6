// libwebp (the library libtiff's and so GDAL's WEBP codec uses) called through the `koffi` FFI. Optional: when koffi
// or the shared library is missing, or WORLDSTRAT_LIBWEBP=off, `loadLibwebp()` returns null and reading a WEBP
// GeoTIFF fails with UNSUPPORTED_CODEC saying what to install.
import { type KoffiLibrary, nativeLibrary, outputBuffers } from './native-library.node.js';

/** What the bitstream header of a WebP image says (WebPBitstreamFeatures). */
export interface WebpFeatures {
  width: number;
  height: number;
  hasAlpha: boolean;
  hasAnimation: boolean;
}

/** One-shot decoding of whole WebP images. */
export interface Libwebp {
  /** Which shared library was loaded, with its version (for messages). */
  readonly library: string;
  /** The header's features, or the VP8StatusCode (non-zero) when the bytes are not a WebP image it can read. */
  features(image: Uint8Array): WebpFeatures | number;
  /**
   * Decode `image` (`width` × `height`, checked by the caller) to 8-bit RGB or RGBA rows, as libtiff asks for them
   * (default options: fancy upsampling, no dithering). Null when libwebp fails. With `reuse`, the result is a view
   * of a buffer the next `decode(…, true)` on this thread overwrites; with `into` (room for the pixels), of `into`.
   */
  decode(
    image: Uint8Array,
    width: number,
    height: number,
    samples: 3 | 4,
    reuse?: boolean,
    into?: Uint8Array,
  ): Uint8Array | null;
}

/** Names tried in order: the runtime package's soname first (Debian/Ubuntu `libwebp7`, Fedora, Homebrew). */
const LIBRARY_NAMES: Readonly<Record<string, readonly string[]>> = {
  linux: ['libwebp.so.7', 'libwebp.so.6', 'libwebp.so'],
  darwin: [
    'libwebp.7.dylib',
    'libwebp.dylib',
    '/opt/homebrew/lib/libwebp.7.dylib',
    '/usr/local/lib/libwebp.7.dylib',
  ],
  win32: ['libwebp.dll', 'webp.dll'],
};

/** The decoder ABI major version every libwebp ≥ 0.5 accepts (the library compares the high byte only). */
const DECODER_ABI_VERSION = 0x0200;

/** The process's (or worker thread's) libwebp binding, loaded on first use; null when unavailable. */
export const loadLibwebp: () => Libwebp | null = nativeLibrary(
  'WORLDSTRAT_LIBWEBP',
  { names: LIBRARY_NAMES, probe: 'WebPGetDecoderVersion' },
  bind,
);

function bind(lib: KoffiLibrary, name: string): Libwebp {
  const version = lib.func('int WebPGetDecoderVersion()');
  // WebPBitstreamFeatures: width, height, has_alpha, has_animation, format, then 5 words of padding
  const getFeatures = lib.func(
    'int WebPGetFeaturesInternal(const uint8_t* data, size_t size, _Inout_ int32_t* features, int version)',
  );
  const decodeRgb = lib.func(
    'void* WebPDecodeRGBInto(const uint8_t* data, size_t size, uint8_t* out, size_t outSize, int stride)',
  );
  const decodeRgba = lib.func(
    'void* WebPDecodeRGBAInto(const uint8_t* data, size_t size, uint8_t* out, size_t outSize, int stride)',
  );
  const v = version() as number;
  const outputs = outputBuffers();
  const features = new Int32Array(10);
  return {
    library: `${name} ${v >> 16}.${(v >> 8) & 0xff}.${v & 0xff}`,
    features(image) {
      features.fill(0);
      const status = getFeatures(image, image.byteLength, features, DECODER_ABI_VERSION) as number;
      if (status !== 0) return status;
      return {
        width: features[0] as number,
        height: features[1] as number,
        hasAlpha: features[2] !== 0,
        hasAnimation: features[3] !== 0,
      };
    },
    decode(image, width, height, samples, reuse, into) {
      const bytes = width * height * samples;
      const out = into && into.byteLength >= bytes ? into : outputs(bytes, reuse);
      const decode = samples === 4 ? decodeRgba : decodeRgb;
      const done = decode(image, image.byteLength, out, bytes, width * samples);
      return done === null ? null : new Uint8Array(out.buffer, out.byteOffset, bytes);
    },
  };
}
