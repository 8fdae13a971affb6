// Optional system libraries (libdeflate, libzstd, liblzma) through the optional `koffi` FFI peer dependency.
import { createRequire } from 'node:module';

/** The part of a koffi library handle the codecs use. */
export interface KoffiLibrary {
  func(definition: string): (...args: unknown[]) => unknown;
}
interface Koffi {
  load(path: string): KoffiLibrary;
}

/**
 * A loader of this thread's binding, run once on first call: the first of `names` (for this platform) that koffi
 * loads and `bind` accepts, or null when `envVar` is off/0/false/no, when koffi is not installed, or when no name
 * loads (a missing symbol counts as not loaded).
 */
export function nativeLibrary<T>(
  envVar: string,
  names: Readonly<Record<string, readonly string[]>>,
  bind: (lib: KoffiLibrary, name: string) => T,
): () => T | null {
  let cached: T | null | undefined;
  return () => {
    if (cached === undefined) cached = loadNativeLibrary(envVar, names, bind);
    return cached;
  };
}

function loadNativeLibrary<T>(
  envVar: string,
  names: Readonly<Record<string, readonly string[]>>,
  bind: (lib: KoffiLibrary, name: string) => T,
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
      return bind(koffi.load(name), name);
    } catch {
      // not installed under this name (or a symbol is missing): try the next one
    }
  }
  return null;
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
