// Hostile arguments for every exported function of core's entry points (`.` and `./node`): what JavaScript
// callers, JSON configs and other tools pass. Each call must end in a result or a CoreError (never a plain
// TypeError/RangeError, never a hang). The exports are iterated, so a new export is covered by the argument
// shapes at once; a valid call per function lets each argument be replaced on its own, and the crafted cases pin
// the code and message of the checks.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HOSTILE_ARGUMENT_SHAPES,
  HOSTILE_ARGUMENT_VALUES,
  jsonMutations,
  outcomeOf,
  typedError,
} from '../../../tests/support/json-mutations.js';
import * as indexApi from '../src/index.js';
import * as nodeApi from '../src/node.js';

const { CoreError } = indexApi;
type Fn = (...args: unknown[]) => unknown;

/** A value JSON can carry that `String()` and template literals cannot convert. */
const UNPRINTABLE = { toString: 1, valueOf: 1 };

/** The probe's argument lists: nothing, one hostile value, and pairs of them. */
const SHAPES: readonly unknown[][] = [...HOSTILE_ARGUMENT_SHAPES, [UNPRINTABLE, UNPRINTABLE]];

/** Values put in place of one argument of a valid call. */
const HOSTILE_VALUES: readonly unknown[] = [...HOSTILE_ARGUMENT_VALUES, UNPRINTABLE, 10n];

let dir = '';
let cwd = '';

/** A valid call of each function (fresh arguments per call); every argument is then replaced on its own. */
const VALID: Record<string, () => unknown[]> = {
  coreAbortError: () => [AbortSignal.abort('stop')],
  onAbort: () => [new AbortController().signal, () => {}],
  // a hostile delay (2^53 ms) is waited out: the signal ends it, typed
  sleep: () => [1, AbortSignal.timeout(200), indexApi.coreAbortError],
  setMember: () => [{}, '__proto__', 1],
  withoutTrailingSlashes: () => ['https://h/'],
  throwIfAborted: () => [new AbortController().signal, indexApi.coreAbortError],
  parseCsv: () => ['a,b\n1,2\n', { name: 'table.csv' }],
  toCsv: () => [
    ['a', 'b'],
    [
      [1, 'x,y'],
      [null, true],
    ],
  ],
  describeValue: () => [{ a: 1 }, 20],
  listShapeProblem: () => [[1, 2], 10],
  formatIsoDay: () => [1616371200000],
  parseIsoDay: () => ['2021-03-22T10:00:00Z', { allowTime: true, what: 'start date' }],
  parseIsoTime: () => ['2021-03-22T10:00:00', { what: 'acquisition' }],
  natCompare: () => ['a10', 'a9'],
  natsorted: () => [['a10', 'a9', 'B']],
  decodeUtf8Text: () => [Uint8Array.of(0x41, 0xc3, 0xbc)],
  bankersRound: () => [2.5],
  pythonRound2: () => [0.125],
  createRng: () => [42],
  uniform: () => [indexApi.createRng(1), 10, 20],
  utmEpsgForLonLat: () => [13, 52],
  utmZoneForLonLat: () => [13, 52],
  utmProj4: () => [33, false],
  readFileBounded: () => [join(dir, 'in.txt'), { maxBytes: 100, what: 'input' }],
  writeFileAtomic: () => [join(dir, 'out', 'a.txt'), 'text'],
  writeCsv: () => [join(dir, 'out', 'a.csv'), { header: ['a'], rows: [[1], ['x']] }],
  createFolder: () => [
    'output folder',
    join(dir, 'made', 'sub'),
    (m: string) => new CoreError('INVALID_ARGUMENT', m),
  ],
  isMissingPathError: () => [Object.assign(new Error('gone'), { code: 'ENOENT' })],
  folderFailureMessage: () => [
    'output folder',
    join(dir, 'x'),
    Object.assign(new Error('no'), { code: 'EROFS' }),
  ],
};

/** Functions whose every argument is fine: they describe or classify whatever they are given. */
const TAKES_ANYTHING = new Set(['describeValue', 'isMissingPathError']);

/** The exported functions of both entry points (classes excluded: they are constructed, not called). */
const FUNCTIONS = new Map<string, Fn>();
for (const api of [indexApi, nodeApi] as Record<string, unknown>[])
  for (const [name, value] of Object.entries(api))
    if (typeof value === 'function' && !/^[A-Z]/.test(name)) FUNCTIONS.set(name, value as Fn);

/**
 * How the call ended: 'ok' or the CoreError's code. Anything else, or a promise that does not settle within 10 s,
 * fails naming the call.
 */
function outcome(what: string, fn: Fn, args: unknown[]): Promise<string> {
  return outcomeOf(
    what,
    async () => {
      const result = fn(...args);
      if (result instanceof Promise) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('did not settle within 10 s')), 10_000);
        });
        await Promise.race([result, timeout]).finally(() => clearTimeout(timer));
      }
    },
    CoreError,
  );
}

const shown = (args: unknown[]): string => args.map((a) => indexApi.describeValue(a, 30)).join(', ');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'core-hostile-args-'));
  // Shapes like ('x', 'x') are relative paths: resolve them in the scratch folder, never in the package.
  cwd = process.cwd();
  process.chdir(dir);
  writeFileSync(join(dir, 'in.txt'), 'hello');
});

afterAll(() => {
  if (cwd) process.chdir(cwd);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('every exported function, called with hostile argument shapes', () => {
  it('finds the exports and has a valid call for each', () => {
    expect(FUNCTIONS.size).toBeGreaterThan(15);
    // A new export is called with SHAPES at once; add a valid call here to fuzz its arguments one by one.
    expect([...FUNCTIONS.keys()].filter((name) => !VALID[name])).toEqual([]);
  });

  for (const [name, fn] of FUNCTIONS) {
    it(name, async () => {
      const outcomes = new Set<string>();
      for (const args of SHAPES) outcomes.add(await outcome(`${name}(${shown(args)})`, fn, args));
      const valid = VALID[name];
      if (valid) {
        expect(await outcome(`${name}(valid)`, fn, valid())).toBe('ok');
        const n = valid().length;
        for (let i = 0; i < n; i++)
          for (const v of HOSTILE_VALUES) {
            const args = valid();
            args[i] = v;
            outcomes.add(await outcome(`${name}(${shown(args)}) [argument ${i}]`, fn, args));
          }
      }
      // describeValue and isMissingPathError take anything; every other function refuses some argument
      if (!TAKES_ANYTHING.has(name)) expect([...outcomes].some((o) => o !== 'ok')).toBe(true);
    });
  }
});

describe('seeded hostile tables through toCsv and parseCsv', () => {
  it('end in CSV text that parses back, or a CoreError', async () => {
    const doc = {
      header: ['id', 'name', 'lon'],
      rows: [
        [0, 'a,b', 8.5],
        [1, null, -47.25],
        [2, '"q"', true],
      ],
    };
    const tally = new Map<string, number>();
    for (const { doc: d, what } of jsonMutations(doc, 300, 11)) {
      const m = d as { header: unknown; rows: unknown };
      let text = '';
      const o = await outcomeOf(
        what,
        () => {
          text = indexApi.toCsv(m.header as string[], m.rows as indexApi.CsvCell[][]);
        },
        CoreError,
      );
      if (o === 'ok') {
        expect(text.endsWith('\n'), what).toBe(true);
        // the text is CSV: it parses (or names a real CSV defect: a repeated or ragged column)
        await outcomeOf(what, () => indexApi.parseCsv(text), CoreError);
        expect(text, what).not.toContain('[object Object]');
      }
      tally.set(o, (tally.get(o) ?? 0) + 1);
    }
    expect(tally.get('INVALID_ARGUMENT')).toBeGreaterThan(0);
    expect(tally.get('ok')).toBeGreaterThan(0);
  });
});

const thrown = (f: () => unknown) => typedError(f, CoreError);

function expectError(f: () => unknown, code: string, message: RegExp): void {
  const e = thrown(f);
  expect([e.code, e.message]).toEqual([code, expect.stringMatching(message)]);
}

describe('crafted cases: the code and message of each check', () => {
  it('natural sort refuses what is not a string, naming the argument', () => {
    expectError(
      () => indexApi.natCompare(undefined as never, 'a'),
      'INVALID_ARGUMENT',
      /^natCompare: a must be a string, got undefined$/,
    );
    expectError(
      () => indexApi.natsorted(['a', 3] as never),
      'INVALID_ARGUMENT',
      /^natsorted: values\[1\] must be a string, got 3$/,
    );
    expectError(
      () => indexApi.natsorted('cba' as never),
      'INVALID_ARGUMENT',
      /^natsorted: values must be an array, got "cba"$/,
    );
    // iterables other than arrays still sort
    expect(indexApi.natsorted(new Set(['a10', 'a9']) as unknown as string[])).toEqual(['a9', 'a10']);
  });

  it('rounding refuses non-numbers instead of returning NaN or 0', () => {
    expectError(
      () => indexApi.pythonRound2(null as never),
      'INVALID_ARGUMENT',
      /^pythonRound2: x must be a number, got null$/,
    );
    expectError(
      () => indexApi.bankersRound('2.5' as never),
      'INVALID_ARGUMENT',
      /^bankersRound: x must be a number, got "2.5"$/,
    );
    expect(indexApi.pythonRound2(Number.NaN)).toBeNaN();
  });

  it('uniform needs a generator and finite bounds', () => {
    expectError(
      () => indexApi.uniform(undefined as never, 0, 1),
      'INVALID_ARGUMENT',
      /^uniform: rng must be a generator with next\(\), got undefined$/,
    );
    expectError(
      () => indexApi.uniform(indexApi.createRng(1), 0, Number.NaN),
      'INVALID_ARGUMENT',
      /^uniform: hi must be a finite number, got NaN$/,
    );
  });

  it('CSV functions name the table member that is not an array of cells', () => {
    expectError(() => indexApi.toCsv(['a'], null as never), 'INVALID_ARGUMENT', /^toCsv: rows must be/);
    expectError(
      () => indexApi.toCsv(['a'], [[1], 'x'] as never),
      'INVALID_ARGUMENT',
      /^toCsv: rows\[1\] must be an array of cells, got "x"$/,
    );
    expectError(
      () => indexApi.toCsv(['a'], [[{ a: 1 }]] as never),
      'INVALID_ARGUMENT',
      /^toCsv: rows\[0\]\[0\] must be a string, number, boolean or null, got \{"a":1\}$/,
    );
    expectError(
      () => indexApi.parseCsv(undefined as never),
      'INVALID_ARGUMENT',
      /^parseCsv: text must be a string, got undefined$/,
    );
    expectError(
      () => indexApi.parseCsv('a\n1\n', null as never),
      'INVALID_ARGUMENT',
      /^parseCsv: options must be an object or undefined, got null$/,
    );
  });

  it('parseIsoDay checks its options and quotes any value without a second error', () => {
    expectError(
      () => indexApi.parseIsoDay('2021-03-22', null as never),
      'INVALID_ARGUMENT',
      /^parseIsoDay: options must be an object or undefined, got null$/,
    );
    expectError(
      () => indexApi.parseIsoDay('2021-02-30', { what: UNPRINTABLE as never }),
      'INVALID_ARGUMENT',
      /^parseIsoDay: options\.what must be a string/,
    );
    expectError(() => indexApi.parseIsoDay(10n as never), 'INVALID_DATE', /^date 10n is not an ISO-8601 day/);
  });

  it('abort helpers refuse signals and callbacks that cannot work', async () => {
    expectError(
      () => indexApi.coreAbortError(undefined as never),
      'INVALID_ARGUMENT',
      /^coreAbortError: signal must be an object, got undefined$/,
    );
    expectError(
      () => indexApi.onAbort({} as never, () => {}),
      'INVALID_ARGUMENT',
      /^onAbort: signal must be an AbortSignal, got \{\}$/,
    );
    expectError(
      () => indexApi.onAbort(new AbortController().signal, 'x' as never),
      'INVALID_ARGUMENT',
      /^onAbort: callback must be a function, got "x"$/,
    );
    expectError(
      () => indexApi.throwIfAborted(AbortSignal.abort(), 42 as never),
      'INVALID_ARGUMENT',
      /^throwIfAborted: makeError must be a function, got 42$/,
    );
    const e = await indexApi.sleep(10, 'x' as never).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(CoreError);
    expect((e as Error).message).toBe('sleep: signal must be an AbortSignal or undefined, got "x"');
    // no delay, nothing to listen to: still resolves, as before
    await expect(indexApi.sleep(0, 'x' as never)).resolves.toBeUndefined();
  });

  it('file helpers refuse paths and data that are not strings or bytes before touching the disk', async () => {
    const before = readdirSync(dir);
    const write = await nodeApi.writeFileAtomic(join(dir, 'n.txt'), 42 as never).catch((err: unknown) => err);
    expect([(write as InstanceType<typeof CoreError>).code, (write as Error).message]).toEqual([
      'INVALID_ARGUMENT',
      'writeFileAtomic: data must be a Uint8Array, a string or an array of Uint8Arrays, got 42',
    ]);
    const csv = await nodeApi.writeCsv(join(dir, 'n.csv'), undefined as never).catch((err: unknown) => err);
    expect((csv as Error).message).toBe('writeCsv: table must be an object, got undefined');
    const read = await nodeApi
      .readFileBounded(join(dir, 'in.txt'), null as never)
      .catch((err: unknown) => err);
    expect((read as Error).message).toBe('readFileBounded: options must be an object, got null');
    expect(readdirSync(dir)).toEqual(before);
  });
});
