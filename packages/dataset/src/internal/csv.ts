// CSV in and out through papaparse (quoting, embedded commas/newlines, BOM).
import Papa from 'papaparse';

/** Serialise rows (header first) to CSV text with a trailing newline. */
export function toCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number | null | undefined)[])[],
): string {
  return `${Papa.unparse({ fields: [...header], data: rows.map((r) => r.map((v) => (v == null ? '' : v))) }, { newline: '\n' })}\n`;
}

/** Parse CSV text with a header row into records (all values as strings) plus the header. */
export function parseCsv(text: string): { header: string[]; rows: Record<string, string>[] } {
  const res = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: true,
    dynamicTyping: false,
    transformHeader: (h, i) => (h === '' ? `__col${i}` : h),
  });
  return { header: res.meta.fields ?? [], rows: res.data };
}
