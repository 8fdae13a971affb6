import type { Codec } from './codec.js';
import { loadLibtiff } from './libtiff.node.js';
import { lzwCodec } from './lzw.js';

/** Which LZW decoder Node's codec uses in this thread: libtiff's when it loads, else the TypeScript one. */
export function lzwBackend(): string {
  const lib = loadLibtiff();
  return lib ? `libtiff (${lib.library})` : 'TypeScript';
}

/**
 * Compression 5 (LZW) in Node: blocks libtiff decodes cleanly to the block's size go through it (GDAL's own
 * decoder, ≈ 1.4× ours); every other block — corrupt, cut short, running past the block, or any libtiff message —
 * goes to the TypeScript decoder, which decides what it gives or throws. So Node and the browser accept and refuse
 * the same blocks, and return the same bytes.
 */
export const lzwNodeCodec: Codec = {
  name: 'LZW',
  decode(block, info) {
    const lib = loadLibtiff();
    const cap = info.maxBytes ?? info.expectedBytes;
    const into = info.reuse ? info.into : undefined;
    const fast = lib?.decodeLzw(block, info.expectedBytes, cap, info.reuse, into);
    return fast ?? lzwCodec.decode(block, info);
  },
};
