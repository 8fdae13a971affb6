// Small SVG building blocks shared by every plot (no DOM needed; strings in, string out).
import { checkFiniteNumber, checkString } from '../internal/check-arguments.js';
import { replaceUnsafeChars } from '../internal/output-text.js';

/**
 * Escape text for SVG/HTML content and attribute values. Control characters XML does not allow (one makes the
 * whole SVG unparseable), lone surrogates and bidirectional controls become U+FFFD.
 *
 * @throws {WorldStratError} `INVALID_ARGUMENT` when `text` is not a string.
 */
export function escapeXml(text: string): string {
  checkString('escapeXml', 'text', text);
  return replaceUnsafeChars(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** Fonts listed for every text element (DejaVu Sans is what resvg finds on Debian). */
export const PLOT_FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/**
 * Wrap body elements into a standalone SVG document with a background.
 *
 * @param width - px.
 * @param height - px.
 * @param body - inner SVG markup.
 * @param background - fill colour; default white.
 * @returns the document.
 * @throws {WorldStratError} `INVALID_ARGUMENT` when the size is not finite numbers or the body and background
 * are not strings.
 */
export function svgDocument(width: number, height: number, body: string, background = '#ffffff'): string {
  checkFiniteNumber('svgDocument', 'width', width);
  checkFiniteNumber('svgDocument', 'height', height);
  checkString('svgDocument', 'body', body);
  checkString('svgDocument', 'background', background);
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${PLOT_FONT}"><rect width="${width}" height="${height}" fill="${background}"/>${body}</svg>\n`;
}

/** A text element. */
export function svgText(
  x: number,
  y: number,
  text: string,
  options: {
    size?: number;
    anchor?: 'start' | 'middle' | 'end';
    weight?: string;
    fill?: string;
    rotate?: number;
  } = {},
): string {
  const rot = options.rotate ? ` transform="rotate(${options.rotate} ${x} ${y})"` : '';
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${options.size ?? 12}" text-anchor="${options.anchor ?? 'start'}" fill="${options.fill ?? '#222'}"${options.weight ? ` font-weight="${options.weight}"` : ''}${rot}>${escapeXml(text)}</text>`;
}

/** Fixed colours for the IPCC classes (so every plot agrees), then a categorical palette for other labels. */
export const CLASS_COLORS: Readonly<Record<string, string>> = {
  Agriculture: '#e6a532',
  Forest: '#2e7d32',
  Grassland: '#9ccc65',
  Wetland: '#26a69a',
  Settlement: '#d32f2f',
  Other: '#8d6e63',
  Water: '#1e88e5',
  None: '#9e9e9e',
};

const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/**
 * A stable colour for a class label (IPCC classes have fixed colours; others hash into a 10-colour palette).
 *
 * @param label - class label.
 * @returns a CSS colour.
 * @throws {WorldStratError} `INVALID_ARGUMENT` when `label` is not a string.
 */
export function colorForClass(label: string): string {
  checkString('colorForClass', 'label', label);
  // own keys only: a class named `constructor` or `toString` is a label, not an Object method
  if (Object.hasOwn(CLASS_COLORS, label)) return CLASS_COLORS[label];
  let h = 0;
  for (let i = 0; i < label.length; i++) h = (Math.imul(h, 31) + label.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(h) % PALETTE.length];
}

/** "Nice" axis ticks covering [lo, hi] (1-2-5 steps). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

/** Format a tick value compactly. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}
