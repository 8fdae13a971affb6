// The guard against loading a second copy of a native library beside one the process already exports: on Linux the
// copy opened later would call its own exported functions through the global scope, i.e. the other copy's code.
// Every Node exports its bundled zlib, so the system zlib is the real case to test on.
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadLibzstd } from '../../src/codecs/libzstd.node.js';
import { type KoffiLibrary, nativeLibrary, otherCopyLoaded } from '../../src/codecs/native-library.node.js';
import { zstdBackend } from '../../src/codecs/zstd-codec.node.js';
import { requireTool } from '../support/require-tool.js';

type Koffi = Parameters<typeof otherCopyLoaded>[0];
const koffi = createRequire(import.meta.url)('koffi') as Koffi;
const loads = (name: string): boolean => {
  try {
    koffi.load(name);
    return true;
  } catch {
    return false;
  }
};
const hasSystemZlib = process.platform === 'linux' && loads('libz.so.1');

describe.runIf(requireTool('Linux with the system zlib (libz.so.1)', hasSystemZlib))(
  'another copy of a native library',
  () => {
    it("sees Node's own zlib beside the system's, and not a library beside itself", () => {
      expect(otherCopyLoaded(koffi, 'libz.so.1', 'inflate')).toBe(true);
      // a C library function Node neither bundles nor calls (for one it calls, a non-PIE Node's own stub answers)
      expect(otherCopyLoaded(koffi, 'libc.so.6', 'ecvt_r')).toBe(false);
      // a symbol no copy in the process defines, and a library that is not installed
      expect(otherCopyLoaded(koffi, 'libz.so.1', 'worldstrat_no_such_symbol')).toBe(false);
      expect(otherCopyLoaded(koffi, 'libworldstrat-missing.so.9', 'inflate')).toBe(false);
    });

    it('leaves a library Node also bundles unloaded, and loads it when nothing else defines it', () => {
      let bound = 0;
      const bind = (lib: KoffiLibrary, name: string) => {
        bound++;
        return { name, version: lib.func('const char* zlibVersion()')() };
      };
      const guarded = nativeLibrary(
        'WORLDSTRAT_TEST_LIBZ',
        { names: { linux: ['libz.so.1'] }, probe: 'inflate' },
        bind,
      );
      expect(guarded()).toBeNull();
      expect(bound).toBe(0);
      // the same library with a probe only it defines loads: the guard is about the symbol, not the name
      const loaded = nativeLibrary(
        'WORLDSTRAT_TEST_LIBZ',
        { names: { linux: ['libz.so.1'] }, probe: 'worldstrat_no_such_symbol' },
        bind,
      )();
      expect(loaded?.name).toBe('libz.so.1');
      expect(loaded?.version).toMatch(/^1\./);
      expect(bound).toBe(1);
    });

    // Node 20 holds no zstd, and the system libzstd must load beside it; Node 22 and 24 export the ZSTD symbols
    // of their bundled copy (292 of them), as they export zlib's, and libzstd must then stay unloaded
    const nodeHasZstd = typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';
    it.runIf(requireTool('the system libzstd (libzstd.so.1)', loads('libzstd.so.1')))(
      `${nodeHasZstd ? 'leaves the system libzstd unloaded beside a Node that bundles zstd' : 'loads the system libzstd beside a Node without zstd'} (Node ${process.versions.node})`,
      () => {
        expect(otherCopyLoaded(koffi, 'libzstd.so.1', 'ZSTD_decompressDCtx')).toBe(nodeHasZstd);
        expect(loadLibzstd() === null).toBe(nodeHasZstd);
        expect(zstdBackend()).toBe(nodeHasZstd ? 'node:zlib' : 'libzstd (libzstd.so.1)');
      },
    );
  },
);
