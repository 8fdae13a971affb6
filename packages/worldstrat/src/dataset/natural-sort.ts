// Natural sort with Python natsort's default semantics (`natsort.natsorted`, alg INT|UNSIGNED): a string is split
// into alternating text and unsigned-integer chunks; text chunks compare by code unit (so 'S' < 'm'), integer
// chunks numerically; a string that is a prefix of another sorts first. Upstream orders revisits and scenes so.

type Chunk = string | number;

function chunks(s: string): Chunk[] {
  const parts = s.split(/(\d+)/);
  const out: Chunk[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 1) out.push(Number(parts[i]));
    else if (parts[i] !== '' || i === 0) out.push(parts[i]);
    else if (i < parts.length - 1) out.push('');
  }
  return out;
}

/**
 * Compare two strings the way `natsort.natsorted` orders them.
 *
 * @param a - first string.
 * @param b - second string.
 * @returns negative, zero or positive, like `Array.prototype.sort` expects.
 * @example
 * ```ts
 * ['a-10', 'a-2', 'a-1'].sort(naturalCompare); // ['a-1', 'a-2', 'a-10']
 * ```
 */
export function naturalCompare(a: string, b: string): number {
  const ca = chunks(a);
  const cb = chunks(b);
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i];
    const y = cb[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    const sx = String(x);
    const sy = String(y);
    return sx < sy ? -1 : sx > sy ? 1 : 0;
  }
  return ca.length - cb.length;
}

/**
 * A naturally sorted copy (stable for equal keys).
 *
 * @param values - strings to sort.
 * @returns a new sorted array.
 * @example
 * ```ts
 * naturalSort(['AOI-1-L2A_data.tiff', 'AOI-10-L2A_data.tiff', 'AOI-2-L2A_data.tiff']);
 * ```
 */
export function naturalSort(values: readonly string[]): string[] {
  return [...values].sort(naturalCompare);
}
