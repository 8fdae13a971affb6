// A self-contained HTML report that links the plots of a run (images by relative path).
import {
  argumentError,
  checkArray,
  checkObject,
  checkOptionalString,
  checkOptions,
  checkString,
} from '../internal/check-arguments.js';
import { pathHref } from '../internal/output-text.js';
import { escapeXml } from './svg.js';

/** One section of an HTML report. */
export interface ReportSection {
  heading: string;
  /** Paragraph text. */
  text?: string;
  /** Images (relative paths, percent-encoded into the page) with captions. */
  images?: { src: string; alt: string; caption?: string }[];
  /** A table: header row and body rows. */
  table?: { header: string[]; rows: (string | number)[][] };
  /** Links (relative paths, percent-encoded into the page, or http(s) URLs), e.g. to a GeoTIFF or JSON results. */
  links?: { href: string; text: string }[];
}

/**
 * Build an HTML report page.
 *
 * @param title - page title.
 * @param sections - sections in order.
 * @param options - generated-at stamp (ISO string) and a banner (e.g. "SYNTHETIC DATA").
 * @returns the HTML text.
 * @throws {WorldStratError} `INVALID_ARGUMENT` when the title, a section or an option has the wrong type.
 * @example
 * ```ts
 * const html = htmlReport('Benchmark', [{ heading: 'Results', table: { header: ['model', 'cPSNR'], rows } }]);
 * ```
 */
export function htmlReport(
  title: string,
  sections: readonly ReportSection[],
  options?: { generatedAt?: string; banner?: string },
): string {
  const fn = 'htmlReport';
  checkString(fn, 'title', title);
  checkArray(fn, 'sections', sections);
  for (const [i, s] of sections.entries()) checkSection(fn, `sections[${i}]`, s);
  options = checkOptions(fn, options);
  checkOptionalString(fn, 'options.generatedAt', options.generatedAt);
  checkOptionalString(fn, 'options.banner', options.banner);
  const e = escapeXml;
  // paths come from scene and model names: encoded, a `#`, `?` or `javascript:` in one stays part of the file name
  const url = (path: string) => e(pathHref(path));
  const body = sections
    .map((s) => {
      const parts = [`<section><h2>${e(s.heading)}</h2>`];
      if (s.text) parts.push(`<p>${e(s.text)}</p>`);
      if (s.table) {
        parts.push(
          `<table><thead><tr>${s.table.header.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${s.table.rows
            .map((r) => `<tr>${r.map((c) => `<td>${e(String(c))}</td>`).join('')}</tr>`)
            .join('')}</tbody></table>`,
        );
      }
      for (const img of s.images ?? []) {
        parts.push(
          `<figure><a href="${url(img.src)}"><img src="${url(img.src)}" alt="${e(img.alt)}"></a>${img.caption ? `<figcaption>${e(img.caption)}</figcaption>` : ''}</figure>`,
        );
      }
      if (s.links?.length)
        parts.push(
          `<ul>${s.links.map((l) => `<li><a href="${url(l.href)}">${e(l.text)}</a></li>`).join('')}</ul>`,
        );
      parts.push('</section>');
      return parts.join('\n');
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd}
figure{margin:1em 0}figcaption{color:#555;font-size:90%}.banner{background:#fff3cd;border:1px solid #e0c36a;padding:.5em 1em}</style>
</head><body><h1>${e(title)}</h1>
${options.banner ? `<p class="banner">${e(options.banner)}</p>` : ''}
${options.generatedAt ? `<p><small>Generated ${e(options.generatedAt)}</small></p>` : ''}
${body}
</body></html>
`;
}

/** A list member that is absent (undefined or null) or an array of objects. */
function checkObjects(fn: string, what: string, value: unknown): readonly Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  checkArray(fn, what, value as readonly unknown[]);
  for (const [i, v] of (value as unknown[]).entries()) checkObject(fn, `${what}[${i}]`, v);
  return value as Record<string, unknown>[];
}

function checkSection(fn: string, what: string, s: ReportSection): void {
  checkObject(fn, what, s);
  checkString(fn, `${what}.heading`, s.heading);
  checkOptionalString(fn, `${what}.text`, s.text);
  if (s.table) {
    checkObject(fn, `${what}.table`, s.table);
    checkArray(fn, `${what}.table.header`, s.table.header);
    for (const [k, h] of s.table.header.entries()) checkString(fn, `${what}.table.header[${k}]`, h);
    checkArray(fn, `${what}.table.rows`, s.table.rows);
    s.table.rows.forEach((r, k) => {
      checkArray(fn, `${what}.table.rows[${k}]`, r);
      r.forEach((c, j) => {
        if (typeof c !== 'string' && typeof c !== 'number')
          throw argumentError(fn, `${what}.table.rows[${k}][${j}]`, 'a string or a number', c);
      });
    });
  }
  checkObjects(fn, `${what}.images`, s.images).forEach((img, k) => {
    checkString(fn, `${what}.images[${k}].src`, img.src);
    checkString(fn, `${what}.images[${k}].alt`, img.alt);
    checkOptionalString(fn, `${what}.images[${k}].caption`, img.caption);
  });
  checkObjects(fn, `${what}.links`, s.links).forEach((link, k) => {
    checkString(fn, `${what}.links[${k}].href`, link.href);
    checkString(fn, `${what}.links[${k}].text`, link.text);
  });
}
