// CSV reading through papaparse (quoting, embedded commas/newlines, BOM).
import Papa from 'papaparse';

// CSV writing is @worldstrat/core's (one writer for every package).
export { toCsv } from '@worldstrat/core';

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
