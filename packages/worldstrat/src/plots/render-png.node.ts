// SVG → PNG through resvg (prebuilt native binary from npm; no browser, no network).
import { Resvg } from '@resvg/resvg-js';
import { writeFileAtomic } from '@worldstrat/core/node';
import { WorldStratError } from '../errors.js';
import {
  checkOptionalFinite,
  checkOptions,
  checkString,
  checkStringList,
} from '../internal/check-arguments.js';

/** Options of {@link svgToPng}. */
export interface SvgToPngOptions {
  /** Render at this width in px (keeps the aspect ratio). Default: the SVG's own width. */
  width?: number;
  /** Extra font files (TTF/OTF) for machines without system fonts. */
  fontFiles?: string[];
}

/**
 * Render an SVG document to PNG bytes (text uses system fonts, e.g. DejaVu Sans on Debian).
 *
 * @param svg - the SVG text.
 * @param options - output width, font files.
 * @returns PNG bytes.
 * @throws {WorldStratError} `INVALID_ARGUMENT` when the SVG cannot be parsed.
 * @example
 * ```ts
 * const png = svgToPng(worldMapSvg(points));
 * ```
 */
export function svgToPng(svg: string, options: SvgToPngOptions = {}): Uint8Array {
  try {
    const r = new Resvg(svg, {
      fitTo: options.width ? { mode: 'width', value: options.width } : { mode: 'original' },
      font: { loadSystemFonts: true, fontFiles: options.fontFiles ?? [], defaultFontFamily: 'DejaVu Sans' },
    });
    return new Uint8Array(r.render().asPng());
  } catch (e) {
    throw new WorldStratError('INVALID_ARGUMENT', `cannot render SVG to PNG: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/**
 * Render an SVG document to raw RGBA pixels (for tests and further compositing).
 *
 * @param svg - the SVG text.
 * @param options - output width, font files.
 * @returns width, height and `width·height·4` RGBA bytes.
 * @throws {WorldStratError} `INVALID_ARGUMENT` when the SVG cannot be parsed.
 */
export function svgToRgba(
  svg: string,
  options: SvgToPngOptions = {},
): { width: number; height: number; pixels: Uint8Array } {
  try {
    const r = new Resvg(svg, {
      fitTo: options.width ? { mode: 'width', value: options.width } : { mode: 'original' },
      font: { loadSystemFonts: true, fontFiles: options.fontFiles ?? [], defaultFontFamily: 'DejaVu Sans' },
    });
    const img = r.render();
    return { width: img.width, height: img.height, pixels: new Uint8Array(img.pixels) };
  } catch (e) {
    throw new WorldStratError('INVALID_ARGUMENT', `cannot render SVG: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Write `<base>.svg` and `<base>.png` atomically.
 *
 * @param base - path without extension.
 * @param svg - the SVG text.
 * @param options - PNG rendering options.
 * @returns the two paths written.
 * @example
 * ```ts
 * await writePlot('out/world-map', worldMapSvg(points));
 * ```
 */
export async function writePlot(
  base: string,
  svg: string,
  options: SvgToPngOptions = {},
): Promise<{ svg: string; png: string }> {
  const fn = 'writePlot';
  checkString(fn, 'base', base);
  checkString(fn, 'svg', svg);
  const o = checkOptions(fn, options);
  checkOptionalFinite(fn, 'options.width', o.width);
  if (o.fontFiles !== undefined && o.fontFiles !== null)
    checkStringList(fn, 'options.fontFiles', o.fontFiles);
  // render first: an SVG that cannot be rendered leaves no .svg file behind
  const png = svgToPng(svg, options);
  await writeFileAtomic(`${base}.svg`, svg);
  await writeFileAtomic(`${base}.png`, png);
  return { svg: `${base}.svg`, png: `${base}.png` };
}
