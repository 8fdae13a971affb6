// PNG encoding through fast-png (a well-kept pure-JS encoder).
import { encode } from 'fast-png';
import { RasterIoError } from '../errors.js';

/** Interleaved pixels for {@link encodePng}: 8-bit (`Uint8Array`) or 16-bit (`Uint16Array`) samples. */
export interface PngImage {
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray | Uint16Array;
  /** tEXt chunks (keyword → text). */
  text?: Record<string, string>;
}

/**
 * Encodes interleaved pixels as a PNG (bit depth 8 for `Uint8Array`, 16 for `Uint16Array`).
 *
 * @param image - width, height, channels and `width·height·channels` samples.
 * @returns the PNG bytes.
 * @throws RasterIoError `INVALID_ARGUMENT` for a bad size, channel count or data length.
 * @example
 * const png = encodePng({ width: 2, height: 1, channels: 3, data: new Uint8Array([255, 0, 0, 0, 0, 255]) });
 */
export function encodePng(image: PngImage): Uint8Array {
  const { width, height, channels, data } = image;
  if (!Number.isSafeInteger(width) || width < 1 || !Number.isSafeInteger(height) || height < 1)
    throw new RasterIoError('INVALID_ARGUMENT', `PNG size ${width}×${height} must be positive integers`);
  if (![1, 2, 3, 4].includes(channels))
    throw new RasterIoError('INVALID_ARGUMENT', `PNG channels must be 1, 2, 3 or 4 (got ${channels})`);
  if (data.length !== width * height * channels)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `PNG data has ${data.length} samples; ${width}×${height}×${channels} needs ${width * height * channels}`,
    );
  return encode({
    width,
    height,
    channels,
    data,
    depth: data instanceof Uint16Array ? 16 : 8,
    ...(image.text ? { text: image.text } : {}),
  });
}
