// Natural sort like Python natsort (the release orders revisits and scenes with it).
import { checkIterable, checkString, invalidArgument } from './internal/check-arguments.js';

/**
 * Compares two strings like Python's `natsort.natsorted` with its default algorithm (`ns.INT | ns.UNSIGNED`):
 * each string is split into maximal runs of ASCII digits (compared as integers) and the text between them
 * (compared by code point); a key that is a prefix of the other sorts first.
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
  const ka = natKey(a);
  const kb = natKey(b);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const x = ka[i];
    const y = kb[i];
    if (i % 2 === 1) {
      const c = compareDigits(x, y);
      if (c !== 0) return c;
    } else if (x !== y) {
      return codePointCompare(x, y);
    }
  }
  return ka.length - kb.length;
}

function natKey(s: string): string[] {
  const parts = s.split(/(\d+)/);
  // natsort drops empty strings, except that a key starting with a number keeps a leading ''.
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
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

/**
 * Stable natural sort (Python `natsort.natsorted` default); equal keys keep their input order.
 * @param values strings to sort (not modified).
 * @returns a sorted copy.
 * @throws {CoreError} `INVALID_ARGUMENT` when `values` is not an array (or another iterable) of strings.
 * @example
 * natsorted(['Landcover-10', 'ASMSpotter-2', 'Amnesty POI-1']); // ['ASMSpotter-2', 'Amnesty POI-1', 'Landcover-10']
 */
export function natsorted(values: readonly string[]): string[] {
  const copy = [...checkIterable('natsorted', 'values', values)];
  for (let i = 0; i < copy.length; i++)
    if (typeof copy[i] !== 'string') throw invalidArgument('natsorted', `values[${i}]`, 'a string', copy[i]);
  return copy.sort(compareNatural);
}
