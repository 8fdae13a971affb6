// Class distribution bar charts, single or grouped (before/after rebalancing).
import {
  argumentError,
  checkArray,
  checkObject,
  checkOptionalNumber,
  checkOptionalString,
  checkOptions,
  minMax,
} from '../internal/check-arguments.js';
import { colorForClass, escapeXml, formatTick, niceTicks, svgDocument, svgText } from './svg.js';

/** Options of {@link classDistributionSvg}. */
export interface BarChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

/** A named series of class counts. */
export interface CountSeries {
  name: string;
  counts: Readonly<Record<string, number>>;
  color?: string;
}

/**
 * Bar chart of class counts. One series: bars coloured by class. Several series (e.g. "Original" and
 * "Rebalanced"): grouped bars, one colour per series, with a legend.
 *
 * @param series - one or more count series (classes are the union, in first-seen order unless sorted).
 * @param options - title, axis labels, size.
 * @returns the SVG document.
 * @throws {WorldStratError} `INVALID_ARGUMENT` when `series` is not an array of `{ name, counts }` with finite
 * number counts, or an option has the wrong type.
 * @example
 * ```ts
 * classDistributionSvg([{ name: 'Original', counts: before }, { name: 'Rebalanced', counts: after }],
 *   { title: 'Rebalanced distribution of IPCC' });
 * ```
 */
export function classDistributionSvg(series: readonly CountSeries[], options?: BarChartOptions): string {
  checkBarChartArguments(series, options);
  options ??= {};
  // a Set keeps first-seen order and makes the union linear in the number of classes
  const seen = new Set<string>();
  for (const s of series) for (const k of Object.keys(s.counts)) seen.add(k);
  const classes = [...seen];
  const width = options.width ?? Math.max(640, 90 + classes.length * (40 + 22 * series.length));
  const height = options.height ?? 460;
  const m = { l: 70, r: 20, t: options.title ? 44 : 16, b: 110 };
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  const max = Math.max(1, minMax(series.flatMap((s) => Object.values(s.counts)))[1]);
  const ticks = niceTicks(0, max);
  const yMax = Math.max(max, ticks[ticks.length - 1]);
  const Y = (v: number) => m.t + ph - (v / yMax) * ph;
  const parts: string[] = [];
  for (const t of ticks) {
    parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${Y(t)}" y2="${Y(t)}" stroke="#e3e3e3"/>`);
    parts.push(svgText(m.l - 6, Y(t) + 4, formatTick(t), { size: 11, anchor: 'end' }));
  }
  const groupW = pw / Math.max(1, classes.length);
  const barW = Math.min(40, (groupW * 0.8) / series.length);
  const total = series.map((s) => Object.values(s.counts).reduce((a, b) => a + b, 0));
  classes.forEach((c, i) => {
    const gx = m.l + i * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, k) => {
      // own keys only: a class named `constructor` is missing from a series, not Object's function
      const v = Object.hasOwn(s.counts, c) ? s.counts[c] : 0;
      const color =
        series.length === 1
          ? colorForClass(c)
          : (s.color ?? ['#4e79a7', '#f28e2b', '#59a14f', '#e15759'][k % 4]);
      parts.push(
        `<rect x="${(gx + k * barW).toFixed(1)}" y="${Y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(m.t + ph - Y(v)).toFixed(1)}" fill="${escapeXml(color)}"><title>${escapeXml(`${s.name} ${c}: ${v}`)}</title></rect>`,
      );
      if (v > 0)
        parts.push(
          svgText(gx + k * barW + barW / 2 - 1, Y(v) - 3, String(v), { size: 10, anchor: 'middle' }),
        );
    });
    const lx = m.l + i * groupW + groupW / 2;
    parts.push(svgText(lx, m.t + ph + 14, c, { size: 11, anchor: 'end', rotate: -40 }));
  });
  parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#444"/>`);
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="#444"/>`);
  if (options.title)
    parts.push(svgText(width / 2, 28, options.title, { size: 17, anchor: 'middle', weight: 'bold' }));
  parts.push(
    svgText(width / 2, height - 10, options.xLabel ?? `Total number of points: ${total.join(' / ')}`, {
      size: 13,
      anchor: 'middle',
    }),
  );
  parts.push(
    svgText(18, m.t + ph / 2, options.yLabel ?? 'Frequency', { size: 13, anchor: 'middle', rotate: -90 }),
  );
  if (series.length > 1) {
    series.forEach((s, k) => {
      const x = width - m.r - 150;
      const y = m.t + 8 + k * 18;
      parts.push(
        `<rect x="${x}" y="${y - 9}" width="12" height="12" fill="${escapeXml(s.color ?? ['#4e79a7', '#f28e2b', '#59a14f', '#e15759'][k % 4])}"/>`,
      );
      parts.push(svgText(x + 18, y + 2, `${s.name} (${total[k]})`, { size: 12 }));
    });
  }
  return svgDocument(width, height, parts.join(''));
}

function checkBarChartArguments(series: readonly CountSeries[], options: BarChartOptions | undefined): void {
  const fn = 'classDistributionSvg';
  checkArray(fn, 'series', series);
  series.forEach((s, k) => {
    checkObject(fn, `series[${k}]`, s);
    if (typeof s.name !== 'string' && typeof s.name !== 'number')
      throw argumentError(fn, `series[${k}].name`, 'a string', s.name);
    checkObject(fn, `series[${k}].counts`, s.counts);
    for (const [c, v] of Object.entries(s.counts))
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw argumentError(fn, `series[${k}].counts[${JSON.stringify(c)}]`, 'a finite number', v);
    checkOptionalString(fn, `series[${k}].color`, s.color);
  });
  const o = checkOptions(fn, options);
  for (const key of ['title', 'xLabel', 'yLabel'] as const) checkOptionalString(fn, `options.${key}`, o[key]);
  checkOptionalNumber(fn, 'options.width', o.width, 1, 1e6);
  checkOptionalNumber(fn, 'options.height', o.height, 1, 1e6);
}
