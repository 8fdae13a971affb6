// PNG encoding through fast-png (a well-kept pure-JS encoder).

import { encode } from 'fast-png';
import { RasterIoError } from '../errors.js';
import { checkOptions, describeValue } from '../internal/check-args.js';

/** Interleaved pixels for {@link encodePng}: 8-bit (`Uint8Array`) or 16-bit (`Uint16Array`) samples. */
export interface PngImage {
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray | Uint16Array;
  /** tEXt chunks (keyword → text): keywords of 1–79 printable Latin-1 characters, Latin-1 text without NUL. */
  text?: Record<string, string>;
}

/** tEXt chunks: string keywords and values (a number or object would reach the encoder as is). */
function checkText(text: unknown): void {
  if (text === undefined || text === null) return;
  const ok =
    typeof text === 'object' &&
    !Array.isArray(text) &&
    Object.values(text).every((v) => typeof v === 'string');
  if (!ok)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `PNG text must map keywords to strings, got ${describeValue(text)}`,
    );
  for (const [keyword, value] of Object.entries(text as Record<string, string>)) {
    const problem = textKeywordProblem(keyword) ?? textValueProblem(value);
    if (problem)
      throw new RasterIoError('INVALID_ARGUMENT', `PNG text ${describeValue(keyword)}: ${problem}`);
  }
}

/** Why a tEXt keyword breaks the PNG rules (1–79 printable Latin-1 characters, single inner spaces), if it does. */
function textKeywordProblem(keyword: string): string | undefined {
  if (keyword.length < 1 || keyword.length > 79)
    return `a keyword has 1 to 79 characters, got ${keyword.length}`;
  if (!/^[\x20-\x7e\xa1-\xff]+$/.test(keyword))
    return 'a keyword holds printable Latin-1 characters only (no control characters, NUL or other scripts)';
  if (/^ | $| {2}/.test(keyword)) return 'a keyword has no leading, trailing or consecutive spaces';
  return undefined;
}

/** Why a tEXt value cannot be stored (tEXt is Latin-1 text without NUL), if it cannot. */
function textValueProblem(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c > 0xff)
      return 'the text must be Latin-1 without NUL characters (tEXt cannot hold other scripts)';
  }
  return undefined;
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
  const { width, height, channels, data } = checkOptions('encodePng', image, 'image');
  if (!Number.isSafeInteger(width) || width < 1 || !Number.isSafeInteger(height) || height < 1)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `PNG size ${describeValue(width)}×${describeValue(height)} must be positive integers`,
    );
  if (![1, 2, 3, 4].includes(channels))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `PNG channels must be 1, 2, 3 or 4 (got ${describeValue(channels)})`,
    );
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Uint16Array))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `PNG data must be a Uint8Array, Uint8ClampedArray or Uint16Array, got ${describeValue(data)}`,
    );
  checkText(image.text);
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
