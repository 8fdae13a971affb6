// Hostile arguments for every exported function of worldstrat (src/index.ts and src/node.ts): JavaScript callers,
// JSON configs and other tools call them with whatever they have. Each call with the shapes below must end in a
// result or a WorldStratError with a code, never a plain TypeError/RangeError or a hang. The loop walks the
// modules' exports, so a new export is covered without editing this file; the crafted cases pin the exact code
// and message of the entry checks.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as datasetExports from '@worldstrat/dataset';
import * as datasetNodeExports from '@worldstrat/dataset/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonMutations, outcomeOf, typedError } from '../../../tests/support/json-mutations.js';
import * as indexExports from '../src/index.js';
import {
  classDistributionSvg,
  colorForClass,
  comparisonPanelSvg,
  displayRange,
  escapeXml,
  htmlReport,
  revisitsGif,
  toBase64,
  trainingCurvesSvg,
  WorldStratError,
  worldMapSvg,
} from '../src/index.js';
import * as nodeExports from '../src/node.js';

/** The probe's argument shapes: nothing, JSON's null, wrong types, empty containers, bytes, a function. */
const VARIANTS: readonly (readonly unknown[])[] = [
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
  [[null], [null]],
  [{ length: 1e9 }],
  [JSON.parse('{"toString":1,"valueOf":1}')],
];

/** Exports that cannot even start without real servers, files, processes or the CLI's own harness. */
const SKIPPED: Readonly<Record<string, string>> = {
  runCli: 'the CLI: its argument handling is covered by cli.test.ts and cli-contract.test.ts',
  createProgram: 'builds the commander program (no data arguments); covered by the CLI tests',
};

/**
 * Exports that start real work when their arguments are valid (generate a dataset, train, download, plan): a
 * hostile shape that is nonetheless valid (`runDemo({})` is the whole demo) must not start it here, so their
 * context argument (at this index) gets an aborted signal unless the variant puts a non-object there. Each of
 * them checks its arguments, then the signal, before touching a file or a host.
 */
const CONTEXT_ARGUMENT: Readonly<Record<string, number>> = {
  runDemo: 1,
  runBenchmark: 1,
  rebuild: 1,
  planRebuild: 1,
  trainModel: 1,
  evaluateModels: 1,
  downloadPlanRevisits: 3,
  trainInWorkers: 2,
};

const aborted = () => {
  const c = new AbortController();
  c.abort();
  return c.signal;
};

/** The variant's arguments, with an aborted signal in the context of an export that starts real work. */
function argumentsFor(name: string, args: readonly unknown[]): unknown[] {
  const out = [...args];
  const at = CONTEXT_ARGUMENT[name];
  if (at === undefined) return out;
  const given = out[at];
  if (given === undefined || (given !== null && typeof given === 'object' && !Array.isArray(given)))
    out[at] = { ...(given as object | undefined), signal: aborted() };
  return out;
}

/** Every test of this file runs in an empty temporary folder: a call that wrote anything would show there. */
let workDir = '';
const startDir = process.cwd();
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'worldstrat-hostile-'));
  process.chdir(workDir);
});
afterAll(() => {
  process.chdir(startDir);
  rmSync(workDir, { recursive: true, force: true });
});

/** Re-exports of a sibling package: that package's hostile-arguments test covers them with its own error class. */
const siblingExports = new Set<unknown>([
  ...Object.values(datasetExports),
  ...Object.values(datasetNodeExports),
]);

function exportedFunctions(mod: Record<string, unknown>): [string, (...args: unknown[]) => unknown][] {
  return Object.entries(mod).filter(
    (e): e is [string, (...args: unknown[]) => unknown] =>
      typeof e[1] === 'function' && !/^class\b/.test(Function.prototype.toString.call(e[1])),
  );
}

const ALL = new Map([...exportedFunctions(indexExports), ...exportedFunctions(nodeExports)]);

/** Runs `fn(...args)`, bounding a returned promise by `ms` (a hang fails the test naming the call). */
async function callBounded(fn: (...args: unknown[]) => unknown, args: readonly unknown[], ms = 3000) {
  const result = fn(...args);
  if (result && typeof (result as Promise<unknown>).then === 'function') {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        result,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (a hang)`)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
  return result;
}

const shown = (args: readonly unknown[]) =>
  args
    .map((a) => (typeof a === 'function' ? 'fn' : a instanceof Uint8Array ? 'Uint8Array' : JSON.stringify(a)))
    .join(', ');

describe('every exported function with hostile argument shapes', () => {
  it('finds the exports (the loop below is not empty)', () => {
    expect(ALL.size).toBeGreaterThan(60);
    for (const name of Object.keys(SKIPPED)) expect(ALL.has(name), name).toBe(true);
    for (const name of Object.keys(CONTEXT_ARGUMENT)) expect(ALL.has(name), name).toBe(true);
  });

  // Left out of the loop, not skipped: the CLI harness (SKIPPED, covered by the CLI tests) and dataset's own
  // functions re-exported as they are (the very same objects, which dataset's export sweep covers).
  it('leaves out only the CLI harness and the functions re-exported from @worldstrat/dataset', () => {
    const dataset = { ...datasetExports, ...datasetNodeExports } as Record<string, unknown>;
    const reexported = [...ALL].filter(([, fn]) => siblingExports.has(fn));
    // each is dataset's function under its own name, not a worldstrat function that happens to be listed
    for (const [name, fn] of reexported) expect(dataset[name], name).toBe(fn);
    expect(reexported.length).toBeGreaterThan(10);
    expect(ALL.size - reexported.length - Object.keys(SKIPPED).length).toBeGreaterThan(40);
  });

  for (const [name, fn] of ALL) {
    if (SKIPPED[name] !== undefined || siblingExports.has(fn)) continue;
    it(name, async () => {
      const outcomes = new Set<string>();
      for (const args of VARIANTS)
        outcomes.add(
          await outcomeOf(
            `${name}(${shown(args)})`,
            () => callBounded(fn, argumentsFor(name, args)),
            WorldStratError,
          ),
        );
      expect(outcomes.size).toBeGreaterThan(0);
    });
  }

  it('wrote nothing in the working folder (no call started real work)', () => {
    expect(readdirSync(workDir)).toEqual([]);
  });
});

const rgb = (width: number, height: number) => ({
  width,
  height,
  channels: 3 as const,
  data: new Uint8Array(width * height * 3).map((_, i) => (i * 37) % 256),
});

/** Seeded JSON-shaped mutations of realistic plot arguments: a result or a WorldStratError, never a TypeError. */
describe('plot arguments from JSON configs and tables', () => {
  const CASES: { name: string; args: unknown; call: (a: any) => unknown }[] = [
    {
      name: 'classDistributionSvg',
      args: {
        series: [
          { name: 'Original', counts: { Forest: 3, Water: 5 } },
          { name: 'Rebalanced', counts: { Forest: 4, Water: 4 }, color: '#123456' },
        ],
        options: { title: 'IPCC', width: 700 },
      },
      call: (a) => classDistributionSvg(a.series, a.options),
    },
    {
      name: 'trainingCurvesSvg',
      args: {
        series: [
          {
            name: 'loss',
            points: [
              [0, 1],
              [1, 0.5],
              [2, 0.25],
            ],
            dashed: true,
          },
        ],
        options: { logY: true, xLabel: 'step', height: 300 },
      },
      call: (a) => trainingCurvesSvg(a.series, a.options),
    },
    {
      name: 'worldMapSvg',
      args: {
        points: [
          { lon: 8.5, lat: 47.4, label: 'Forest', bounds: [8.4, 47.3, 8.6, 47.5], title: 'A-1' },
          { lon: -70, lat: -30 },
        ],
        options: { width: 400, radius: 2, title: 'AOIs' },
      },
      call: (a) => worldMapSvg(a.points, a.options),
    },
    {
      name: 'htmlReport',
      args: {
        title: 'Run',
        sections: [
          {
            heading: 'Results',
            text: 'scores',
            table: { header: ['model', 'cPSNR'], rows: [['bicubic', 31.2]] },
            images: [{ src: 'a.png', alt: 'a', caption: 'c' }],
            links: [{ href: 'r.json', text: 'results' }],
          },
        ],
        options: { banner: 'SYNTHETIC', generatedAt: '2024-01-01T00:00:00Z' },
      },
      call: (a) => htmlReport(a.title, a.sections, a.options),
    },
    {
      name: 'displayRange',
      args: { data: [1, 2, 3, 4, 5, 6, 7, 8], shape: [2, 2, 2], bands: [0, 1], p: 5 },
      call: (a) => displayRange(a.data, a.shape, a.bands, a.p),
    },
    {
      name: 'comparisonPanelSvg/revisitsGif options',
      args: { panel: { tileSize: 4, columns: 1, title: 'x' }, gif: { size: 4, fps: 2 }, title: 'LR' },
      call: (a) => {
        comparisonPanelSvg([{ title: a.title, image: rgb(2, 2) }], a.panel);
        return revisitsGif([rgb(2, 2)], a.gif);
      },
    },
  ];
  for (const c of CASES)
    it(c.name, async () => {
      const tally = new Map<string, number>();
      for (const { doc, what } of jsonMutations(c.args, 150, 11)) {
        const outcome = await outcomeOf(`${c.name}: ${what}`, () => c.call(doc), WorldStratError);
        tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
      }
      expect(tally.get('INVALID_ARGUMENT') ?? 0).toBeGreaterThan(0);
      expect([...tally.keys()].every((k) => k === 'ok' || k === 'INVALID_ARGUMENT')).toBe(true);
    });
});

const thrown = (f: () => unknown) => typedError(f, WorldStratError);

describe('entry checks name the function, the argument and the value', () => {
  it('plots refuse arguments that are not arrays or objects', () => {
    for (const [f, message] of [
      [() => classDistributionSvg(null as never), 'classDistributionSvg: series must be an array, got null'],
      [() => trainingCurvesSvg('x' as never), 'trainingCurvesSvg: series must be an array, got "x"'],
      [() => worldMapSvg(undefined as never), 'worldMapSvg: points must be an array, got undefined'],
      [() => htmlReport('t', {} as never), 'htmlReport: sections must be an array, got {}'],
      [() => comparisonPanelSvg(42 as never), 'comparisonPanelSvg: tiles must be an array, got 42'],
      [() => revisitsGif(null as never), 'revisitsGif: revisits must be an array, got null'],
      [() => worldMapSvg([], 'x' as never), 'worldMapSvg: options must be an object, got "x"'],
    ] as const) {
      const e = thrown(f);
      expect([e.code, e.message]).toEqual(['INVALID_ARGUMENT', message]);
    }
  });

  it('names the member of an element', () => {
    expect(
      thrown(() => classDistributionSvg([{ name: 'a', counts: { Forest: '3' } }] as never)).message,
    ).toBe('classDistributionSvg: series[0].counts["Forest"] must be a finite number, got "3"');
    expect(thrown(() => worldMapSvg([{ lon: 1, lat: Number.NaN }])).message).toBe(
      'worldMapSvg: points[0].lat must be a finite number, got NaN',
    );
    expect(
      thrown(() => htmlReport('t', [{ heading: 'h', table: { header: ['a'], rows: [[{}]] } }] as never))
        .message,
    ).toBe('htmlReport: sections[0].table.rows[0][0] must be a string or a number, got {}');
    expect(
      thrown(() => revisitsGif([{ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }])).message,
    ).toBe('revisitsGif: revisits[0].data has 5 samples; 2×2×3 needs 12');
    expect(thrown(() => trainingCurvesSvg([{ name: 'l', points: [1] as never }])).message).toBe(
      'trainingCurvesSvg: series[0].points[0] must be an [x, y] pair, got 1',
    );
  });

  it('small helpers refuse values they would crash on or turn into garbage', () => {
    const cases: [() => unknown, string][] = [
      [() => escapeXml(null as never), 'escapeXml: text must be a string, got null'],
      [() => colorForClass(7 as never), 'colorForClass: label must be a string, got 7'],
      [() => toBase64([1, 2] as never), 'toBase64: bytes must be a Uint8Array, got [1,2]'],
      [() => displayRange([1, 2], 'x' as never), 'displayRange: shape must be an array of numbers, got "x"'],
      [
        () => displayRange([1], [1, 1, 1], [0], Number.NaN),
        'displayRange: p must be a percentile in 0..100, got NaN',
      ],
    ];
    for (const [f, message] of cases) {
      const e = thrown(f);
      expect([e.code, e.message]).toEqual(['INVALID_ARGUMENT', message]);
    }
  });

  it('keeps accepting what worked: typed arrays, null for absent members, extra members', () => {
    expect(
      displayRange(Float32Array.of(1, 2, 3, 4), Int32Array.of(1, 2, 2) as never, Uint8Array.of(0) as never),
    ).toEqual([1, 4]);
    expect(toBase64(Buffer.from('hi'))).toBe('aGk=');
    expect(escapeXml('<a>')).toBe('&lt;a&gt;');
    expect(
      worldMapSvg([{ lon: 0, lat: 0, label: null, extra: 1 } as never], { title: null } as never),
    ).toContain('<svg');
    expect(classDistributionSvg([{ name: 'a', counts: {} }], undefined)).toContain('<svg');
  });

  it('long training runs draw instead of overflowing the call stack', () => {
    const points = Array.from({ length: 300_000 }, (_, i) => [i, 1 / (i + 1)] as const);
    expect(trainingCurvesSvg([{ name: 'loss', points }])).toContain('<path');
  });
});

describe('data and options written into SVG are escaped', () => {
  it('class names, series names and colours cannot break out of their attribute or element', () => {
    const svg = indexExports.classDistributionSvg(
      [
        { name: 'train<script>', counts: { 'a"&b': 2 }, color: '"/><script>x</script>' },
        { name: 'val', counts: { 'a"&b': 1 } },
      ],
      {},
    );
    expect(svg).not.toContain('<script');
    expect(svg).toContain('fill="&quot;/&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(svg).toContain('train&lt;script&gt; a&quot;&amp;b: 2');
    const map = indexExports.worldMapSvg([], { landColor: '"><script>', oceanColor: '"/>' });
    expect(map).not.toContain('<script');
    expect(map).not.toContain('fill=""/>');
  });
});

/** The error a promise rejects with; any other error, or none, fails the test. */
async function rejected(p: () => Promise<unknown>): Promise<WorldStratError> {
  try {
    await p();
  } catch (e) {
    if (e instanceof WorldStratError) return e;
    throw new Error(
      `expected a WorldStratError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`,
    );
  }
  throw new Error('expected a WorldStratError, nothing was thrown');
}

describe('node-only entry checks run before any file, host, Redis or training is touched', () => {
  const n = nodeExports;
  const fakeRedis = { eval: async () => 0, zrem: async () => 0, set: async () => 'OK' } as never;

  it('pins the code and message of synchronous checks', () => {
    const cases: [() => unknown, string][] = [
      [() => n.unitKey(42 as never, { unit: 'a', params: {} }), 'unitKey: stage must be a string, got 42'],
      [() => n.unitKey('rebuild-download', null as never), 'unitKey: unit must be an object, got null'],
      [() => n.parseQueueUrl(null as never), 'parseQueueUrl: url must be a string, got null'],
      [
        () => n.sharedHostLimitedFetch({} as never, {}),
        'sharedHostLimitedFetch: redis must be a connected ioredis client, got {}',
      ],
      [
        () => n.sharedProcessingUnitFetch(fakeRedis, 'x' as never),
        'sharedProcessingUnitFetch: limit must be an object, got "x"',
      ],
      [
        () => n.redisLock(fakeRedis, { ttlMs: Number.NaN }),
        'redisLock: options.ttlMs must be a finite number in 0..2147483647, got NaN',
      ],
      [() => n.resultRows({} as never), 'resultRows: scores must be an array, got {}'],
      [
        () => n.resultsMarkdown([{ model: 'm', revisits: 1, parameters: 0 }] as never),
        'resultsMarkdown: rows[0].cpsnr must be an object, got undefined',
      ],
      [() => n.demoChecks('x' as never), 'demoChecks: rows must be an array, got "x"'],
      [
        () => n.bicubicUpsample(new Float32Array(4), [1, 1, 1, 2] as never),
        'bicubicUpsample: shape must be 5 integers in 1..9007199254740991, got [1,1,1,2]',
      ],
      [
        () => n.regionFromGeoJson(undefined as never, 'r.json'),
        'regionFromGeoJson: text must be a string, got undefined',
      ],
      [
        () => n.resolveSuperresolveAoi('x' as never),
        'resolveSuperresolveAoi: aoi must be an object, got "x"',
      ],
      [() => n.modelStem(42 as never), 'modelStem: name must be a string, got 42'],
      [
        () =>
          n.sliceRevisits(
            { lr: { data: new Float32Array(2), shape: [1, 2, 1, 1, 1] }, hr: {} } as never,
            1.5,
          ),
        'sliceRevisits: r must be a positive integer, got 1.5',
      ],
      [
        () => n.defaultTrainWorkers('x' as never),
        'defaultTrainWorkers: jobs must be an integer ≥ 0, got "x"',
      ],
    ];
    for (const [f, message] of cases) {
      const e = thrown(f);
      expect([e.code, e.message]).toEqual(['INVALID_ARGUMENT', message]);
    }
    // a cycle in a unit's parameters is refused, not a stack overflow
    const params: Record<string, unknown> = {};
    params.self = params;
    expect(thrown(() => n.unitKey('rebuild-download', { unit: 'a', params })).code).toBe('INVALID_ARGUMENT');
  });

  it('queue functions refuse bad arguments before connecting to Redis (no QUEUE_UNAVAILABLE)', async () => {
    // port 1 on the loopback: were the checks after the connection, these would end in QUEUE_UNAVAILABLE
    const url = 'redis://127.0.0.1:1/0';
    for (const [p, message] of [
      [() => n.queueStatus(42 as never), 'queueStatus: url must be a string, got 42'],
      [
        () => n.queueStatus(url, Number.NaN),
        'queueStatus: maxFailed must be an integer in 1..1000000, got NaN',
      ],
      [() => n.runQueueWorker(null as never), 'runQueueWorker: options must be an object, got null'],
      [
        () => n.runQueueWorker({ url, concurrency: 0 }),
        'runQueueWorker: options.concurrency must be an integer in 1..1000000, got 0',
      ],
      [
        () => n.runQueueWorker({ url, stages: ['nope'] as never }),
        'runQueueWorker: options.stages[0] must be one of rebuild-search, rebuild-download, rebuild-spot-order, region-sr-tile, got "nope"',
      ],
      [
        () => n.runQueueWorker({ url, signal: {} as never }),
        'runQueueWorker: options.signal must be an AbortSignal, got {}',
      ],
    ] as const) {
      const e = await rejected(p);
      expect([e.code, e.message]).toEqual(['INVALID_ARGUMENT', message]);
    }
  });

  it('pipelines refuse bad options before reading, generating, training or downloading', async () => {
    const rebuildOptions = {
      root: 'r',
      landcover: 'lc.tif',
      target: 1,
      provider: { kind: 'stac' as const },
      dateRange: ['2022-01-01', '2022-02-01'] as [string, string],
    };
    for (const [p, message] of [
      [() => n.runDemo('x' as never), 'runDemo: options must be an object, got "x"'],
      [() => n.runDemo({ out: 42 as never }), 'runDemo: options.out must be a string, got 42'],
      [() => n.runDemo({}, null as never), 'runDemo: context must be an object, got null'],
      [
        () => n.runBenchmark({ root: 'd' } as never),
        'runBenchmark: options.out must be a string, got undefined',
      ],
      [
        () => n.runBenchmark({ root: 'd', out: 'o', models: [{ name: 'm', config: {} }] as never }),
        'runBenchmark: options.models[0].config.revisits must be a positive integer, got undefined',
      ],
      [
        () => n.rebuild({ ...rebuildOptions, provider: { kind: 'ftp' } as never }),
        'rebuild: options.provider.kind must be "stac" or "sentinelhub", got "ftp"',
      ],
      [
        () => n.planRebuild({ ...rebuildOptions, dateRange: ['2022-01-01'] as never }),
        'planRebuild: options.dateRange must be [start, end], got 1 entries',
      ],
      [
        () => n.downloadPlanRevisits({ revisits: {} } as never, 'x' as never, rebuildOptions),
        'downloadPlanRevisits: aois must be an array, got "x"',
      ],
      [
        () => n.openClassificationRaster(42 as never),
        'openClassificationRaster: ref must be a string, got 42',
      ],
      [
        () => n.expandRevisitInputs('x' as never),
        'expandRevisitInputs: inputs must be an array of strings, got "x"',
      ],
      [
        () => n.evaluateModels({ dataset: {}, models: [] } as never),
        'evaluateModels: options.dataset must be an opened dataset (openDataset), got {}',
      ],
      [
        () => n.trainModel({ dataset: { split() {}, batches() {} }, spec: { name: 'm' }, out: 'o' } as never),
        'trainModel: options.spec.config must be an object, got undefined',
      ],
      [() => n.trainInWorkers([{}] as never), 'trainInWorkers: jobs[0].root must be a string, got undefined'],
      [() => n.writePlot('plot', null as never), 'writePlot: svg must be a string, got null'],
    ] as const) {
      const e = await rejected(p);
      expect([e.code, e.message]).toEqual(['INVALID_ARGUMENT', message]);
    }
    // valid options with a fired signal end before any work: no out/demo, no plan
    expect((await rejected(() => n.runDemo({}, { signal: aborted() }))).code).toBe('ABORTED');
    expect((await rejected(() => n.rebuild(rebuildOptions, { signal: aborted() }))).code).toBe('ABORTED');
    // an SVG that cannot be rendered leaves no half-written plot
    expect((await rejected(() => n.writePlot('plot', 'not svg'))).code).toBe('INVALID_ARGUMENT');
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('keeps accepting what worked', async () => {
    const scores = [
      {
        name: 'Bicubic',
        revisits: 1,
        parameters: 0,
        worldstrat: { psnr: 30, cssim: 0.8 },
        centered: { psnr: 31, cssim: 0.81 },
      },
      {
        name: 'SRCNN-SI',
        revisits: 1,
        parameters: 10,
        worldstrat: { psnr: 31, cssim: 0.82 },
        centered: { psnr: 32, cssim: 0.83 },
      },
      {
        name: 'HighRes-net',
        revisits: 8,
        parameters: 20,
        worldstrat: { psnr: 33, cssim: 0.85 },
        centered: { psnr: 34, cssim: 0.86 },
      },
    ] as never;
    const rows = n.resultRows(scores, new Map([['HighRes-net', { steps: 5, seconds: 1.4 }]]));
    expect(rows[2]).toMatchObject({
      deltaBicubic: { worldstrat: 3, centered: 3 },
      steps: 5,
      trainSeconds: 1,
    });
    expect(n.resultsMarkdown(rows)).toContain('| HighRes-net | 8 | 20 |');
    expect(n.demoChecks(rows)).toMatchObject({ multiFrameVsBicubic: 3, multiFrameBeatsSingleImage: true });
    expect(n.modelStem('HighRes-net')).toBe('highres-net');
    expect(n.defaultTrainWorkers(0)).toBe(1);
    const lr = new Float32Array(2 * 3 * 4).map((_, i) => i);
    const sliced = n.sliceRevisits({ lr: { data: lr, shape: [1, 2, 3, 2, 2] }, hr: {} } as never, 1);
    expect(sliced.lr.shape).toEqual([1, 1, 3, 2, 2]);
    expect([...sliced.lr.data]).toEqual([...lr.subarray(0, 12)]);
    const up = n.bicubicUpsample(new Float32Array(4 * 4), Int32Array.of(1, 1, 4, 2, 2) as never, {
      size: [4, 4],
    });
    expect(up.shape).toEqual([1, 3, 4, 4]);
    expect(n.parseQueueUrl('redis://h:1234/2')).toMatchObject({ host: 'h', port: 1234, db: 2 });
    expect(n.regionFromGeoJson('{"type":"Point","coordinates":[8,47]}', undefined as never)).toEqual([
      8, 47, 8, 47,
    ]);
    expect(n.resolveSuperresolveAoi({ bbox: [8.5, 47.3, 8.51, 47.31] }).name).toMatch(/^BBOX_/);
    expect(typeof n.redisLock(fakeRedis)).toBe('function');
    expect(typeof n.sharedHostLimitedFetch(fakeRedis, { concurrency: undefined, perSecond: 2 })).toBe(
      'function',
    );
  });
});

describe('the CLI harness entry points', () => {
  const quiet = { stdout: () => {}, stderr: () => {}, isTTY: false };
  it('runCli and createProgram refuse a wrong argv, io, exit or secrets with INVALID_ARGUMENT before running', async () => {
    const { runCli, createProgram } = nodeExports;
    for (const [argv, io, what] of [
      [undefined, undefined, 'argv'],
      ['worldstrat --help', undefined, 'argv'],
      [['node', 'worldstrat', 7], undefined, 'argv'],
      [['node', 'worldstrat', '--help'], null, 'io'],
      [['node', 'worldstrat', '--help'], { stdout: () => {}, isTTY: false }, 'io'],
    ] as [unknown, unknown, string][]) {
      const err = await runCli(argv as string[], io as never).catch((e: unknown) => e);
      expect(err, `${what}: ${String(argv)}`).toBeInstanceOf(WorldStratError);
      expect((err as WorldStratError).code).toBe('INVALID_ARGUMENT');
      expect((err as WorldStratError).message).toMatch(new RegExp(`^runCli: ${what} must be `));
    }
    expect(await runCli(['node', 'worldstrat', '--version'], quiet)).toBe(0);
    for (const [args, what] of [
      [[null], 'io'],
      [[quiet, 'exit'], 'exit'],
      [[quiet, () => {}, {}], 'secrets'],
    ] as [unknown[], string][]) {
      const err = (() => {
        try {
          (createProgram as (...a: unknown[]) => unknown)(...args);
        } catch (e) {
          return e;
        }
      })();
      expect((err as WorldStratError).code, what).toBe('INVALID_ARGUMENT');
      expect((err as WorldStratError).message).toMatch(new RegExp(`^createProgram: ${what} must be `));
    }
  });
});
