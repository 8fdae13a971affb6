// libdeflate (the deflate library GDAL's GTiff driver uses) called through the `koffi` FFI: about 2× node:zlib's
// inflate and deflate speed on TIFF blocks. Optional: when koffi or the shared library is missing, or
// WORLDSTRAT_LIBDEFLATE=off, `loadLibdeflate()` returns null and the caller stays on node:zlib.
import { type KoffiLibrary, nativeLibrary, outputBuffers } from './native-library.node.js';

/** One-shot zlib-format inflate and deflate over whole blocks. */
export interface Libdeflate {
  /** Which shared library was loaded (for benchmark lines and messages). */
  readonly library: string;
  /**
   * Inflate `block` into a buffer of `cap` bytes. Returns the decoded bytes, or the reason it failed:
   * `'too-long'` when the stream decodes to more than `cap` bytes, `'corrupt'` for bad or truncated data.
   * Bytes after the end of the zlib stream are ignored, as node:zlib does. With `reuse`, the result is a view of a
   * buffer the next `inflate(…, true)` on this thread overwrites. With `into` (at least `cap` bytes), the
   * result is a view of `into` instead.
   */
  inflate(
    block: Uint8Array,
    cap: number,
    reuse?: boolean,
    into?: Uint8Array,
  ): Uint8Array | 'too-long' | 'corrupt';
  /**
   * zlib-format deflate at `level` (0–9 as zlib; libdeflate also takes 10–12). With `reuse`, the result is a view
   * of a buffer the next `deflate(…, …, true)` on this thread overwrites; otherwise the caller owns it.
   */
  deflate(block: Uint8Array, level: number, reuse?: boolean): Uint8Array;
}

// libdeflate_result values (libdeflate.h)
const SUCCESS = 0;
const INSUFFICIENT_SPACE = 3;

/** Names tried in order: the runtime package's soname first (Debian/Ubuntu `libdeflate0`, Fedora, Homebrew). */
const LIBRARY_NAMES: Readonly<Record<string, readonly string[]>> = {
  linux: ['libdeflate.so.0', 'libdeflate.so'],
  darwin: [
    'libdeflate.0.dylib',
    'libdeflate.dylib',
    '/opt/homebrew/lib/libdeflate.0.dylib',
    '/usr/local/lib/libdeflate.0.dylib',
  ],
  win32: ['libdeflate.dll', 'deflate.dll'],
};

/** The process's (or worker thread's) libdeflate binding, loaded on first use; null when unavailable. */
export const loadLibdeflate: () => Libdeflate | null = nativeLibrary(
  'WORLDSTRAT_LIBDEFLATE',
  { names: LIBRARY_NAMES, probe: 'libdeflate_zlib_decompress_ex' },
  bind,
);

function bind(lib: KoffiLibrary, library: string): Libdeflate {
  const allocDecompressor = lib.func('void* libdeflate_alloc_decompressor()');
  const decompress = lib.func(
    'int libdeflate_zlib_decompress_ex(void* d, const uint8_t* in, size_t in_nbytes, _Out_ uint8_t* out, ' +
      'size_t out_nbytes_avail, _Out_ size_t* actual_in_nbytes, _Out_ size_t* actual_out_nbytes)',
  );
  const allocCompressor = lib.func('void* libdeflate_alloc_compressor(int level)');
  const compressBound = lib.func('size_t libdeflate_zlib_compress_bound(void* c, size_t in_nbytes)');
  const compress = lib.func(
    'size_t libdeflate_zlib_compress(void* c, const uint8_t* in, size_t in_nbytes, _Out_ uint8_t* out, ' +
      'size_t out_nbytes_avail)',
  );
  // One decompressor and one compressor per level for the life of this thread: they hold ~32 KiB–1 MiB of
  // tables, cheaper to keep than to rebuild per block, and a thread only ever runs one call at a time.
  const decompressor = allocDecompressor();
  if (!decompressor) throw new Error('libdeflate_alloc_decompressor failed');
  const compressors = new Map<number, unknown>();
  const consumed = [0];
  const produced = [0];
  let scratch = Buffer.allocUnsafeSlow(0);
  const outputs = outputBuffers();
  return {
    library,
    inflate(block, cap, reuse, into) {
      const out = into && into.byteLength >= cap ? into : outputs(cap, reuse);
      const r = decompress(decompressor, block, block.byteLength, out, cap, consumed, produced);
      if (r === INSUFFICIENT_SPACE) return 'too-long';
      if (r !== SUCCESS) return 'corrupt';
      return new Uint8Array(out.buffer, out.byteOffset, produced[0] as number);
    },
    deflate(block, level, reuse) {
      let c = compressors.get(level);
      if (!c) {
        c = allocCompressor(level);
        if (!c) throw new Error(`libdeflate_alloc_compressor(${level}) failed`);
        compressors.set(level, c);
      }
      const bound = Number(compressBound(c, block.byteLength));
      if (scratch.byteLength < bound) scratch = Buffer.allocUnsafeSlow(bound);
      const n = Number(compress(c, block, block.byteLength, scratch, bound));
      // cannot happen with a buffer of compress_bound bytes; checked so a short result is never written
      if (n === 0) throw new Error('libdeflate_zlib_compress: output did not fit its bound');
      // a view of the reused scratch buffer, or an exact-size copy the caller owns (and may transfer)
      const out = new Uint8Array(scratch.buffer, scratch.byteOffset, n);
      return reuse ? out : out.slice();
    },
  };
}
