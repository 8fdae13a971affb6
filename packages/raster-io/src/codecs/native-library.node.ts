// Optional system libraries (libdeflate, libzstd, liblzma, libwebp, libturbojpeg, libtiff) through the optional `koffi` FFI peer dependency.
import { createRequire } from 'node:module';

/** The part of a koffi library handle the codecs use. */
export interface KoffiLibrary {
  func(definition: string): (...args: unknown[]) => unknown;
  /** By name, result and argument types: for arguments of callback types, which are objects, not parsable text. */
  func(name: string, result: string, args: unknown[]): (...args: unknown[]) => unknown;
}
/** The part of koffi the bindings use: loading, and C callbacks (types, registration, views of their pointers). */
export interface Koffi {
  load(path: string): KoffiLibrary;
  proto(name: null, result: string, args: unknown[]): unknown;
  pointer(type: unknown): unknown;
  register(fn: (...args: never[]) => unknown, type: unknown): unknown;
  view(ref: unknown, length: number): ArrayBuffer;
}

/** A binding's library names per platform, and one function every copy of the library defines. */
export interface NativeLibraryNames {
  names: Readonly<Record<string, readonly string[]>>;
  /**
   * Checked before loading on Linux: when the process already holds another copy of the library (every Node
   * exports its bundled zlib's symbols, and one that bundles zstd, 22.15 on, may export those too), the system copy
   * is not loaded, since its calls between its own exported functions would bind to the other copy's, of another
   * version (see {@link otherCopyLoaded}).
   */
  probe?: string;
}

/**
 * A loader of this thread's binding, run once on first call: the first of `names` (for this platform) that koffi
 * loads and `bind` accepts, or null when `envVar` is off/0/false/no, when koffi is not installed, or when no name
 * loads (a missing symbol counts as not loaded).
 */
export function nativeLibrary<T>(
  envVar: string,
  library: NativeLibraryNames,
  bind: (lib: KoffiLibrary, name: string, koffi: Koffi) => T,
): () => T | null {
  let cached: T | null | undefined;
  return () => {
    if (cached === undefined) cached = loadNativeLibrary(envVar, library, bind);
    return cached;
  };
}

function loadNativeLibrary<T>(
  envVar: string,
  { names, probe }: NativeLibraryNames,
  bind: (lib: KoffiLibrary, name: string, koffi: Koffi) => T,
): T | null {
  if (/^(off|0|false|no)$/i.test(process.env[envVar] ?? '')) return null;
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch {
    return null;
  }
  for (const name of names[process.platform] ?? []) {
    try {
      if (probe && otherCopyLoaded(koffi, name, probe)) return null;
      return bind(koffi.load(name), name, koffi);
    } catch {
      // not installed under this name (or a symbol is missing): try the next one
    }
  }
  return null;
}

/** dlopen's RTLD_LAZY, the same value in glibc and musl. */
const RTLD_LAZY = 1;

/**
 * Whether the process's global symbols already define `symbol` somewhere other than in the shared library `name`
 * (false when `name` does not load, off Linux, or when the dynamic linker cannot be asked). On Linux a library
 * opened later calls its own exported functions through the global scope first, so beside another copy it would
 * run part of that copy's code on its own data structures: with the system zlib beside Node's, a few hundred
 * inflates corrupt the heap. macOS and Windows bind a library's calls to itself. A Node linked to the system
 * copy itself may answer with a stub of its own and so be taken for another copy: the binding then falls back, as
 * the libzstd one does to Node's zstd.
 */
export function otherCopyLoaded(koffi: Koffi, name: string, symbol: string): boolean {
  if (process.platform !== 'linux') return false;
  const linker = dynamicLinker(koffi);
  if (!linker) return false;
  const handle = linker.dlopen(name, RTLD_LAZY);
  if (!handle) return false;
  const global = linker.dlsym(null, symbol); // RTLD_DEFAULT: the executable and what it loaded globally
  return global !== null && global !== undefined && global !== linker.dlsym(handle, symbol);
}

interface DynamicLinker {
  dlopen(name: string, flags: number): unknown;
  dlsym(handle: unknown, symbol: string): unknown;
}

let linkerCache: DynamicLinker | null | undefined;

/** dlopen/dlsym from the C library (glibc ≥ 2.34 and musl hold them) or glibc's older libdl; null when neither. */
function dynamicLinker(koffi: Koffi): DynamicLinker | null {
  if (linkerCache !== undefined) return linkerCache;
  linkerCache = null;
  for (const lib of ['libc.so.6', 'libdl.so.2', 'libc.so']) {
    try {
      const handle = koffi.load(lib);
      const dlopen = handle.func('void* dlopen(const char* name, int flags)');
      const dlsym = handle.func('void* dlsym(void* handle, const char* symbol)');
      linkerCache = { dlopen: (name, flags) => dlopen(name, flags), dlsym: (h, symbol) => dlsym(h, symbol) };
      break;
    } catch {
      // not this C library: try the next
    }
  }
  return linkerCache;
}

/** Largest output buffer a binding keeps for reuse between blocks (larger blocks get their own). */
const MAX_REUSED_BYTES = 8 * 1024 * 1024;

/**
 * Output buffers of `bytes` for one binding on one thread: with `reuse`, one buffer kept and overwritten by the next
 * reusing call (up to 8 MiB); otherwise a new one. Contents are unspecified.
 */
export function outputBuffers(): (bytes: number, reuse?: boolean) => Buffer {
  let reused = Buffer.allocUnsafeSlow(0);
  return (bytes, reuse) => {
    if (!reuse || bytes > MAX_REUSED_BYTES) return Buffer.allocUnsafeSlow(bytes);
    if (reused.byteLength < bytes) reused = Buffer.allocUnsafeSlow(bytes);
    return reused;
  };
}
