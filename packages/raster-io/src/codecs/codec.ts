// Codec contract: one TIFF compression scheme, block in → raw block bytes out (predictor applied elsewhere).
import type { CcittBlockParams } from './ccitt-params.js';
import type { JpegBlockParams } from './jpeg-params.js';
import type { LercBlockParams } from './lerc-params.js';
import type { WebpBlockParams } from './webp-params.js';

/** What a codec knows about the block it decodes. */
export interface BlockInfo {
  /** Size in bytes of the decoded block (tile or strip) when fully present. */
  expectedBytes: number;
  /**
   * Most bytes the block may decode to (default `expectedBytes`). Decoders stop there and throw a
   * `CORRUPT_BLOCK` RasterIoError rather than allocate more (a deflate bomb stays a few bytes of input).
   */
  maxBytes?: number;
  /** Name of the file, for messages. */
  file: string;
  /**
   * The caller copies what it needs out of a synchronously returned block before it calls `decode` again on this
   * thread, so the codec may return a view of a buffer it reuses (saves an allocation and its collection per
   * block). Never applies to a result returned in a Promise.
   */
  reuse?: boolean;
  /**
   * With `reuse`: memory the codec may decode into, when it can write into given memory and the block fits; the
   * result is then a view of it, valid until the next `decode` call on this thread.
   */
  into?: Uint8Array;
  /** JPEG blocks (compression 7): the IFD's tables and colour handling, and the frame size the block must have. */
  jpeg?: JpegBlockParams;
  /** LERC blocks (compression 34887): the block size, sample type and layout every blob must match. */
  lerc?: LercBlockParams;
  /** WEBP blocks (compression 50001): the image size and samples every block must have. */
  webp?: WebpBlockParams;
  /** CCITT blocks (compressions 2, 3, 4): the row width and count, and the IFD's options and fill order. */
  ccitt?: CcittBlockParams;
}

/**
 * A TIFF compression codec. `decode` returns the raw (still predicted) bytes of one tile or strip;
 * `encode` (optional) compresses one.
 */
export interface Codec {
  /** Human-readable name for messages. */
  readonly name: string;
  /** `block` is the codec's only until the result (or its Promise) is returned: readers reuse that memory. */
  decode(block: Uint8Array, info: BlockInfo): Uint8Array | Promise<Uint8Array>;
  encode?(block: Uint8Array, level: number): Uint8Array;
}

/** Lazily loads a codec (a dynamic `import()` keeps codecs out of bundles that never use them). */
export type LoadCodec = () => Promise<Codec>;
