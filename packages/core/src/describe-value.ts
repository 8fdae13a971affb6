// How every package quotes a caller's or a document's value in an error message: short, and never a second
// error while quoting (String() of a parsed object whose `toString` member is not a function throws; JSON of a
// BigInt or a cycle throws; a revoked Proxy or a throwing trap throws on any look; a hostile document can hold
// megabytes in one string or millions of array items, which `JSON.stringify` would write out in full just to
// keep 60 characters of them).

/**
 * A short rendering of any value for messages: numbers as `String(n)` (`NaN`, `Infinity`), BigInts with an `n`,
 * everything else as JSON, cut to `max` characters with `...`; values JSON cannot write (undefined, functions,
 * cycles) by their kind. Only the first `max` characters are ever written, so a huge value costs no more
 * than a small one.
 * @param value - anything.
 * @param max - longest result (≥ 4; default 60, also for a max that is not a number).
 * @returns the rendering; never throws.
 * @example
 * describeValue({ toString: 1 }); // '{"toString":1}'
 * describeValue('x'.repeat(100), 10); // '"xxxxxx...'
 */
export function describeValue(value: unknown, max = 60): string {
  // a max that is not a number (a caller's mistake) must not make the message renderer throw
  const limit = typeof max === 'number' && !Number.isNaN(max) ? Math.max(4, Math.floor(max)) : 60;
  let text: string;
  let cut = false;
  try {
    if (typeof value === 'number') text = String(value);
    else if (typeof value === 'bigint') text = `${value}n`;
    else if (typeof value === 'symbol') text = value.toString();
    else {
      const json = new BoundedJson(limit);
      text = json.render(value);
      cut = json.full;
    }
  } catch {
    text = kindOf(value);
  }
  return text.length > limit || cut ? cutTo(text, limit) : text;
}

/** `text` cut to `limit` characters ending in `...`, never splitting a surrogate pair. */
function cutTo(text: string, limit: number): string {
  let end = Math.min(text.length, limit - 3);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}...`;
}

/** What JSON cannot write, by its kind: `undefined`, `function`, or the object's tag (`object` for a revoked Proxy). */
function kindOf(value: unknown): string {
  if (value === undefined || typeof value === 'function') return typeof value;
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return typeof value;
  }
}

/** Thrown inside {@link BoundedJson} once enough values are looked at: the rest would be cut anyway. */
const FULL = Symbol('full');

/** Values looked at (beyond `max`) before {@link BoundedJson} stops walking a value. */
const MAX_VISITS = 10_000;

/** Nesting deeper than this is a value JSON cannot write (`JSON.stringify` overflowed the stack on it). */
const MAX_DEPTH = 1000;

/**
 * `JSON.stringify` (no replacer, no indent) that keeps only the first `limit` + 1 characters and stops walking
 * after {@link MAX_VISITS} values, saying so in `full`: the text kept is the start of what `JSON.stringify` would
 * write. A cycle, a BigInt or nesting past {@link MAX_DEPTH} met before then throws, as `JSON.stringify` does.
 */
class BoundedJson {
  full = false;
  private parts: string[] = [];
  private length = 0;
  private visits = 0;
  private readonly maxVisits: number;
  private readonly stack = new Set<object>();

  constructor(private readonly limit: number) {
    this.maxVisits = MAX_VISITS + limit;
  }

  render(value: unknown): string {
    try {
      const written = this.property({ '': value }, '');
      if (!written) return kindOf(value);
    } catch (e) {
      if (e !== FULL) throw e;
      this.full = true;
    }
    return this.parts.join('');
  }

  private write(text: string): void {
    if (this.full) return;
    // only the characters that can show are kept (a long string is quoted from its start only)
    this.parts.push(text.length > this.limit ? text.slice(0, this.limit + 1) : text);
    this.length += text.length;
    if (this.length > this.limit) this.full = true;
  }

  private visit(): void {
    if (++this.visits > this.maxVisits) throw FULL;
  }

  /** SerializeJSONProperty: writes holder[key] and returns true, or returns false for a value JSON leaves out. */
  private property(holder: object, key: string): boolean {
    let value: unknown = (holder as Record<string, unknown>)[key];
    if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') value = toJSON.call(value, key);
    }
    value = unboxed(value);
    if (value === null) this.write('null');
    else if (typeof value === 'boolean') this.write(String(value));
    else if (typeof value === 'string') this.write(quoted(value, this.limit));
    else if (typeof value === 'number') this.write(Number.isFinite(value) ? String(value) : 'null');
    else if (typeof value === 'bigint') throw new TypeError('BigInt in JSON');
    else if (typeof value === 'object') this.object(value);
    else return false;
    return true;
  }

  private object(value: object): void {
    if (this.stack.has(value)) throw new TypeError('cyclic value');
    if (this.stack.size >= MAX_DEPTH) throw new RangeError('nested too deep');
    this.stack.add(value);
    if (Array.isArray(value)) {
      this.write('[');
      const n = Number(value.length);
      for (let i = 0; i < n; i++) {
        this.visit();
        if (i > 0) this.write(',');
        if (!this.property(value, String(i))) this.write('null');
      }
      this.write(']');
    } else {
      this.write('{');
      let first = true;
      for (const key of enumerableKeys(value, this.limit)) {
        this.visit();
        const start = this.parts.length;
        const before = this.length;
        const wasFull = this.full;
        this.write(`${first ? '' : ','}${quoted(key, this.limit)}:`);
        if (this.property(value, key)) first = false;
        else {
          // a member JSON leaves out: take its name back
          this.parts.length = start;
          this.length = before;
          this.full = wasFull;
        }
      }
      this.write('}');
    }
    this.stack.delete(value);
  }
}

/** A Number, String, Boolean or BigInt wrapper object as its primitive (as JSON writes it); anything else as is. */
function unboxed(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  for (const unwrap of [
    Number.prototype.valueOf,
    String.prototype.valueOf,
    Boolean.prototype.valueOf,
    BigInt.prototype.valueOf,
  ]) {
    try {
      return (unwrap as () => unknown).call(value);
    } catch {
      // not this wrapper
    }
  }
  return value;
}

/** The JSON string of `text`, of its first `limit` + 1 characters only when it is longer. */
function quoted(text: string, limit: number): string {
  return JSON.stringify(text.length > limit ? text.slice(0, limit + 1) : text);
}

/**
 * The own enumerable string keys JSON writes, in its order; a typed array's indices are counted out rather than
 * listed (its millions of keys would be made as strings first), since only the first few are ever written.
 */
function enumerableKeys(value: object, limit: number): Iterable<string> {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const n = (value as unknown as ArrayLike<unknown>).length;
    if (n > limit) return indices(n);
  }
  return Object.keys(value);
}

function* indices(n: number): Generator<string> {
  for (let i = 0; i < n; i++) yield String(i);
}
