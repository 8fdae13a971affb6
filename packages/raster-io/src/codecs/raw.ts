import type { Codec } from './codec.js';

/** Compression 1: bytes as stored. */
export const rawCodec: Codec = {
  name: 'none',
  decode: (block) => block,
  encode: (block) => block,
};
