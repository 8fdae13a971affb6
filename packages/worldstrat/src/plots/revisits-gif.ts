// Animated GIF of the LR revisits beside the SR result (upstream's "video demonstrations").
import { applyPalette, GIFEncoder, quantize } from 'gifenc';
import { WorldStratError } from '../errors.js';
import {
  checkArray,
  checkOptionalInteger,
  checkOptionalNumber,
  checkOptions,
  checkRgb8Image,
} from '../internal/check-arguments.js';
import { type Rgb8Image, resizeNearestRgb8 } from './image.js';

/** Options of {@link revisitsGif}. */
export interface RevisitsGifOptions {
  /** Side of each half in px. Default 256. */
  size?: number;
  /** Frames per second. Default 4. */
  fps?: number;
  /** Still image shown on the right of every frame (e.g. the SR output). */
  still?: Rgb8Image;
}

function frame(left: Rgb8Image, right: Rgb8Image | undefined, size: number): Uint8Array {
  const w = right ? 2 * size + 8 : size;
  const rgba = new Uint8Array(w * size * 4).fill(255);
  const put = (img: Rgb8Image, x0: number) => {
    const s = img.width === size && img.height === size ? img : resizeNearestRgb8(img, size, size);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const si = (y * size + x) * 3;
        const di = (y * w + x0 + x) * 4;
        rgba[di] = s.data[si];
        rgba[di + 1] = s.data[si + 1];
        rgba[di + 2] = s.data[si + 2];
      }
    }
  };
  put(left, 0);
  if (right) put(right, size + 8);
  return rgba;
}

/**
 * Encode an animated, looping GIF: each frame shows one LR revisit (nearest-upscaled) and, on the right, the
 * still (SR) image. One shared 256-colour palette keeps the still stable across frames.
 *
 * @param revisits - LR frames in display order.
 * @param options - size, fps, still.
 * @returns GIF bytes.
 * @throws {WorldStratError} `INVALID_ARGUMENT` without frames, for a frame or still that is not an 8-bit RGB
 * image, or an option of the wrong type.
 * @example
 * ```ts
 * const gif = revisitsGif(lrFrames, { still: srImage, fps: 3 });
 * ```
 */
export function revisitsGif(revisits: readonly Rgb8Image[], options?: RevisitsGifOptions): Uint8Array {
  const fn = 'revisitsGif';
  checkArray(fn, 'revisits', revisits);
  if (revisits.length === 0)
    throw new WorldStratError('INVALID_ARGUMENT', 'revisitsGif needs at least one frame');
  for (const [i, r] of revisits.entries()) checkRgb8Image(fn, `revisits[${i}]`, r);
  options = checkOptions(fn, options);
  checkOptionalInteger(fn, 'options.size', options.size, 1, 4096);
  checkOptionalNumber(fn, 'options.fps', options.fps, 0.01, 1000);
  if (options.still !== undefined && options.still !== null)
    checkRgb8Image(fn, 'options.still', options.still);
  const size = options.size ?? 256;
  const delay = Math.round(1000 / (options.fps ?? 4));
  const frames = revisits.map((r) => frame(r, options.still, size));
  const w = options.still ? 2 * size + 8 : size;
  // Palette from a sample of every frame.
  const sample = new Uint8Array(frames.length * 4 * 4096);
  let k = 0;
  for (const f of frames) {
    const n = f.length / 4;
    for (let i = 0; i < 4096; i++) {
      const p = Math.floor((i * n) / 4096) * 4;
      sample.set(f.subarray(p, p + 4), k);
      k += 4;
    }
  }
  const palette = quantize(sample, 256);
  const gif = GIFEncoder();
  for (const f of frames) gif.writeFrame(applyPalette(f, palette), w, size, { palette, delay, repeat: 0 });
  gif.finish();
  return gif.bytes();
}
