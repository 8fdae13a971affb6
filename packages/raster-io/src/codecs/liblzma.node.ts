// liblzma (the library libtiff's LZMA codec uses) called through the `koffi` FFI. Optional: when koffi or the shared
// library is missing, or WORLDSTRAT_LIBLZMA=off, `loadLiblzma()` returns null and LZMA files cannot be read.
import { type KoffiLibrary, nativeLibrary, outputBuffers } from './native-library.node.js';

/** One-shot decoding of the .xz streams libtiff writes into LZMA blocks (and encoding, which tests use). */
export interface Liblzma {
  /** Which shared library was loaded (for messages). */
  readonly library: string;
  /**
   * Decode the .xz stream at the start of `block` into a buffer of `cap` bytes, using at most `memlimit` bytes of
   * decoder memory (a stream may declare a dictionary of gigabytes). Returns the decoded bytes or an error text
   * (liblzma's one-shot decoder reports a stream holding more than `cap` bytes and a cut one alike). With `reuse`,
   * the result is a view of a buffer the next `decode(…, true)` on this thread overwrites.
   */
  decode(block: Uint8Array, cap: number, memlimit: number, reuse?: boolean): Uint8Array | { error: string };
  /** One .xz stream of `block` at `preset` (0–9), no integrity check (as libtiff writes). */
  encode(block: Uint8Array, preset: number): Uint8Array;
}

/** lzma_ret values (lzma/base.h). */
const LZMA_OK = 0;
const LZMA_BUF_ERROR = 10;
const ERROR_NAMES: Readonly<Record<number, string>> = {
  5: 'cannot allocate memory',
  6: 'needs more decoder memory than allowed',
  7: 'not an .xz stream',
  8: 'unsupported options',
  9: 'corrupt data',
  11: 'programming error',
};
/** lzma_check: LZMA_CHECK_NONE. */
const CHECK_NONE = 0;

/** Names tried in order: the runtime package's soname first (Debian/Ubuntu `liblzma5`, Fedora, Homebrew). */
const LIBRARY_NAMES: Readonly<Record<string, readonly string[]>> = {
  linux: ['liblzma.so.5', 'liblzma.so'],
  darwin: [
    'liblzma.5.dylib',
    'liblzma.dylib',
    '/opt/homebrew/lib/liblzma.5.dylib',
    '/usr/local/lib/liblzma.5.dylib',
  ],
  win32: ['liblzma.dll', 'lzma.dll'],
};

/** The process's (or worker thread's) liblzma binding, loaded on first use; null when unavailable. */
export const loadLiblzma: () => Liblzma | null = nativeLibrary(
  'WORLDSTRAT_LIBLZMA',
  { names: LIBRARY_NAMES, probe: 'lzma_code' },
  bind,
);

function bind(lib: KoffiLibrary, library: string): Liblzma {
  const bufferDecode = lib.func(
    'int lzma_stream_buffer_decode(_Inout_ uint64_t* memlimit, uint32_t flags, void* allocator, ' +
      'const uint8_t* in, _Inout_ size_t* in_pos, size_t in_size, _Out_ uint8_t* out, _Inout_ size_t* out_pos, size_t out_size)',
  );
  const bufferBound = lib.func('size_t lzma_stream_buffer_bound(size_t uncompressed_size)');
  const bufferEncode = lib.func(
    'int lzma_easy_buffer_encode(uint32_t preset, int check, void* allocator, const uint8_t* in, size_t in_size, ' +
      '_Out_ uint8_t* out, _Inout_ size_t* out_pos, size_t out_size)',
  );
  const outputs = outputBuffers();
  return {
    library,
    decode(block, cap, memlimit, reuse) {
      const out = outputs(cap, reuse);
      const inPos = [0];
      const outPos = [0];
      const r = bufferDecode([memlimit], 0, null, block, inPos, block.byteLength, out, outPos, cap) as number;
      // on failure the positions are left as they were, so a full output and a cut input cannot be told apart
      if (r === LZMA_BUF_ERROR) return { error: `the stream ends early or holds more than ${cap} bytes` };
      if (r !== LZMA_OK) return { error: ERROR_NAMES[r] ?? `liblzma error ${r}` };
      return new Uint8Array(out.buffer, out.byteOffset, outPos[0] as number);
    },
    encode(block, preset) {
      const bound = Number(bufferBound(block.byteLength));
      const out = Buffer.allocUnsafeSlow(bound);
      const outPos = [0];
      const r = bufferEncode(preset, CHECK_NONE, null, block, block.byteLength, out, outPos, bound) as number;
      if (r !== LZMA_OK) throw new Error(`lzma_easy_buffer_encode: ${ERROR_NAMES[r] ?? `error ${r}`}`);
      return new Uint8Array(out.buffer, out.byteOffset, outPos[0] as number).slice();
    },
  };
}
