// Hostile function arguments for every export of eo-fetch's public entries (src/index.ts and src/node.ts): the
// shapes JavaScript callers, JSON configs and other tools hand over (nothing, null, {}, a string, a number, [],
// NaN, bytes, a function, pairs of these). Every call must end in a result or an EoFetchError, never a plain
// TypeError/RangeError and never a hang; the sweep iterates the modules' exports, so a new export is covered
// without editing this file. Crafted cases pin the fixed checks to their code and message. No real server is
// contacted: `fetch` is replaced for the sweep by one that refuses every host but 127.0.0.1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as api from '../src/index.js';
import * as nodeApi from '../src/node.js';

const { EoFetchError } = api;

/** An object that refers to itself: `JSON.stringify` throws on it (a message must not be built that way). */
const CYCLIC: Record<string, unknown> = {};
CYCLIC.self = CYCLIC;

/** The probe's argument lists, plus a few longer ones that reach the later parameters. */
const SHAPES: readonly (readonly unknown[])[] = [
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
  ['x', 'x', 'x'],
  [{}, {}, {}],
  [[], null, 42],
  [[], [], 'x', Number.NaN],
  // values no message may interpolate or JSON-encode (each was a TypeError somewhere)
  [CYCLIC],
  [10n],
  [Symbol('s')],
  [[CYCLIC]],
  [[10n]],
  ['x', Symbol('s')],
  [[8, 47, 8.01, 47.01], Symbol('s')],
  [[8, 47, 8.01, 47.01], 10, { maxSidePx: Symbol('s') }],
  ['A', Symbol('s'), 'L2A'],
  ['A', 1, Symbol('s')],
];

/** Longest a call may take: every hostile argument must be refused (or answered) quickly. */
const CALL_LIMIT_MS = 3_000;

/** Exported functions (not classes, which the crafted cases cover through their constructors). */
function functionsOf(mod: Record<string, unknown>): [string, (...args: unknown[]) => unknown][] {
  return Object.entries(mod).filter(
    (e): e is [string, (...args: unknown[]) => unknown] => typeof e[1] === 'function' && !/^[A-Z]/.test(e[0]),
  );
}

/** `'ok'` or the EoFetchError's code; anything else (a plain error, a hang) is thrown naming the call. */
async function outcome(
  name: string,
  args: readonly unknown[],
  call = (nodeApi as Record<string, unknown>)[name] as (...a: unknown[]) => unknown,
): Promise<string> {
  const what = `${name}(${args.map(show).join(', ')})`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const r = call(...args);
    if (r && typeof (r as Promise<unknown>).then === 'function') {
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${CALL_LIMIT_MS} ms`)), CALL_LIMIT_MS);
      });
      await Promise.race([r, late]);
    }
    return 'ok';
  } catch (e) {
    if (e instanceof EoFetchError) return e.code;
    // a string path naming no file: the file system's answer, not a misread argument
    // (raster-io's reader wraps it in its own typed error, with the file system's error as the cause)
    if (typeof (e as { syscall?: unknown })?.syscall === 'string') return 'io';
    if (typeof (e as { cause?: { syscall?: unknown } })?.cause?.syscall === 'string') return 'io';
    throw new Error(`${what}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

function show(v: unknown): string {
  if (typeof v === 'function') return '() => 1';
  if (typeof v === 'symbol' || typeof v === 'bigint') return String(v);
  if (v instanceof Uint8Array) return 'Uint8Array';
  if (typeof v === 'number' || v === undefined) return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return Object.prototype.toString.call(v); // cyclic, or holding a BigInt
  }
}

describe('every exported function refuses hostile arguments with an EoFetchError', () => {
  const contacted: string[] = [];
  let dir = '';
  let cwd = '';
  const saved: Record<string, string | undefined> = {};

  beforeAll(() => {
    // Paths like 'x' resolve inside a scratch folder, credentials are looked for in an empty home, and fetch
    // only reaches 127.0.0.1 (no test here needs a real server to start).
    dir = mkdtempSync(join(tmpdir(), 'eo-fetch-hostile-args-'));
    cwd = process.cwd();
    process.chdir(dir);
    for (const k of ['HOME', 'SH_CLIENT_ID', 'SH_CLIENT_SECRET']) saved[k] = process.env[k];
    process.env.HOME = dir;
    delete process.env.SH_CLIENT_ID;
    delete process.env.SH_CLIENT_SECRET;
    vi.stubGlobal('fetch', async (input: string | URL | Request) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      if (url.hostname !== '127.0.0.1') {
        contacted.push(url.href);
        return new Response('refused by the test', { status: 400 });
      }
      return new Response('{}', { status: 404 });
    });
  });

  afterAll(() => {
    vi.unstubAllGlobals();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  const exported = new Map([...functionsOf(api), ...functionsOf(nodeApi)]);

  it('covers both entries', () => {
    expect(exported.size).toBeGreaterThan(50);
    for (const [name] of functionsOf(api)) expect(exported.has(name)).toBe(true);
  });

  for (const name of [...exported.keys()].sort()) {
    it(name, async () => {
      const failures: string[] = [];
      for (const args of SHAPES) await outcome(name, args).catch((e: Error) => failures.push(e.message));
      expect(failures).toEqual([]);
    });
  }

  // Clients and writers: their constructors must refuse hostile options too. Error classes are skipped: they
  // are built by this package from values it has checked, not called with callers' arguments.
  const classes = Object.entries(nodeApi).filter(
    ([name, v]) =>
      typeof v === 'function' && /^[A-Z]/.test(name) && !(v.prototype instanceof Error) && v !== EoFetchError,
  ) as [string, new (...args: unknown[]) => unknown][];

  it('covers the client classes', () => {
    expect(classes.map(([n]) => n).sort()).toEqual([
      'DownloadEngine',
      'ManifestWriter',
      'SentinelHubClient',
      'StacClient',
    ]);
  });

  /** A valid first argument, so the hostile shapes also reach the options of each constructor. */
  const VALID_FIRST: Record<string, unknown> = {
    StacClient: 'http://127.0.0.1:9/stac',
    SentinelHubClient: { clientId: 'id', clientSecret: 'secret' },
    ManifestWriter: 'manifest.jsonl',
    DownloadEngine: {},
  };

  for (const [name, Ctor] of classes) {
    it(`new ${name}`, async () => {
      const failures: string[] = [];
      const lists = [...SHAPES, ...SHAPES.map((args) => [VALID_FIRST[name], ...args])];
      for (const args of lists)
        await outcome(`new ${name}`, args, (...a) => new Ctor(...a)).catch((e: Error) =>
          failures.push(e.message),
        );
      expect(failures).toEqual([]);
    });
  }

  it('never contacted a host other than 127.0.0.1', () => {
    expect(contacted).toEqual([]);
  });
});

/** The EoFetchError `f` throws (or its promise rejects with), with its code and message. */
async function expectError(
  f: () => unknown,
  code: string,
  message: RegExp,
): Promise<InstanceType<typeof EoFetchError>> {
  let e: unknown;
  try {
    await f();
  } catch (err) {
    e = err;
  }
  if (!(e instanceof EoFetchError))
    throw new Error(
      `expected an EoFetchError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`,
    );
  expect([e.code, e.message]).toEqual([code, expect.stringMatching(message)]);
  return e;
}

describe('the checks name the function, the argument and the value', () => {
  it('retry helpers', async () => {
    await expectError(
      () => api.backoffDelay(0, undefined as never, Math.random),
      'INVALID_ARGUMENT',
      /^backoffDelay: policy must be an object, got undefined$/,
    );
    await expectError(
      () => api.backoffDelay(Number.NaN, api.DEFAULT_RETRY_POLICY, Math.random),
      'INVALID_ARGUMENT',
      /^backoffDelay: attempt must be a finite number ≥ 0, got NaN$/,
    );
    await expectError(
      () => api.backoffDelay(1, api.DEFAULT_RETRY_POLICY, 'x' as never),
      'INVALID_ARGUMENT',
      /^backoffDelay: random must be a function, got "x"$/,
    );
    await expectError(
      () => api.parseRetryAfter(42 as never),
      'INVALID_ARGUMENT',
      /^parseRetryAfter: value must be a string, got 42$/,
    );
    await expectError(
      () => api.redactUrl(null as never),
      'INVALID_ARGUMENT',
      /^redactUrl: url must be a string, got null$/,
    );
    await expectError(
      () => api.isRetryable(null as never, api.DEFAULT_RETRY_POLICY),
      'INVALID_ARGUMENT',
      /^isRetryable: err must be an object, got null$/,
    );
    // what still works: a null policy for an error that is not an HTTP one, an undefined policy member
    expect(api.isRetryable(new EoFetchError('TIMEOUT', 't'), null as never)).toBe(true);
    expect(api.parseRetryAfter(null)).toBeUndefined();
    expect(await api.withRetry(async () => 7, { policy: { retries: undefined } })).toBe(7);
  });

  it('withRetry and requestJson refuse at once what would retry for seconds or forever', async () => {
    const started = Date.now();
    await expectError(
      () => api.withRetry(undefined as never),
      'INVALID_ARGUMENT',
      /^withRetry: attempt must be a function, got undefined$/,
    );
    await expectError(
      () => api.withRetry(async () => 1, { policy: { retries: Number.NaN } }),
      'INVALID_ARGUMENT',
      /^withRetry: options\.policy\.retries must be an integer ≥ 0, got NaN$/,
    );
    await expectError(
      () => api.withRetry(async () => 1, { policy: { timeoutMs: 1e12 } }),
      'INVALID_ARGUMENT',
      /^withRetry: options\.policy\.timeoutMs must be a number of ms in \(0, 2147483647\], got 1000000000000$/,
    );
    await expectError(
      () => api.requestJson('x'),
      'INVALID_ARGUMENT',
      /^requestJson: url must be an absolute URL, got "x"$/,
    );
    await expectError(
      () => api.requestJson(42 as never),
      'INVALID_ARGUMENT',
      /^requestJson: url must be a string, got 42$/,
    );
    await expectError(
      () => api.requestJson('http://127.0.0.1:9/', {}, { signal: 'x' as never }),
      'INVALID_ARGUMENT',
      /^requestJson: options\.signal must be an AbortSignal, got "x"$/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('response helpers', async () => {
    await expectError(
      () => api.readTextBounded(null as never, 'u', 1),
      'INVALID_ARGUMENT',
      /^readTextBounded: res must be a fetch Response, got null$/,
    );
    await expectError(
      () => api.readTextBounded(new Response('x'), 'u', Number.NaN),
      'INVALID_ARGUMENT',
      /^readTextBounded: maxBytes must be a number ≥ 0, got NaN$/,
    );
    await expectError(
      () => api.httpErrorFromResponse({} as never, 'u'),
      'INVALID_ARGUMENT',
      /^httpErrorFromResponse: res must be a fetch Response, got \{\}$/,
    );
    await expectError(
      () => api.scrub('text', 42 as never),
      'INVALID_ARGUMENT',
      /^scrub: secrets must be an array, got 42$/,
    );
    expect(api.scrub('a secret', new Set(['secret']) as never)).toBe('a ***');
    // a secret that is no string: its cache key (JSON) threw a TypeError
    await expectError(
      () => api.scrub('text', ['ok-secret', CYCLIC] as never),
      'INVALID_ARGUMENT',
      /^scrub: secrets\[1\] must be a string, got \[object Object\]$/,
    );
    await expectError(
      () => api.scrub('text', [10n] as never),
      'INVALID_ARGUMENT',
      /^scrub: secrets\[0\] must be a string, got 10n$/,
    );
  });

  it('matching and tables', async () => {
    await expectError(
      () => api.matchRevisits(42 as never, []),
      'INVALID_ARGUMENT',
      /^matchRevisits: aois must be an array, got 42$/,
    );
    await expectError(
      () => api.matchRevisits([], null as never),
      'INVALID_ARGUMENT',
      /^matchRevisits: catalogue must be an array of entries/,
    );
    await expectError(
      () => api.matchRevisits([], [], { minCoverage: 'x' as never }),
      'INVALID_ARGUMENT',
      /^matchRevisits: options\.minCoverage must be a finite number, got "x"$/,
    );
    await expectError(
      () => api.rerankByCloudFraction({} as never, () => 0),
      'INVALID_ARGUMENT',
      /^rerankByCloudFraction: result\.byAoi must be a Map, got undefined$/,
    );
    await expectError(
      () => api.cloudFractionFromScl({ length: 1e9 } as never),
      'INVALID_ARGUMENT',
      /^cloudFractionFromScl: scl must be an array or typed array of numbers/,
    );
    await expectError(
      () => api.revisitsToCsv([null] as never),
      'INVALID_ARGUMENT',
      /^revisitsToCsv: revisits\[0\] must be an object, got null$/,
    );
    await expectError(
      () => api.revisitsToTable('x' as never),
      'INVALID_ARGUMENT',
      /^revisitsToTable: revisits must be an array, got "x"$/,
    );
    expect(api.cloudFractionFromClm(Uint8Array.of(0, 1, 255))).toBe(0.5);
  });

  it('evalscripts, STAC helpers and providers', async () => {
    await expectError(
      () => api.spotProcessRequest('c', [0, 0, 1, 1], 'RGB' as never, 10),
      'INVALID_ARGUMENT',
      /^spotProcessRequest: kind must be "RGBN" or "PAN", got "RGB"$/,
    );
    await expectError(
      () => api.spotEvalscript('x' as never),
      'INVALID_ARGUMENT',
      /^spotEvalscript: kind must be "RGBN" or "PAN", got "x"$/,
    );
    await expectError(
      () => api.spotProcessRequest('c', 42 as never, 'PAN', 10),
      'INVALID_ARGUMENT',
      /^spotProcessRequest: bbox must be an array or typed array/,
    );
    await expectError(
      () => api.s2BandsEvalscript(null as never),
      'INVALID_ARGUMENT',
      /^s2BandsEvalscript: bands must be an array, got null$/,
    );
    await expectError(
      () => api.searchBody(null as never),
      'INVALID_ARGUMENT',
      /^searchBody: params must be an object, got null$/,
    );
    await expectError(
      () => api.nextRequest({} as never, {} as never),
      'INVALID_ARGUMENT',
      /^nextRequest: prev\.url must be a string, got undefined$/,
    );
    await expectError(
      () => api.bandAsset({} as never, undefined as never, 'B04'),
      'INVALID_ARGUMENT',
      /^bandAsset: provider must be an object, got undefined$/,
    );
    await expectError(
      () => api.bandAsset({} as never, api.earthSearch, 'toString' as never),
      'UNKNOWN_BAND',
      /has no asset for band toString$/,
    );
    await expectError(
      () => api.registerStacProvider({ id: '' } as never),
      'INVALID_ARGUMENT',
      /^registerStacProvider: provider\.id must be a non-empty string, got ""$/,
    );
    await expectError(
      () => api.createPlanetaryComputerSigner(null as never),
      'INVALID_ARGUMENT',
      /^createPlanetaryComputerSigner: options must be an object, got null$/,
    );
    await expectError(
      () => api.sleep({} as never),
      'INVALID_ARGUMENT',
      /^sleep: ms must be a number, got \{\}$/,
    );
    // messages that JSON-encoded or interpolated the value threw a TypeError instead (cyclic, BigInt, Symbol)
    await expectError(
      () => api.aoiGrid(CYCLIC as never),
      'INVALID_ARGUMENT',
      /^bounds \[object Object\] must be 4 finite numbers$/,
    );
    await expectError(
      () => api.aoiPixelSize([8, 47, 8.01, 10n] as never),
      'INVALID_ARGUMENT',
      /^bounds \[object Array\] must be 4 finite numbers$/,
    );
    await expectError(
      () => api.aoiGrid([8, 47, 8.01, 47.01], Symbol('m') as never),
      'INVALID_ARGUMENT',
      /^resolution Symbol\(m\) m must be a positive number$/,
    );
    await expectError(
      () => api.aoiGrid([8, 47, 8.01, 47.01], 10, { maxSidePx: 10n as never }),
      'INVALID_ARGUMENT',
      /^maxSidePx must be a positive integer, got 10n$/,
    );
    await expectError(
      () => api.getStacProvider(CYCLIC as never),
      'INVALID_ARGUMENT',
      /^getStacProvider: id must be a string, got \[object Object\]$/,
    );
    await expectError(
      () => api.getStacProvider('constructor'),
      'UNKNOWN_PROVIDER',
      /^no STAC provider "constructor"/,
    );
    await expectError(
      () => api.lrRevisitPaths('A', Symbol('n') as never, 'L2A'),
      'INVALID_ARGUMENT',
      /^revisit number must be an integer ≥ 1, got Symbol\(n\)$/,
    );
    await expectError(
      () => api.lrRevisitPaths('A', 1, Symbol('l') as never),
      'INVALID_ARGUMENT',
      /^level must be "L1C" or "L2A", got Symbol\(l\)$/,
    );
    await expectError(
      () => api.s2LayerEvalscript(Symbol('l') as never),
      'INVALID_ARGUMENT',
      /^unknown layer Symbol\(l\); use one of CLM, CLP, dataMask/,
    );
    await expectError(
      () => api.s2LayerEvalscript('constructor' as never),
      'INVALID_ARGUMENT',
      /^unknown layer "constructor"; use one of CLM/,
    );
    // the estimate returned NaN, or a number for sizes that are no sizes
    for (const [args, what] of [
      [[Number.NaN, 100, 3, true], /^estimateProcessingUnits: width must be an integer ≥ 1, got NaN$/],
      [[100, -5, 3, true], /^estimateProcessingUnits: height must be an integer ≥ 1, got -5$/],
      [['100', 100, 3, true], /^estimateProcessingUnits: width must be an integer ≥ 1, got "100"$/],
      [[100, 100, 0, true], /^estimateProcessingUnits: inputBands must be an integer ≥ 1, got 0$/],
      [[100, 100, 3, 'yes'], /^estimateProcessingUnits: float32 must be true or false, got "yes"$/],
    ] as const)
      await expectError(
        () => api.estimateProcessingUnits(...(args as unknown as [number, number, number, boolean])),
        'INVALID_ARGUMENT',
        what,
      );
    expect(api.estimateProcessingUnits(512, 512, 3, true)).toBe(2);
  });

  it('client constructors check their options', async () => {
    await expectError(
      () => new api.StacClient('http://127.0.0.1:9/', null as never),
      'INVALID_ARGUMENT',
      /^StacClient: options must be an object, got null$/,
    );
    await expectError(
      () => new api.StacClient('http://127.0.0.1:9/', { onMissingConformance: 'errors' as never }),
      'INVALID_ARGUMENT',
      /^StacClient: options\.onMissingConformance must be one of "warn", "error", "ignore", got "errors"$/,
    );
    await expectError(
      () => new api.SentinelHubClient({ clientId: 'a', clientSecret: 'b' }, { baseUrl: 42 as never }),
      'INVALID_ARGUMENT',
      /^SentinelHubClient: options\.baseUrl must be a string, got 42$/,
    );
    await expectError(
      () => new nodeApi.DownloadEngine({ retries: -1 }),
      'INVALID_ARGUMENT',
      /^DownloadEngine: options\.retries must be an integer ≥ 0, got -1$/,
    );
    await expectError(
      () => new nodeApi.ManifestWriter(42 as never),
      'INVALID_ARGUMENT',
      /^ManifestWriter: manifestPath must be a non-empty string, got 42$/,
    );
  });

  it('a URL with credentials that does not parse is refused up front, redacted, with no cause holding it', async () => {
    // a typo: the port is out of range, so no URL parser splits the credentials off
    const bad = 'https://alice:S3cretPw@example.com:99999/data/file.tif?sig=SASSIG123';
    const leaks = (e: unknown) => /S3cretPw|SASSIG123/.test(inspect(e, { depth: 8 }));
    const fetchCalls: string[] = [];
    const fetchSpy = async (u: string) => {
      fetchCalls.push(u);
      return new Response('{}');
    };
    const rj = await expectError(
      () => api.requestJson(bad, {}, { fetch: fetchSpy }),
      'INVALID_ARGUMENT',
      /^requestJson: url must be an absolute URL, got "https:\/\/\*\*\*@example\.com:99999\/data\/file\.tif\?sig=\*\*\*"$/,
    );
    expect(leaks(rj)).toBe(false);
    for (const option of ['baseUrl', 'tokenUrl'] as const) {
      const sh = await expectError(
        () => new api.SentinelHubClient({ clientId: 'a', clientSecret: 'b' }, { [option]: bad }),
        'INVALID_ARGUMENT',
        new RegExp(
          `^SentinelHub ${option} must be an http\\(s\\) URL, got "https://\\*\\*\\*@example\\.com:99999/data/file\\.tif\\?sig=\\*\\*\\*"$`,
        ),
      );
      expect(leaks(sh)).toBe(false);
    }
    const dir = mkdtempSync(join(tmpdir(), 'eo-fetch-badurl-'));
    try {
      const dl = await expectError(
        () =>
          nodeApi.downloadAll([{ url: bad, path: join(dir, 'f.tif') }], {
            retries: 0,
            fetch: fetchSpy,
            manifestPath: join(dir, 'm.jsonl'),
          }),
        'INVALID_ARGUMENT',
        /^job for .*f\.tif: url "https:\/\/\*\*\*@example\.com:99999\/data\/file\.tif\?sig=\*\*\*" is not a valid URL$/,
      );
      expect(dl.cause).toBeUndefined();
      expect(leaks(dl)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(fetchCalls).toEqual([]);
    // a cause that keeps the URL in a property (undici's TypeError has `input`) is scrubbed there too
    const signed = 'http://127.0.0.1:9/x.json?sig=SASSIG123';
    const net = await api
      .requestJson(
        signed,
        {},
        {
          retry: { retries: 0 },
          fetch: async (u: string) => {
            throw Object.assign(new TypeError('fetch failed'), { input: u });
          },
        },
      )
      .catch((e: unknown) => e);
    const chain: { code?: string; input?: string }[] = [];
    for (let e = net as Error | undefined; e; e = e.cause as Error | undefined) chain.push(e as never);
    expect(chain.map((e) => e.code)).toEqual(['RETRIES_EXHAUSTED', 'NETWORK_ERROR', undefined]);
    expect(chain[2].input).toBe('http://127.0.0.1:9/x.json?sig=***');
    expect(leaks(net)).toBe(false);
  });

  it('node functions', async () => {
    await expectError(
      () => nodeApi.appendManifest('m.jsonl', 'x' as never),
      'INVALID_ARGUMENT',
      /^appendManifest: records must be an array, got "x"$/,
    );
    await expectError(
      () => nodeApi.downloadAll(undefined as never),
      'INVALID_ARGUMENT',
      /^downloadAll: jobs must be an array, got undefined$/,
    );
    await expectError(
      () => nodeApi.searchItemCap(['2021-01-01'] as never, 16),
      'INVALID_ARGUMENT',
      /^searchItemCap: dateRange must be \[start, end\] ISO dates/,
    );
    await expectError(
      () => nodeApi.searchRevisits([], { provider: { kind: 'x' } } as never),
      'INVALID_ARGUMENT',
      /^searchRevisits: options\.provider\.kind must be "stac" or "sentinelhub", got "x"$/,
    );
    await expectError(
      () => nodeApi.loadSentinelHubCredentials(null as never),
      'INVALID_ARGUMENT',
      /^loadSentinelHubCredentials: options must be an object, got null$/,
    );
    await expectError(
      () => nodeApi.stillVerified('', undefined, 'sha256'),
      'INVALID_ARGUMENT',
      /^stillVerified: path must be a non-empty string, got ""$/,
    );
    await expectError(
      () => nodeApi.stillVerified('x.tif', undefined, 'md5' as never),
      'INVALID_ARGUMENT',
      /^stillVerified: check must be "size" or "sha256", got "md5"$/,
    );
    await expectError(
      () => nodeApi.sha256File(undefined as never),
      'INVALID_ARGUMENT',
      /^sha256File: path must be a non-empty string, got undefined$/,
    );
  });
});
