// How every package quotes a caller's or a document's value in an error message: short, and never a second
// error while quoting (String() of a parsed object whose `toString` member is not a function throws; JSON of a
// BigInt or a cycle throws; a hostile document can hold megabytes in one string).

/**
 * A short rendering of any value for messages: numbers as `String(n)` (`NaN`, `Infinity`), BigInts with an `n`,
 * everything else as JSON, cut to `max` characters with `...`; values JSON cannot write (undefined, functions,
 * cycles) by their kind.
 * @param value - anything.
 * @param max - longest result (≥ 4; default 60, also for a max that is not a number).
 * @returns the rendering; never throws.
 * @example
 * describeValue({ toString: 1 }); // '{"toString":1}'
 * describeValue('x'.repeat(100), 10); // '"xxxxxx...'
 */
export function describeValue(value: unknown, max = 60): string {
  let text: string | undefined;
  try {
    if (typeof value === 'number') text = String(value);
    else if (typeof value === 'bigint') text = `${value}n`;
    else if (typeof value === 'symbol') text = value.toString();
    else text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined)
    text =
      value === undefined || typeof value === 'function'
        ? typeof value
        : Object.prototype.toString.call(value);
  // a max that is not a number (a caller's mistake) must not make the message renderer throw
  const limit = typeof max === 'number' && !Number.isNaN(max) ? Math.max(4, max) : 60;
  return text.length > limit ? `${text.slice(0, limit - 3)}...` : text;
}
