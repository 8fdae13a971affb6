import { unzlibSync, zlibSync } from 'fflate';
import { RasterIoError } from '../errors.js';
import type { Codec } from './codec.js';

/** Compression 8 / 32946 (zlib-wrapped deflate) with fflate: browser-safe. Node uses `node:zlib` instead. */
export const deflateCodec: Codec = {
  name: 'deflate',
  decode(block, info) {
    try {
      return unzlibSync(block, { out: new Uint8Array(info.expectedBytes) });
    } catch (err) {
      throw new RasterIoError(
        'TRUNCATED',
        `${info.file}: corrupt or truncated deflate block (${(err as Error).message})`,
        {
          cause: err,
        },
      );
    }
  },
  encode: (block, level) => zlibSync(block, { level: level as 6 }),
};
