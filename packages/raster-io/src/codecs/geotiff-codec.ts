import { getDecoder } from 'geotiff';
import { RasterIoError } from '../errors.js';
import type { Codec } from './codec.js';

/**
 * Wrap one of geotiff.js's decoders (LZW, PackBits) as a {@link Codec}. The predictor is applied by our own
 * code, so the geotiff.js decoder is created with predictor 1 and used through `decodeBlock`.
 */
export async function geotiffCodec(compression: number, name: string): Promise<Codec> {
  const decoder = (await getDecoder(compression, {
    tileWidth: 1,
    tileHeight: 1,
    predictor: 1,
    bitsPerSample: 8,
    planarConfiguration: 1,
  })) as unknown as { decodeBlock(buf: ArrayBuffer): ArrayBuffer | Promise<ArrayBuffer> };
  return {
    name,
    async decode(block, info) {
      try {
        const copy =
          block.byteOffset === 0 && block.byteLength === block.buffer.byteLength
            ? (block.buffer as ArrayBuffer)
            : new Uint8Array(block).buffer;
        return new Uint8Array(await decoder.decodeBlock(copy));
      } catch (err) {
        throw new RasterIoError(
          'TRUNCATED',
          `${info.file}: corrupt ${name} block (${(err as Error).message})`,
          { cause: err },
        );
      }
    },
  };
}
