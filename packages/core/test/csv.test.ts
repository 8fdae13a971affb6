import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CoreError, parseCsv, toCsv } from '../src/index.js';
import { writeCsv } from '../src/node.js';
import { tempDir } from './support.js';

describe('toCsv', () => {
  it('writes a Date subclass as ISO text (papaparse wrote the local time), and refuses a Date look-alike', () => {
    class Stamp extends Date {}
    expect(toCsv(['when'], [[new Stamp(0) as never]])).toBe('when\n1970-01-01T00:00:00.000Z\n');
    expect(() => toCsv(['when'], [[Object.create(Date.prototype)]])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('rows[0][0]') }),
    );
  });

  it('refuses an invalid Date (written as an empty cell, a one-column row of it was lost)', () => {
    expect(() => toCsv(['when'], [[new Date(Number.NaN) as never], ['2021-01-01']])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('rows[0][0]') }),
    );
  });

  it('writes RFC 4180 CSV with \\n line ends and a trailing newline', () => {
    const text = toCsv(
      ['name', 'n', 'note'],
      [
        ['a', 1, null],
        ['b,c', 2.5, 'say "hi"'],
        ['line\nbreak', -0.001, undefined],
        [' padded', true, ''],
      ],
    );
    expect(text).toBe('name,n,note\na,1,\n"b,c",2.5,"say ""hi"""\n"line\nbreak",-0.001,\n" padded",true,\n');
  });

  it('writes only the header for no rows, and an unnamed first column as an empty field', () => {
    expect(toCsv(['', 'lon', 'lat'], [])).toBe(',lon,lat\n');
    expect(toCsv(['', 'lon'], [[0, 8.5]])).toBe(',lon\n0,8.5\n');
  });

  it('writes an empty cell of a one-column table as "" (a bare empty line is no row: it was lost)', () => {
    const text = toCsv(['id'], [['a'], [''], [null], ['b']]);
    expect(text).toBe('id\na\n""\n""\nb\n'); // what Python's csv.writer writes for these rows
    expect(parseCsv(text).rows).toEqual([{ id: 'a' }, { id: '' }, { id: '' }, { id: 'b' }]);
    expect(toCsv(['a', 'b'], [['', '']])).toBe('a,b\n,\n');
  });

  it('refuses a row with more or fewer cells than the header (no reader takes such a table back)', () => {
    for (const row of [['x'], ['x', 'y', 'z']]) {
      const e = (() => {
        try {
          toCsv(['a', 'b'], [['1', '2'], row]);
        } catch (err) {
          return err as CoreError;
        }
      })();
      expect(e).toBeInstanceOf(CoreError);
      expect([e?.code, e?.message]).toEqual([
        'INVALID_ARGUMENT',
        expect.stringMatching(/^toCsv: rows\[1\] must be 2 cells/),
      ]);
    }
  });

  it('writeCsv writes the same text atomically', async () => {
    const dir = await tempDir();
    await writeCsv(`${dir}/sub/t.csv`, { header: ['a'], rows: [['x'], [2]] });
    expect(await readFile(`${dir}/sub/t.csv`, 'utf8')).toBe('a\nx\n2\n');
  });
});

describe('parseCsv', () => {
  const failure = (text: string, name?: string) => {
    try {
      parseCsv(text, name === undefined ? {} : { name });
    } catch (e) {
      return e as CoreError;
    }
    throw new Error('parsed');
  };

  it('reads what toCsv writes back: quotes, commas, line breaks, a BOM, an unnamed first column', () => {
    const text = `\uFEFF${toCsv(
      ['', 'name', 'note'],
      [
        [0, 'b,c', 'say "hi"'],
        [1, 'line\nbreak', ''],
      ],
    )}`;
    expect(parseCsv(text)).toEqual({
      header: ['__col0', 'name', 'note'],
      rows: [
        { __col0: '0', name: 'b,c', note: 'say "hi"' },
        { __col0: '1', name: 'line\nbreak', note: '' },
      ],
    });
    expect(parseCsv('')).toEqual({ header: [], rows: [] });
    expect(parseCsv('tile\n\nA\n')).toEqual({ header: ['tile'], rows: [{ tile: 'A' }] });
  });

  it('reads commas only: semicolons, pipes and tabs in cells are no delimiters (papaparse guessed them)', () => {
    expect(parseCsv('h0;\nx;y\n')).toEqual({ header: ['h0;'], rows: [{ 'h0;': 'x;y' }] });
    expect(parseCsv('a|b\n1|2\n3|4\n').rows).toEqual([{ 'a|b': '1|2' }, { 'a|b': '3|4' }]);
    expect(parseCsv('a\tb,c\n1\t2,3\n').rows).toEqual([{ 'a\tb': '1\t2', c: '3' }]);
  });

  it('keeps a one-column record "" (Python writes an empty cell so) and skips blank lines', () => {
    expect(parseCsv('h0\r\n""\r\n\r\nx\r\n""\r\n').rows).toEqual([{ h0: '' }, { h0: 'x' }, { h0: '' }]);
    expect(parseCsv('h0\n""\n').rows).toEqual([{ h0: '' }]);
  });

  it('takes the line break from outside quotes (a CR inside a quoted header cell made papaparse split on CR)', () => {
    expect(parseCsv('"a\rb",c\r\n1,2\r\n"x\ry",3\r\n')).toEqual({
      header: ['a\rb', 'c'],
      rows: [
        { 'a\rb': '1', c: '2' },
        { 'a\rb': 'x\ry', c: '3' },
      ],
    });
    expect(parseCsv('"h\n0",h1\r1,2\r').rows).toEqual([{ 'h\n0': '1', h1: '2' }]);
    // Python's csv.reader reads this as [['h0\r"', 'h1'], ['\tx y"', '\t']]; papaparse refused it
    expect(parseCsv('"h0\r""",h1\n"\tx y""",\t\n')).toEqual({
      header: ['h0\r"', 'h1'],
      rows: [{ 'h0\r"': '\tx y"', h1: '\t' }],
    });
  });

  it("reads as Python's csv.reader: any line break ends a record, text after a closing quote joins the cell", () => {
    // CRLF lines, then an LF one (a file edited on two systems): the last cell was read as 'val\n'
    expect(parseCsv('name,split\r\na,train\r\nb,val\n').rows).toEqual([
      { name: 'a', split: 'train' },
      { name: 'b', split: 'val' },
    ]);
    expect(parseCsv('h\r\n1\n2\r3\r\n\r\n\n4').rows.map((r) => r.h)).toEqual(['1', '2', '3', '4']);
    expect(parseCsv('a\n"x"y\n').rows).toEqual([{ a: 'xy' }]);
  });

  it('a "__proto__" column is an own property like any other', () => {
    const { rows } = parseCsv('__proto__,a\nx,1\n');
    expect(Object.keys(rows[0] as object)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(rows[0], '__proto__')?.value).toBe('x');
  });

  it('INVALID_CSV naming the source and the place: ragged rows, an open quote, a column named twice', () => {
    const cases: [string, string][] = [
      ['a,b\n1,2\n3\n', 'split.csv: data row 2 has 1 cells, the header 2'],
      ['a,b\n1,2,3\n', 'split.csv: data row 1 has 3 cells, the header 2'],
      ['a,b\n1,"2\n3,4\n', 'split.csv: a quoted cell in data row 1 is never closed'],
      ['a,b,a\n1,2,3\n', 'split.csv: column "a" is named twice in the header'],
    ];
    for (const [text, message] of cases) {
      const e = failure(text, 'split.csv');
      expect(e).toBeInstanceOf(CoreError);
      expect([e.code, e.message]).toEqual(['INVALID_CSV', expect.stringContaining(message)]);
    }
    expect(failure('"a,b\n').message).toContain('in the header');
  });
});

describe('parseCsv on hostile text', () => {
  it('reads a 20 MB quoted or unquoted cell in linear time (it was built a character at a time: 6 s for 50 MB)', () => {
    const big = 'x'.repeat(2e7);
    const t0 = performance.now();
    expect(parseCsv(`a,b\n"${big}",${big}\n`).rows[0]?.a).toHaveLength(2e7);
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('quotes a duplicate column name shortly in the error', () => {
    const name = 'n'.repeat(100_000);
    expect(() => parseCsv(`${name},${name}\n`)).toThrow(
      expect.objectContaining({
        code: 'INVALID_CSV',
        message: expect.stringMatching(/^CSV text: column "n+\.\.\. is named twice/),
      }),
    );
    let message = '';
    try {
      parseCsv(`${name},${name}\n`);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.length).toBeLessThan(120);
  });
});
