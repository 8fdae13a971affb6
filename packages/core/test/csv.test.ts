import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CoreError, parseCsv, toCsv } from '../src/index.js';
import { writeCsv } from '../src/node.js';
import { tempDir } from './support.js';

describe('toCsv', () => {
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

  it('a "__proto__" column is an own property like any other', () => {
    const { rows } = parseCsv('__proto__,a\nx,1\n');
    expect(Object.keys(rows[0] as object)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(rows[0], '__proto__')?.value).toBe('x');
  });

  it('INVALID_CSV naming the source and the place: ragged rows, an open quote, a column named twice', () => {
    const cases: [string, string][] = [
      ['a,b\n1,2\n3\n', 'split.csv: data row 2 has 1 cells, the header 2'],
      ['a,b\n1,2,3\n', 'split.csv: data row 1 has 3 cells, the header 2'],
      ['a,b\n1,"2\n3,4\n', 'split.csv: quoted field unterminated in data row 1'],
      ['a,b,a\n1,2,3\n', 'split.csv: column "a" is named twice in the header'],
    ];
    for (const [text, message] of cases) {
      const e = failure(text, 'split.csv');
      expect(e).toBeInstanceOf(CoreError);
      expect([e.code, e.message]).toEqual(['INVALID_CSV', expect.stringContaining(message)]);
    }
    expect(failure('a\n"x"y\n').message).toMatch(/^CSV text: trailing quote .* in data row 1$/i);
    expect(failure('"a,b\n').message).toContain('in the header');
  });
});
