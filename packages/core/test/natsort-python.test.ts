// natsorted against Python's natsort (the order upstream gives scenes and revisits), on seeded lists of names
// mixing ASCII, accented letters (natsort compares them in NFD), digits of other scripts, digit signs such as
// '²', and other symbols.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createRng, natsorted } from '../src/index.js';

const PYTHON = '/usr/bin/python3';
const NATSORT = spawnSync(PYTHON, ['-c', 'import natsort'], { encoding: 'utf8' }).status === 0;
if (!NATSORT && process.env.CI === 'true') throw new Error('python3-natsort is required when CI is set');

const ATOMS = [
  'a',
  'A',
  'b',
  '0',
  '9',
  '1',
  '2',
  '10',
  ' ',
  '-',
  '.',
  '٣',
  '²',
  '３',
  'é',
  'e\u0301',
  'f',
  'Å',
  'ß',
  '😀',
  '\u00a0',
  '①',
];

function lists(count: number): string[][] {
  const rng = createRng(20261205);
  const pick = () => ATOMS[Math.floor(rng.next() * ATOMS.length)] as string;
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + Math.floor(rng.next() * 7) }, () =>
      Array.from({ length: Math.floor(rng.next() * 6) }, pick).join(''),
    ),
  );
}

describe.runIf(NATSORT)("natsorted against Python's natsort", () => {
  it('2000 seeded lists sort as natsort.natsorted sorts them (stable for equal keys)', () => {
    const cases = lists(2000);
    const py = spawnSync(
      PYTHON,
      [
        '-c',
        'import json, sys, natsort\nprint(json.dumps([natsort.natsorted(l) for l in json.load(sys.stdin)]))',
      ],
      { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    expect(py.status, py.stderr).toBe(0);
    const want = JSON.parse(py.stdout) as string[][];
    const differ = cases.filter((l, i) => JSON.stringify(natsorted(l)) !== JSON.stringify(want[i]));
    expect(differ.slice(0, 3)).toEqual([]);
  });
});
