// Hostile arguments for every exported function of worldstrat (src/index.ts and src/node.ts): JavaScript callers,
// JSON configs and other tools call them with whatever they have. Each call with the shapes below must end in a
// result or a WorldStratError with a code, never a plain TypeError/RangeError or a hang. The loop walks the
// modules' exports, so a new export is covered without editing this file; the crafted cases pin the exact code
// and message of the entry checks.
import * as datasetExports from '@worldstrat/dataset';
import * as datasetNodeExports from '@worldstrat/dataset/node';
import { describe, expect, it } from 'vitest';
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
 * worldstrat's own node-only exports that still lack entry checks (left for a follow-up; the probe of this change
 * covered src/index.ts). Listed by name so the gap stays visible and a new export is never silently skipped.
 */
const NOT_YET_CHECKED: ReadonlySet<string> = new Set([
  'unitKey',
  'queueStatus',
  'runQueueWorker',
  'parseQueueUrl',
  'sharedHostLimitedFetch',
  'sharedProcessingUnitFetch',
  'redisLock',
  'resultRows',
  'resultsMarkdown',
  'runBenchmark',
  'demoChecks',
  'runDemo',
  'bicubicUpsample',
  'evaluateModels',
  'downloadPlanRevisits',
  'openClassificationRaster',
  'planRebuild',
  'rebuild',
  'regionFromGeoJson',
  'expandRevisitInputs',
  'resolveSuperresolveAoi',
  'modelStem',
  'sliceRevisits',
  'trainModel',
  'defaultTrainWorkers',
  'trainInWorkers',
  'writePlot',
]);

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
    for (const name of NOT_YET_CHECKED) expect(ALL.has(name), name).toBe(true);
    for (const name of Object.keys(SKIPPED)) expect(ALL.has(name), name).toBe(true);
  });

  for (const [name, fn] of ALL) {
    const reason = SKIPPED[name] ?? (NOT_YET_CHECKED.has(name) ? 'no entry checks yet' : undefined);
    const sibling = siblingExports.has(fn);
    const title = sibling ? `${name} (re-exported from @worldstrat/dataset, covered there)` : name;
    it.skipIf(reason !== undefined || sibling)(title, async () => {
      const outcomes = new Set<string>();
      for (const args of VARIANTS)
        outcomes.add(
          await outcomeOf(`${name}(${shown(args)})`, () => callBounded(fn, args), WorldStratError),
        );
      expect(outcomes.size).toBeGreaterThan(0);
    });
  }
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
