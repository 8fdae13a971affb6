// LR / bicubic / SR / HR side-by-side panels with metric captions.
import { encodePng } from '@worldstrat/raster-io';
import {
  argumentError,
  checkArray,
  checkObject,
  checkOptionalInteger,
  checkOptionalString,
  checkOptions,
  checkRgb8Image,
  checkString,
} from '../internal/check-arguments.js';
import { type Rgb8Image, resizeNearestRgb8 } from './image.js';
import { svgDocument, svgText } from './svg.js';

/** One tile of a comparison panel. */
export interface PanelImage {
  /** Heading, e.g. "LR (revisit 1)", "Bicubic", "HighRes-net", "HR". */
  title: string;
  /** Caption under the image, e.g. "cPSNR 31.2 dB · cSSIM 0.91". */
  caption?: string;
  image: Rgb8Image;
}

/** Options of {@link comparisonPanelSvg}. */
export interface ComparisonPanelOptions {
  /** Side of each tile in px (images are scaled with nearest neighbour). Default 256. */
  tileSize?: number;
  title?: string;
  /** Tiles per row. Default: all in one row. */
  columns?: number;
}

/**
 * Base64 of bytes (browser-safe: btoa over 32 kB chunks).
 *
 * @throws {WorldStratError} `INVALID_ARGUMENT` when `bytes` is not a Uint8Array (or Uint8ClampedArray).
 */
export function toBase64(bytes: Uint8Array): string {
  const given: unknown = bytes;
  if (!(given instanceof Uint8Array || given instanceof Uint8ClampedArray))
    throw argumentError('toBase64', 'bytes', 'a Uint8Array', bytes);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * A row (or grid) of images with titles and metric captions, as SVG with embedded PNGs.
 *
 * @param tiles - images with titles and captions.
 * @param options - tile size, title, columns.
 * @returns the SVG document.
 * @throws {WorldStratError} `INVALID_ARGUMENT` when `tiles` is not an array of `{ title, caption?, image }` with
 * 8-bit RGB images, or an option has the wrong type.
 * @example
 * ```ts
 * comparisonPanelSvg([
 *   { title: 'LR', image: toRgb8(lr, [3, 50, 50], { range }) },
 *   { title: 'SR', caption: 'cPSNR 32.1 dB', image: toRgb8(sr, [3, 156, 156], { range }) },
 * ]);
 * ```
 */
export function comparisonPanelSvg(tiles: readonly PanelImage[], options?: ComparisonPanelOptions): string {
  const fn = 'comparisonPanelSvg';
  checkArray(fn, 'tiles', tiles);
  tiles.forEach((t, i) => {
    checkObject(fn, `tiles[${i}]`, t);
    checkString(fn, `tiles[${i}].title`, t.title);
    checkOptionalString(fn, `tiles[${i}].caption`, t.caption);
    checkRgb8Image(fn, `tiles[${i}].image`, t.image);
  });
  options = checkOptions(fn, options);
  checkOptionalInteger(fn, 'options.tileSize', options.tileSize, 1, 8192);
  checkOptionalInteger(fn, 'options.columns', options.columns, 0, 1e6);
  checkOptionalString(fn, 'options.title', options.title);
  const size = options.tileSize ?? 256;
  const cols = Math.max(1, Math.min(tiles.length, options.columns ?? tiles.length));
  const rows = Math.ceil(tiles.length / cols);
  const gap = 12;
  const head = options.title ? 40 : 8;
  const captionLines = Math.max(1, ...tiles.map((t) => (t.caption ? t.caption.split(' · ').length : 0)));
  const cellH = 22 + size + 8 + 17 * captionLines;
  const width = gap + cols * (size + gap);
  const height = head + rows * cellH + gap;
  const parts: string[] = [];
  if (options.title)
    parts.push(svgText(width / 2, 26, options.title, { size: 17, anchor: 'middle', weight: 'bold' }));
  tiles.forEach((t, i) => {
    const x = gap + (i % cols) * (size + gap);
    const y = head + Math.floor(i / cols) * cellH;
    const scaled =
      t.image.width === size && t.image.height === size ? t.image : resizeNearestRgb8(t.image, size, size);
    const png = encodePng(scaled);
    parts.push(svgText(x + size / 2, y + 15, t.title, { size: 14, anchor: 'middle', weight: 'bold' }));
    parts.push(
      `<image x="${x}" y="${y + 22}" width="${size}" height="${size}" image-rendering="pixelated" href="data:image/png;base64,${toBase64(png)}"/>`,
    );
    parts.push(`<rect x="${x}" y="${y + 22}" width="${size}" height="${size}" fill="none" stroke="#555"/>`);
    // Captions wrap at ' · ' so metric lists fit under narrow tiles.
    (t.caption ? t.caption.split(' · ') : []).forEach((line, k) => {
      parts.push(svgText(x + size / 2, y + 22 + size + 18 + 17 * k, line, { size: 13, anchor: 'middle' }));
    });
  });
  return svgDocument(width, height, parts.join(''));
}
