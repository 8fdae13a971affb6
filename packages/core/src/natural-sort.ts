// Natural sort like Python natsort (the release orders revisits and scenes with it).
import { CoreError } from './errors.js';
import { checkIterable, checkString, invalidArgument } from './internal/check-arguments.js';

/**
 * Compares two strings like Python's `natsort.natsorted` (8.x) with its default algorithm (`ns.INT | ns.UNSIGNED`):
 * each string is normalised to NFD (so `é` sorts with `e`, before `f`), then split into maximal runs of decimal
 * digits of any script (`12`, `١٢`, `１２`), each a whole number, and single digit signs such as `²` or `③`,
 * and the text between them (compared by code point); a key that is a prefix of the other sorts first.
 * @param a first string.
 * @param b second string.
 * @returns negative, zero or positive.
 * @throws {CoreError} `INVALID_ARGUMENT` when `a` or `b` is not a string.
 * @example
 * ['a10', 'a9'].sort(natCompare); // ['a9', 'a10']
 */
export function natCompare(a: string, b: string): number {
  checkString('natCompare', 'a', a);
  checkString('natCompare', 'b', b);
  return compareNatural(a, b);
}

function compareNatural(a: string, b: string): number {
  return compareKeys(natKey(a), natKey(b));
}

function compareKeys(ka: readonly string[], kb: readonly string[]): number {
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const x = ka[i] as string;
    const y = kb[i] as string;
    if (i % 2 === 1) {
      const c = compareDigits(x, y);
      if (c !== 0) return c;
    } else if (x !== y) {
      return codePointCompare(x, y);
    }
  }
  return ka.length - kb.length;
}

/**
 * Digit signs that are no decimal digits (superscripts, circled and parenthesised digits...), which natsort reads
 * one at a time as numbers: `[first code point, count, value of the first]` runs of Python's unicodedata.digit.
 */
const DIGIT_SIGNS: readonly [number, number, number][] = [
  [0xb2, 2, 2],
  [0xb9, 1, 1],
  [0x1369, 9, 1],
  [0x19da, 1, 1],
  [0x2070, 1, 0],
  [0x2074, 6, 4],
  [0x2080, 10, 0],
  [0x2460, 9, 1],
  [0x2474, 9, 1],
  [0x2488, 9, 1],
  [0x24ea, 1, 0],
  [0x24f5, 9, 1],
  [0x24ff, 1, 0],
  [0x2776, 9, 1],
  [0x2780, 9, 1],
  [0x278a, 9, 1],
  [0x10a40, 4, 1],
  [0x10e60, 9, 1],
  [0x11052, 9, 1],
  [0x1f100, 1, 0],
  [0x1f101, 10, 0],
];
const signClass = DIGIT_SIGNS.map(
  ([cp, n]) => `\\u{${cp.toString(16)}}-\\u{${(cp + n - 1).toString(16)}}`,
).join('');
/** A run of decimal digits of any script, or one digit sign. */
const NUMBER_PART = new RegExp(`(\\p{Nd}+|[${signClass}])`, 'u');
const DECIMAL = /\p{Nd}/u;

function natKey(s: string): string[] {
  const parts = s.normalize('NFD').split(NUMBER_PART);
  // natsort drops empty strings, except that a key starting with a number keeps a leading ''.
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  for (let i = 1; i < parts.length; i += 2) parts[i] = asciiDigits(parts[i] as string);
  return parts;
}

/** A number part's value as ASCII digits (`١٢` → `12`, `²` → `2`), as Python's int() and unicodedata.digit read it. */
function asciiDigits(part: string): string {
  if (/^[0-9]+$/.test(part)) return part;
  return Array.from(part, (c) => String(digitValue(c.codePointAt(0) as number))).join('');
}

function digitValue(cp: number): number {
  const sign = DIGIT_SIGNS.find(([first, n]) => cp >= first && cp < first + n);
  if (sign) return sign[2] + cp - sign[0];
  // decimal digits come in contiguous runs of ten, 0 to 9 (a Unicode stability guarantee), some back to back
  let start = cp;
  while (DECIMAL.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

function compareDigits(x: string, y: string): number {
  const a = x.replace(/^0+(?=\d)/, '');
  const b = y.replace(/^0+(?=\d)/, '');
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function codePointCompare(x: string, y: string): number {
  const ax = Array.from(x);
  const ay = Array.from(y);
  const n = Math.min(ax.length, ay.length);
  for (let i = 0; i < n; i++) {
    const d = (ax[i].codePointAt(0) as number) - (ay[i].codePointAt(0) as number);
    if (d !== 0) return d;
  }
  return ax.length - ay.length;
}

/** Most strings {@link natsorted} takes (names of scenes, tiles, AOIs: thousands). */
const MAX_SORTED = 100_000_000;
/** Most items read from an iterable that is no array: an endless generator must end in an error, soon. */
const MAX_ITERATED = 10_000_000;

/**
 * Stable natural sort (Python `natsort.natsorted` default); equal keys keep their input order.
 * @param values strings to sort (not modified).
 * @returns a sorted copy.
 * @throws {CoreError} `INVALID_ARGUMENT` when `values` is not an array (or another iterable) of at most 100 000 000
 *   strings (10 000 000 from an iterable that is no array), or iterating it fails (the iterator's error is the `cause`).
 * @example
 * natsorted(['Landcover-10', 'ASMSpotter-2', 'Amnesty POI-1']); // ['ASMSpotter-2', 'Amnesty POI-1', 'Landcover-10']
 */
export function natsorted(values: readonly string[]): string[] {
  const list = checkIterable('natsorted', 'values', values);
  // a 2^32 − 1 long array with no elements filled the heap when spread
  if (Array.isArray(list) && list.length > MAX_SORTED) throw tooMany(`an array of length ${list.length}`);
  const copy = collect(list, Array.isArray(list) ? MAX_SORTED : MAX_ITERATED);
  for (let i = 0; i < copy.length; i++)
    if (typeof copy[i] !== 'string') throw invalidArgument('natsorted', `values[${i}]`, 'a string', copy[i]);
  // each key once, not once per comparison (n log n keys of long names took seconds)
  const keyed = (copy as string[]).map((s) => ({ s, key: natKey(s) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  return keyed.map((e) => e.s);
}

/**
 * The items of `list`, at most `max`: an endless generator filled the heap and crashed the process,
 * and an iterator that fails (`[Symbol.iterator]` returning no iterator) threw a plain TypeError.
 */
function collect(list: Iterable<unknown>, max: number): unknown[] {
  const items: unknown[] = [];
  try {
    for (const item of list) {
      if (items.length === max)
        throw invalidArgument('natsorted', 'values', `at most ${max} strings`, 'an iterable with more');
      items.push(item);
    }
  } catch (e) {
    if (e instanceof CoreError) throw e;
    throw new CoreError('INVALID_ARGUMENT', 'natsorted: values could not be iterated (see the cause)', {
      cause: e,
    });
  }
  return items;
}

function tooMany(got: string): CoreError {
  return invalidArgument('natsorted', 'values', `at most ${MAX_SORTED} strings`, got);
}
