// toCsv and parseCsv against Python's csv module (the reference reader and writer of the upstream tables), on
// seeded tables of the cells that trip CSV code: quotes, commas, CR and LF inside cells, BOMs, semicolons,
// pipes, tabs, other scripts and empty cells.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createRng, parseCsv, toCsv } from '../src/index.js';

const PYTHON = spawnSync('python3', ['-c', 'import csv'], { encoding: 'utf8' }).status === 0;
if (!PYTHON && process.env.CI === 'true') throw new Error('python3 is required when CI is set');

const ATOMS = [
  'a',
  ',',
  '"',
  '\n',
  '\r',
  '\r\n',
  ' ',
  '\t',
  ';',
  '|',
  'é',
  '日',
  '\uFEFF',
  '=1',
  '-',
  '0',
  '',
  'x y',
];

/** Python reads `texts` with csv.reader and writes `tables` with csv.writer (QUOTE_MINIMAL, `\r\n`). */
const PY = `
import csv, io, json, sys
job = json.load(sys.stdin)
read = [[r for r in csv.reader(io.StringIO(t, newline='')) if r != []] for t in job['texts']]
mixed = [[r for r in csv.reader(io.StringIO(t, newline='')) if r != []] for t in job['mixed']]
written = []
for t in job['tables']:
    b = io.StringIO(newline='')
    csv.writer(b, lineterminator='\\r\\n').writerows(t)
    written.append(b.getvalue())
print(json.dumps({'read': read, 'written': written, 'mixed': mixed}))
`;

function tables(count: number): string[][][] {
  const rng = createRng(20261205);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng.next() * xs.length)] as T;
  const cell = () => Array.from({ length: Math.floor(rng.next() * 4) }, () => pick(ATOMS)).join('');
  return Array.from({ length: count }, () => {
    const columns = 1 + Math.floor(rng.next() * 3);
    const header = Array.from({ length: columns }, (_, i) => `h${i}${rng.next() < 0.3 ? cell() : ''}`);
    const rows = Array.from({ length: Math.floor(rng.next() * 5) }, () =>
      Array.from({ length: columns }, cell),
    );
    return [header, ...rows];
  });
}

/** toCsv's text with each record's line break replaced by CRLF, LF or CR and blank lines put in between. */
function mixedLineBreaks(text: string, seed: number): string {
  const rng = createRng(seed);
  const breaks = ['\r\n', '\n', '\r', '\r\n\r\n', '\n\n'];
  let quoted = false;
  let out = '';
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    out += c === '\n' && !quoted ? (breaks[Math.floor(rng.next() * breaks.length)] as string) : c;
  }
  return out;
}

describe.runIf(PYTHON)("CSV against Python's csv module", () => {
  const cases = tables(300);
  const ours = cases.map(([header, ...rows]) => toCsv(header as string[], rows));
  const mixed = ours.map((text, i) => mixedLineBreaks(text, i));
  const py = spawnSync('python3', ['-c', PY], {
    input: JSON.stringify({ texts: ours, tables: cases, mixed }),
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const { read, written, ...fromPython } = JSON.parse(py.stdout || '{}') as {
    read: string[][][];
    written: string[];
    mixed: string[][][];
  };

  it('Python reads every table toCsv writes as written', () => {
    expect(py.status, py.stderr).toBe(0);
    for (let i = 0; i < cases.length; i++) expect(read[i], JSON.stringify(ours[i])).toEqual(cases[i]);
  });

  it('parseCsv reads every table Python writes (CRLF line ends) as written', () => {
    for (let i = 0; i < cases.length; i++) {
      const { header, rows } = parseCsv(written[i] as string);
      const table = [header, ...rows.map((r) => header.map((h) => r[h]))];
      expect(table, JSON.stringify(written[i])).toEqual(cases[i]);
    }
  });

  it('parseCsv reads records ending in mixed line breaks (CRLF, LF, CR, blank lines between) as Python does', () => {
    for (let i = 0; i < cases.length; i++) {
      const { header, rows } = parseCsv(mixed[i] as string);
      const table = [header, ...rows.map((r) => header.map((h) => r[h]))];
      expect(table, JSON.stringify(mixed[i])).toEqual(fromPython.mixed[i]);
    }
  });
});
