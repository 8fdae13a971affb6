// Training curves: loss / metric per step or epoch, several named series.
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
 * @example
 * ```ts
 * trainingCurvesSvg([{ name: 'train loss', points: losses.map((l, i) => [i, l]) }], { xLabel: 'step' });
 * ```
 */
export function trainingCurvesSvg(series: readonly CurveSeries[], options: LineChartOptions = {}): string {
  const width = options.width ?? 800;
  const height = options.height ?? 480;
  const m = { l: 72, r: 170, t: options.title ? 44 : 16, b: 56 };
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  const f = (y: number) => (options.logY ? Math.log10(y) : y);
  const pts = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(f(y))));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => f(p[1]));
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs) : 1;
  let y0 = ys.length ? Math.min(...ys) : 0;
  let y1 = ys.length ? Math.max(...ys) : 1;
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
