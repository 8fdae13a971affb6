// Training curves: loss / metric per step or epoch, several named series.
import {
  argumentError,
  checkArray,
  checkObject,
  checkOptionalNumber,
  checkOptionalString,
  checkOptions,
  checkString,
  minMax,
} from '../internal/check-arguments.js';
import { formatTick, niceTicks, svgDocument, svgText } from './svg.js';

/** One curve. */
export interface CurveSeries {
  name: string;
  points: readonly (readonly [number, number])[];
  color?: string;
  dashed?: boolean;
}

/** Options of {@link trainingCurvesSvg}. */
export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Log-scale y (all values must be > 0). */
  logY?: boolean;
}

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#9c755f'];

/**
 * Line chart of training curves (e.g. train loss, val cPSNR per epoch).
 *
 * @param series - curves; non-finite points are skipped.
 * @param options - title, labels, size, log-y.
 * @returns the SVG document.
 * @throws {WorldStratError} `INVALID_ARGUMENT` when `series` is not an array of `{ name, points }` with
 * `[x, y]` points, or an option has the wrong type.
 * @example
 * ```ts
 * trainingCurvesSvg([{ name: 'train loss', points: losses.map((l, i) => [i, l]) }], { xLabel: 'step' });
 * ```
 */
export function trainingCurvesSvg(series: readonly CurveSeries[], options?: LineChartOptions): string {
  const fn = 'trainingCurvesSvg';
  checkArray(fn, 'series', series);
  series.forEach((s, k) => {
    checkObject(fn, `series[${k}]`, s);
    checkString(fn, `series[${k}].name`, s.name);
    checkArray(fn, `series[${k}].points`, s.points);
    s.points.forEach((pt, i) => {
      if (!Array.isArray(pt) && !(ArrayBuffer.isView(pt) && !(pt instanceof DataView)))
        throw argumentError(fn, `series[${k}].points[${i}]`, 'an [x, y] pair', pt);
    });
    checkOptionalString(fn, `series[${k}].color`, s.color);
  });
  options = checkOptions(fn, options);
  for (const key of ['title', 'xLabel', 'yLabel'] as const)
    checkOptionalString(fn, `options.${key}`, options[key]);
  checkOptionalNumber(fn, 'options.width', options.width, 1, 1e6);
  checkOptionalNumber(fn, 'options.height', options.height, 1, 1e6);
  const width = options.width ?? 800;
  const height = options.height ?? 480;
  const m = { l: 72, r: 170, t: options.title ? 44 : 16, b: 56 };
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  const f = (y: number) => (options.logY ? Math.log10(y) : y);
  const pts = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(f(y))));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => f(p[1]));
  // minMax, not Math.min(...xs): a long run has more points than a call's arguments may hold (RangeError).
  const [x0, x1] = xs.length ? minMax(xs) : [0, 1];
  let [y0, y1] = ys.length ? minMax(ys) : [0, 1];
  if (y1 === y0) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const X = (x: number) => m.l + ((x - x0) / (x1 - x0 || 1)) * pw;
  const Y = (y: number) => m.t + ph - ((f(y) - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  for (const t of niceTicks(y0, y1)) {
    const yy = m.t + ph - ((t - y0) / (y1 - y0)) * ph;
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${yy}" y2="${yy}" stroke="#e3e3e3"/>`);
    parts.push(
      svgText(m.l - 6, yy + 4, options.logY ? formatTick(10 ** t) : formatTick(t), {
        size: 11,
        anchor: 'end',
      }),
    );
  }
  for (const t of niceTicks(x0, x1)) {
    parts.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${m.t}" y2="${m.t + ph}" stroke="#f0f0f0"/>`);
    parts.push(svgText(X(t), m.t + ph + 16, formatTick(t), { size: 11, anchor: 'middle' }));
  }
  series.forEach((s, k) => {
    const color = s.color ?? COLORS[k % COLORS.length];
    const good = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(f(y)));
    if (good.length > 0) {
      const d = good.map(([x, y], i) => `${i ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join('');
      parts.push(
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
      if (good.length < 40)
        for (const [x, y] of good) parts.push(`<circle cx="${X(x)}" cy="${Y(y)}" r="2.5" fill="${color}"/>`);
    }
    const ly = m.t + 10 + k * 20;
    parts.push(
      `<line x1="${m.l + pw + 14}" x2="${m.l + pw + 38}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    parts.push(svgText(m.l + pw + 44, ly + 4, s.name, { size: 12 }));
  });
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  if (options.title)
    parts.push(svgText(width / 2, 28, options.title, { size: 17, anchor: 'middle', weight: 'bold' }));
  parts.push(svgText(m.l + pw / 2, height - 14, options.xLabel ?? 'epoch', { size: 13, anchor: 'middle' }));
  parts.push(
    svgText(18, m.t + ph / 2, options.yLabel ?? 'value', { size: 13, anchor: 'middle', rotate: -90 }),
  );
  return svgDocument(width, height, parts.join(''));
}
