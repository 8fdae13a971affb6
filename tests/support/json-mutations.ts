// Seeded hostile variants of a JSON document, for the parsers' boundary tests in every package: each variant
// replaces or deletes one to three members anywhere in the document with a value of the wrong type, range or
// size, the way a broken or hostile server or file gets them wrong. Deterministic for a seed, so a failure names
// the variant that caused it.

/** Values a hostile document puts where a parser expects something else. */
export const HOSTILE_JSON_VALUES: readonly unknown[] = [
  null,
  0,
  -1,
  0.5,
  -0,
  2 ** 53 + 2,
  1e308,
  -1e308,
  '',
  'x',
  '1e999',
  'NaN',
  '-Infinity',
  '2020-13-45T99:00:00Z',
  '9999-12-31T23:59:59Z',
  '__proto__',
  true,
  [],
  [null],
  [1, 2],
  [[[]]],
  {},
  { a: 1 },
  { length: 1e9 },
  // what JSON.parse makes of a document that shadows methods: String() and template literals of it throw
  { toString: 1, valueOf: 1 },
  'é'.repeat(300_000),
  nested(2000),
];

function nested(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** One hostile variant: the document and what was done to it (`a.b[2] = {}`, `delete a.c`). */
export interface JsonMutation {
  doc: unknown;
  what: string;
}

type Path = (string | number)[];

function pathsOf(value: unknown, at: Path, out: Path[], depth: number): void {
  if (at.length > 0) out.push(at);
  if (depth > 64 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) for (const [i, v] of value.entries()) pathsOf(v, [...at, i], out, depth + 1);
  else for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out, depth + 1);
}

function label(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(root)';
}

/** The seeded generator behind {@link jsonMutations}, for byte-level fuzzing too. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` hostile variants of `doc` (a JSON value: it is cloned, never changed). Each changes one to three
 * members: deleted (one in six) or set to one of {@link HOSTILE_JSON_VALUES} (or `extra` values).
 */
export function* jsonMutations(
  doc: unknown,
  count: number,
  seed = 1,
  extra: readonly unknown[] = [],
): Generator<JsonMutation> {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const values = [...HOSTILE_JSON_VALUES, ...extra];
  for (let n = 0; n < count; n++) {
    const copy = structuredClone(doc);
    const paths: Path[] = [];
    pathsOf(copy, [], paths, 0);
    if (paths.length === 0) return;
    const done: string[] = [];
    const edits = 1 + Math.floor(random() * 3);
    for (let e = 0; e < edits; e++) {
      const path = pick(paths);
      let parent = copy as Record<string | number, unknown>;
      for (const key of path.slice(0, -1)) {
        const next = parent?.[key];
        if (next === null || typeof next !== 'object') break;
        parent = next as Record<string | number, unknown>;
      }
      const key = path[path.length - 1] as string | number;
      if (parent === null || typeof parent !== 'object' || !(key in parent)) continue;
      if (random() < 1 / 6) {
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
        done.push(`delete ${label(path)}`);
      } else {
        const value = structuredClone(pick(values));
        parent[key] = value;
        const shown = JSON.stringify(value) ?? String(value);
        done.push(`${label(path)} = ${shown.length > 40 ? `${shown.slice(0, 37)}...` : shown}`);
      }
    }
    yield { doc: copy, what: done.join('; ') };
  }
}

/**
 * Run `parse` and say how it ended: `'ok'`, or the `code` of an error of the package's own class. Any other
 * error (a `TypeError` from reading a member of `null`, a `RangeError`) is rethrown with `what` in front, so the
 * test fails naming the variant.
 */
export async function outcomeOf(
  what: string,
  parse: () => unknown,
  errorClass: abstract new (...args: never[]) => Error & { code: string },
): Promise<string> {
  try {
    await parse();
    return 'ok';
  } catch (e) {
    if (e instanceof errorClass) return e.code;
    const message = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    throw new Error(`${what}: ${message}`, { cause: e });
  }
}

/**
 * The error of the package's own class that `f` throws; any other error, or none, fails the test saying what
 * happened instead.
 */
export function typedError<E extends Error>(
  f: () => unknown,
  errorClass: abstract new (...args: never[]) => E,
): E {
  try {
    f();
  } catch (e) {
    if (e instanceof errorClass) return e;
    throw new Error(
      `expected a ${errorClass.name}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`,
    );
  }
  throw new Error(`expected a ${errorClass.name}, nothing was thrown`);
}

/** Options of {@link tallyOutcomes}. */
export interface TallyOptions<T> {
  /** Checks an 'ok' result against the documented invariants (throw or `expect` to fail, naming `what`). */
  check?: (result: T, what: string) => void;
  /** Error codes the variants may end in; any other code fails the test naming the variant. */
  allowed?: readonly string[];
}

/**
 * Run every variant through `run` and count how each ended ('ok' or the typed error's code), as
 * {@link outcomeOf} classifies them; 'ok' results go through `check`.
 */
export async function tallyOutcomes<T>(
  mutations: Iterable<JsonMutation>,
  errorClass: abstract new (...args: never[]) => Error & { code: string },
  run: (doc: any, what: string) => T | Promise<T>,
  options: TallyOptions<T> = {},
): Promise<Map<string, number>> {
  const tally = new Map<string, number>();
  for (const { doc, what } of mutations) {
    let result: T | undefined;
    const outcome = await outcomeOf(
      what,
      async () => {
        result = await run(doc, what);
      },
      errorClass,
    );
    if (options.allowed && outcome !== 'ok' && !options.allowed.includes(outcome))
      throw new Error(`${what}: ended in ${outcome}, not one of ${options.allowed.join(', ')}`);
    if (outcome === 'ok') options.check?.(result as T, what);
    tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
  }
  return tally;
}

/** Argument lists JavaScript callers get wrong (the export sweeps' probe): nothing, one hostile value, pairs. */
export const HOSTILE_ARGUMENT_SHAPES: readonly unknown[][] = [
  [],
  [undefined],
  [null],
  [{}],
  ['x'],
  [42],
  [[]],
  [{}, {}],
  ['x', 'x'],
  [Number.NaN, Number.NaN],
  [{ a: 1 }, null],
  [new Uint8Array(4)],
  [() => 1],
];

/** Values the export sweeps put in place of one argument of a valid call. */
export const HOSTILE_ARGUMENT_VALUES: readonly unknown[] = [
  undefined,
  null,
  {},
  'x',
  '',
  42,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 53,
  [],
  [null],
  [{}],
  { length: 1e9 },
  new Uint8Array(4),
  () => 1,
  true,
];
