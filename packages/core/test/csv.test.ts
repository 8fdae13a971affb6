import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { toCsv } from '../src/index.js';
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
