// Optional system libraries (libdeflate, libzstd) through the optional `koffi` FFI peer dependency.
import { createRequire } from 'node:module';

/** The part of a koffi library handle the codecs use. */
export interface KoffiLibrary {
  func(definition: string): (...args: unknown[]) => unknown;
}
interface Koffi {
  load(path: string): KoffiLibrary;
}

/**
 * The first of `names` (for this platform) that koffi loads and `bind` accepts, or null: when `envVar` is off/0/
 * false/no, when koffi is not installed, or when no name loads (a missing symbol counts as not loaded).
 */
export function loadNativeLibrary<T>(
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
