// The CLI contract: every error code of every package maps to a defined exit code, bad arguments are typed
// usage errors naming the value (never a plain RangeError or a stack), --config may supply required options,
// and planted credentials never appear in any byte the CLI prints or writes.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CORE_ERROR_CODES } from '@worldstrat/core';
import { DATASET_ERROR_CODES } from '@worldstrat/dataset';
import { EO_FETCH_ERROR_CODES, EoFetchError } from '@worldstrat/eo-fetch';
import { GEO_SAMPLING_ERROR_CODES } from '@worldstrat/geo-sampling';
import { METRICS_ERROR_CODES } from '@worldstrat/metrics';
import { RASTER_IO_ERROR_CODES, RasterIoError } from '@worldstrat/raster-io';
import { SRNET_ERROR_CODES, SrnetError } from '@worldstrat/srnet';
import { STRATIFY_ERROR_CODES } from '@worldstrat/stratify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeItem, type StacServer, startStacServer } from '../../eo-fetch/test/support/stac-server.js';
import { EXIT_CODE_BY_ERROR, EXIT_CODES, exitCodeFor, exitCodeTableMarkdown } from '../src/cli/exit-codes.js';
import { WORLDSTRAT_ERROR_CODES } from '../src/errors.js';
import { RELEASE_FILES } from '../src/node.js';
import { tempDir } from './support/fixtures.js';
import { cli } from './support/run-cli.js';

let dir: string;
let cleanup: () => Promise<void>;
let stac: StacServer;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-cli-contract-'));
  stac = await startStacServer([
    makeItem('S2_A', '2022-06-10T10:30:00Z', 5, [8.5, 47.3, 8.6, 47.4]),
    makeItem('S2_B', '2022-06-14T10:30:00Z', 20, [8.5, 47.3, 8.6, 47.4]),
  ]);
});
afterAll(async () => {
  await stac.close();
  await cleanup();
});

const ALL_CODES: Record<string, readonly string[]> = {
  core: CORE_ERROR_CODES,
  'raster-io': RASTER_IO_ERROR_CODES,
  'eo-fetch': EO_FETCH_ERROR_CODES,
  srnet: SRNET_ERROR_CODES,
  metrics: METRICS_ERROR_CODES,
  'geo-sampling': GEO_SAMPLING_ERROR_CODES,
  stratify: STRATIFY_ERROR_CODES,
  dataset: DATASET_ERROR_CODES,
  worldstrat: WORLDSTRAT_ERROR_CODES,
};
const DEFINED = new Set<number>(Object.values(EXIT_CODES));
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

describe('exit-code table', () => {
  it('maps every code of every package to a defined exit other than 1', () => {
    let n = 0;
    for (const [pkg, codes] of Object.entries(ALL_CODES))
      for (const code of codes) {
        const exit = exitCodeFor({ code });
        expect(
          DEFINED.has(exit) && exit !== EXIT_CODES.UNEXPECTED && exit !== EXIT_CODES.OK,
          `${pkg} ${code}`,
        ).toBe(true);
        expect(exit).toBe(EXIT_CODE_BY_ERROR[code as keyof typeof EXIT_CODE_BY_ERROR]);
        n++;
      }
    expect(n).toBeGreaterThan(100);
    // no stale entries: every key of the table is some package's code
    const known = new Set(Object.values(ALL_CODES).flat());
    expect(Object.keys(EXIT_CODE_BY_ERROR).filter((k) => !known.has(k))).toEqual([]);
  });

  it('maps the codes that used to exit wrongly, by class and by bare code (worker boundaries)', () => {
    expect(exitCodeFor(new EoFetchError('INVALID_RESPONSE', 'bad JSON'))).toBe(6);
    expect(exitCodeFor(new RasterIoError('INVALID_SAFETENSORS', 'bad header'))).toBe(4);
    expect(exitCodeFor(new SrnetError('SCENE_SIZE_MISMATCH', 'x'))).toBe(4);
    expect(exitCodeFor(new SrnetError('MISSHAPED_WEIGHTS', 'x'))).toBe(4);
    expect(exitCodeFor(new SrnetError('MISSING_WEIGHTS', 'x'))).toBe(4);
    expect(exitCodeFor(new SrnetError('NON_FINITE_INPUT', 'x'))).toBe(4);
    expect(exitCodeFor({ code: 'NO_MATCHES' })).toBe(3);
    expect(exitCodeFor({ code: 'NON_FINITE_INPUT' })).toBe(4);
    const sys = (code: string) => Object.assign(new Error(`${code}: x`), { code });
    expect(exitCodeFor(sys('EPERM'))).toBe(5);
    expect(exitCodeFor(sys('ENOTDIR'))).toBe(5);
    expect(exitCodeFor(sys('ENOENT'))).toBe(3);
    expect(exitCodeFor(sys('ECONNREFUSED'))).toBe(6);
    expect(exitCodeFor({ code: 'commander.unknownOption' })).toBe(2);
    expect(exitCodeFor(new TypeError('x'))).toBe(1);
    expect(exitCodeFor({ code: 'SOMETHING_NEW' })).toBe(1);
    expect(exitCodeFor('a string')).toBe(1);
  });

  it('is the table the READMEs document', () => {
    const table = exitCodeTableMarkdown();
    expect(table).toContain('| 6 | network or service failure |');
    for (const readme of ['../README.md', '../../../README.md']) {
      const text = readFileSync(new URL(readme, import.meta.url), 'utf8');
      expect(text.includes(table), `${readme} is out of date: paste exitCodeTableMarkdown()`).toBe(true);
    }
  });
});

describe('bad arguments are usage errors that name the value', () => {
  const usage = async (args: string[], text: string) => {
    const r = await cli(...args);
    expect([r.code, r.err.includes(text)], `${args.join(' ')} → ${r.code}: ${r.err}`).toEqual([2, true]);
    expect(r.err).not.toMatch(STACK_LINE);
    expect(r.err).not.toMatch(/RangeError|TypeError|SyntaxError/);
    return r;
  };

  it('rejects bad dates, boxes, coordinates and windows before any request', async () => {
    const base = ['search', '--stac-url', stac.url, '--bbox', '8.5,47.3,8.6,47.4'];
    const before = stac.requests.length;
    await usage([...base, '--from', 'notadate', '--to', '2022-06-30'], '--from "notadate"');
    await usage([...base, '--from', '2022-02-30', '--to', '2022-06-30'], '"2022-02-30"');
    await usage([...base, '--from', '2022-07-01', '--to', '2022-06-01'], 'ends before it starts');
    await usage(
      [...base, '--from', '2022-06-01', '--to', '2022-06-30', '--target-date', 'soon'],
      '--target-date "soon"',
    );
    const dates = ['--from', '2022-06-01', '--to', '2022-06-30', '--stac-url', stac.url];
    await usage(['search', ...dates, '--bbox', '8.6,47.3,8.5,47.4'], 'inverted box');
    await usage(['search', ...dates, '--bbox', '8.5,47.4,8.6,47.3'], 'inverted box');
    await usage(['search', ...dates, '--bbox', '8.5,95,8.6,96'], 'latitude 95');
    await usage(['search', ...dates, '--bbox', '-190,47,8.6,47.4'], 'longitude -190');
    await usage(['search', ...dates, '--bbox', '8.5,47.3,8.6'], '--bbox 8.5,47.3,8.6');
    await usage(['search', ...dates, '--bbox=8.5,47.3,8.6,NaN'], 'NaN');
    expect(stac.requests.length).toBe(before);
  });

  it('rejects zero, negative, NaN, non-integer and absurd numbers in every command', async () => {
    const dates = ['--from', '2022-06-01', '--to', '2022-06-30', '--bbox', '8.5,47.3,8.6,47.4'];
    await usage(['sample', '--count', '99999999999'], '--count 99999999999');
    await usage(['sample', '--count', '0'], 'expected an integer ≥ 1');
    await usage(['sample', '--count', '1.5'], '--count 1.5: expected an integer');
    await usage(['sample', '--count', ''], 'expected an integer');
    await usage(['sample', '--count', '5', '--seed', '-1'], '--seed -1');
    await usage(['search', ...dates, '--concurrency', '0'], '--concurrency 0');
    await usage(['search', ...dates, '--revisits', 'NaN'], '--revisits NaN');
    await usage(['search', ...dates, '--max-cloud', '101'], '--max-cloud 101');
    await usage(['fetch', dir, '--matches', 'm.json', '--concurrency', '-4'], '--concurrency -4');
    await usage(['download-release', dir, '--concurrency', '0x10'], '--concurrency 0x10');
    await usage(['download-release', dir, '--retries', '-1'], '--retries -1');
    await usage(['synth', join(dir, 'never'), '--hr-size', '1e9'], '--hr-size 1e9');
    await usage(['aois', 'p.csv', '--out', 'a.csv', '--area', '-2.5'], '--area -2.5');
    await usage(['aois', 'p.csv', '--out', 'a.csv', '--area', 'Infinity'], '--area Infinity');
    await usage(['train', dir, '--out', join(dir, 'never'), '--lr', '0'], '--lr 0');
    await usage(['train', dir, '--out', join(dir, 'never'), '--batch-size', '-16'], '--batch-size -16');
    await usage(['rebuild', dir, '--target', '0'], '--target 0');
    await usage(
      ['superresolve', 'x.tif', '--weights', 'w', '--out', 'o.tif', '--overlap', '-1'],
      '--overlap -1',
    );
    await usage(['plot', 'map', 'p.csv', '--out', 'm', '--width', '12.5'], '--width 12.5');
    const table = join(dir, 'split-in.csv');
    writeFileSync(table, 'tile,joint_class\na,x\nb,y\n');
    await usage(['split', table, '--out', join(dir, 'never.csv'), '--fractions', ',0.1,0.1'], '--fractions');
    await usage(
      ['split', table, '--out', join(dir, 'never.csv'), '--fractions', '0.8,-0.1,0.3'],
      '--fractions -0.1',
    );
    expect(existsSync(join(dir, 'never'))).toBe(false);
    expect(existsSync(join(dir, 'never.csv'))).toBe(false);
  });

  it('--quicklook true/false is a usage error pointing to --no-quicklook, not a file named "false"', async () => {
    const args = ['superresolve', join(dir, 'no-such.tif'), '--weights', 'w.safetensors', '--out', 'o.tif'];
    for (const v of ['false', 'true', 'FALSE']) {
      const r = await usage(
        [...args, '--quicklook', v],
        `--quicklook ${v}: expected a PNG file path; to skip it give --no-quicklook, for the default leave --quicklook out`,
      );
      expect(r.err).toContain('INVALID_ARGUMENT');
    }
    // a path still passes the parser (exit 3: the revisit is missing)
    expect((await cli(...args, '--quicklook', join(dir, 'q.png'))).code).toBe(3);
  });

  it('blank positional paths, NUL bytes anywhere, --resume with --overwrite and numbers the models refuse are usage errors before any work', async () => {
    // synth '   ' wrote a whole dataset into a folder named by three spaces
    for (const blank of ['   ', '']) await usage(['synth', blank], '<out> must not be empty');
    await usage(['train', ' ', '--out', join(dir, 'never')], '<root> must not be empty');
    // a NUL byte failed as WRITE_FAILED (exit 5) once the work was done; the message held the raw byte
    const nul = join(dir, 'nul.json');
    writeFileSync(nul, JSON.stringify({ out: `${join(dir, 'a')}\u0000b.csv`, count: 3 }));
    const r = await usage(['sample', '--config', nul], '--out holds a NUL byte');
    expect(r.err).not.toContain('\0');
    await usage(['synth', `${join(dir, 'x')}\0y`], '<out> holds a NUL byte');
    // --overwrite was ignored beside --resume
    await usage(
      ['train', dir, '--out', join(dir, 'never'), '--resume', '--overwrite'],
      '--resume and --overwrite',
    );
    await usage(
      ['train', dir, '--out', join(dir, 'never'), '--hidden', '6'],
      '--hidden 6: expected a multiple of 4',
    );
    await usage(['demo', '--hidden', '2'], '--hidden 2');
    await usage(['synth', join(dir, 'never'), '--hr-size', '20'], '--hr-size 20');
    for (const v of ['0x10', '1e3', '1e20', '0'])
      await usage(
        ['train', dir, '--out', join(dir, 'never'), '--micro-batch-size', v],
        `--micro-batch-size ${v}`,
      );
    expect(existsSync(join(dir, 'never'))).toBe(false);
    expect(existsSync(join(dir, 'a'))).toBe(false);
  });

  it('prints usage errors as JSON with --json, those of commander too', async () => {
    const unknown = await cli('--json', 'sample', '--count', '3', '--frobnicate');
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.out).error).toMatchObject({ code: 'commander.unknownOption', exitCode: 2 });
    const help = await cli('sample', '--help');
    expect(help.out).toMatch(/--count <n>\s+\(required\) number of points/);
    const r = await cli('--json', 'sample', '--count', '99999999999');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      exitCode: 2,
      message: expect.stringContaining('99999999999'),
    });
  });
});

describe('--config', () => {
  it('supplies required options, checked through the same parsers', async () => {
    const cfg = join(dir, 'sample.json');
    writeFileSync(cfg, JSON.stringify({ sample: { count: 3, sphere: true, seed: 2 } }));
    process.env.WS_TEST_FEATURE_TOKEN = 'false'; // secret-looking name, plain value: not masked in the JSON
    const ok = await cli('--json', 'sample', '--config', cfg).finally(() => {
      delete process.env.WS_TEST_FEATURE_TOKEN;
    });
    expect(ok.code, ok.err + ok.out).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ count: 3, land: false });
    expect(JSON.parse(ok.out).points).toHaveLength(3);

    const missing = await cli('sample', '--sphere');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("required option '--count <n>' not specified");
    writeFileSync(cfg, JSON.stringify({ sphere: true }));
    expect((await cli('sample', '--config', cfg)).err).toContain("required option '--count <n>'");

    for (const [bad, text] of [
      [{ count: -3 }, '--count -3'],
      [{ count: 'lots' }, '--count lots'],
      [{ count: 3, sphere: 'yes' }, '"sphere" is a flag'],
      [{ count: 3, seed: { n: 1 } }, 'expected a string, number or list'],
    ] as const) {
      writeFileSync(cfg, JSON.stringify(bad));
      const r = await cli('sample', '--config', cfg);
      expect([r.code, r.err.includes(text)], r.err).toEqual([2, true]);
    }
    // the command line still wins over the file
    writeFileSync(cfg, JSON.stringify({ count: -3, sphere: true }));
    expect((await cli('sample', '--config', cfg, '--count', '2')).code).toBe(0);

    // an attribute shared by `--quicklook <file>` and `--no-quicklook` takes a path or false
    for (const quicklook of ['q.png', false]) {
      writeFileSync(cfg, JSON.stringify({ superresolve: { quicklook } }));
      const r = await cli(
        'superresolve',
        join(dir, 'no-such.tif'),
        '--weights',
        'w.safetensors',
        '--out',
        'o.tif',
        '--config',
        cfg,
      );
      expect(r.err).not.toContain('CONFIG_ERROR');
      expect(r.code, r.err).toBe(3);
    }
    writeFileSync(cfg, JSON.stringify({ sample: { count: true } }));
    const noValue = await cli('sample', '--config', cfg);
    expect([noValue.code, noValue.err.includes('"count" needs a value')], noValue.err).toEqual([2, true]);
    // search's required window from a config file
    writeFileSync(cfg, JSON.stringify({ search: { from: '2022-06-01', to: '2022-06-30' } }));
    const s = await cli(
      '--json',
      'search',
      '--config',
      cfg,
      '--bbox',
      '8.5,47.3,8.6,47.4',
      '--stac-url',
      stac.url,
    );
    expect(s.code, s.err + s.out).toBe(0);
    expect(JSON.parse(s.out).revisits.L2A.map((r: { id: string }) => r.id)).toContain('S2_A');
    writeFileSync(cfg, JSON.stringify({ search: { from: '2022-06-31', to: '2022-06-30' } }));
    const bad = await cli('search', '--config', cfg, '--bbox', '8.5,47.3,8.6,47.4');
    expect([bad.code, bad.err.includes('"2022-06-31"')], bad.err).toEqual([2, true]);
  });
});

describe('--config files that are not option values', () => {
  it('a value nested 5 000 deep is CONFIG_ERROR (was exit 1, a RangeError); a file that is not JSON is never quoted', async () => {
    const deep = join(dir, 'deep.json');
    writeFileSync(deep, `{"aois": ${'['.repeat(5000)}1${']'.repeat(5000)}}`);
    const r = await cli('synth', join(dir, 'never-deep'), '--config', deep);
    expect([r.code, r.err]).toEqual([2, expect.stringContaining('CONFIG_ERROR')]);
    expect(r.err).not.toMatch(/RangeError|Maximum call stack/);
    // a token file given as --config by mistake: its text stayed in the message (and the logs)
    const token = join(dir, 'token.txt');
    writeFileSync(token, 'Hunter2ZebraPassw0rd');
    const t = await cli('--json', 'sample', '--config', token);
    expect(t.code).toBe(2);
    expect(`${t.out}${t.err}`).not.toContain('Hunter2');
    expect(JSON.parse(t.out).error.message).toBe(`config file ${token}: not valid JSON`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{\n  "sample": {\n    "count": 3,,\n  }\n}\n');
    const b = await cli('sample', '--config', broken);
    expect(b.err).toContain(`config file ${broken}: not valid JSON at line 3, column 16`);
  });
});

describe('--config keys', () => {
  it('a misspelt section or any unknown key is CONFIG_ERROR naming it (sections were skipped silently)', async () => {
    const cfg = join(dir, 'typo.json');
    for (const [doc, key] of [
      [{ sampel: { count: 3, seed: 7 } }, '"sampel"'],
      [{ sample: { count: 3 }, sed: 7 }, '"sed"'],
      [{ sample: { count: 3, sed: 7 } }, '"sed" in section "sample"'],
      [{ count: 2, seeds: { value: 7 } }, '"seeds"'],
    ] as const) {
      writeFileSync(cfg, JSON.stringify(doc));
      const r = await cli('--json', 'sample', '--count', '2', '--config', cfg);
      expect(r.code, `${JSON.stringify(doc)}: ${r.out}`).toBe(2);
      const e = JSON.parse(r.out).error;
      expect(e.code).toBe('CONFIG_ERROR');
      expect(e.message).toContain(`config file ${cfg}: unknown option ${key}`);
    }
    // a command name with a value that is no object is no section
    writeFileSync(cfg, JSON.stringify({ count: 2, synth: 3 }));
    const notSection = await cli('sample', '--config', cfg);
    expect([notSection.code, notSection.err]).toEqual([
      2,
      expect.stringContaining('"synth" names a command section but is not an object'),
    ]);
  });

  it("other commands' sections are skipped; flat values apply under this command's section, which wins", async () => {
    const cfg = join(dir, 'shared.json');
    writeFileSync(
      cfg,
      JSON.stringify({ seed: 5, sample: { count: 3 }, synth: { aois: 2 }, map: { out: 'x.svg' } }),
    );
    const r = await cli('--json', 'sample', '--config', cfg);
    expect(r.code, r.out + r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ count: 3, seed: 5 });
    writeFileSync(cfg, JSON.stringify({ seed: 5, count: 4, sample: { seed: 6 } }));
    expect(JSON.parse((await cli('--json', 'sample', '--config', cfg)).out)).toMatchObject({
      count: 4,
      seed: 6,
    });
  });

  it('a config file saved with a UTF-8 byte-order mark (Windows Notepad) is read', async () => {
    const cfg = join(dir, 'bom.json');
    writeFileSync(cfg, `\uFEFF${JSON.stringify({ sample: { count: 3, seed: 2 } })}`, 'utf8');
    const r = await cli('--json', 'sample', '--config', cfg);
    expect(r.code, r.out + r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ count: 3, seed: 2 });
  });
});

describe('--config lists', () => {
  // A list for an option that takes one value used to reach the command (`v.split is not a function`, exit 1).
  // Options the command parses as lists take one; comma-separated ones get it joined; the rest refuse it.
  const sampleList: Record<string, unknown[]> = {
    bbox: [8.5, 47.3, 8.6, 47.4],
    region: [8.5, 47.3, 8.6, 47.4],
    aoi: [8.55, 47.35],
    dates: ['2022-06-01', '2022-06-30'],
    stages: ['search', 'download'],
    levels: ['L2A'],
    fractions: [0.8, 0.1, 0.1],
    files: ['x', 'y'],
  };
  const accepted: Record<string, readonly string[]> = {
    worker: ['stages'],
    search: ['bbox', 'levels'],
    rebuild: ['region', 'levels'],
    fetch: ['levels'],
    split: ['fractions'],
    'plot distribution': ['names'],
    'download-release': ['files', 'md5'],
    superresolve: ['aoi', 'bbox', 'dates', 'region'],
    eval: ['weights'],
  };

  it('a list for any value option of any command is taken or CONFIG_ERROR naming the key, never exit 1', async () => {
    const missing = join(dir, 'list-cfg-missing');
    // options that let each command reach its action (and fail fast, offline)
    const baseline: Record<string, string[]> = {
      worker: ['--queue', 'redis://127.0.0.1:1/0'],
      status: ['--queue', 'redis://127.0.0.1:1/0'],
      search: [
        '--from',
        '2022-06-01',
        '--to',
        '2022-06-30',
        '--bbox',
        '8.5,47.3,8.6,47.4',
        '--stac-url',
        stac.url,
      ],
      rebuild: ['--landcover', missing, '--target', '2', '--from', '2022-06-01', '--to', '2022-06-30'],
      fetch: ['--matches', missing],
      split: ['--out', join(dir, 'list-cfg-split.csv')],
      'plot distribution': ['--out', join(dir, 'list-cfg-plot'), '--column', 'c'],
      'download-release': ['--dry-run'],
      superresolve: ['--weights', missing, '--out', join(dir, 'list-cfg.tif'), '--stac-url', stac.url],
      eval: ['--weights', missing],
    };
    const { createProgram } = await import('../src/node.js');
    const program = createProgram({ stdout: () => {}, stderr: () => {}, isTTY: false }, () => {});
    const leaves = program.commands.flatMap((c) =>
      c.commands.length
        ? c.commands.map((s) => [`${c.name()} ${s.name()}`, s] as const)
        : [[c.name(), c] as const],
    );
    const cfg = join(dir, 'list-cfg.json');
    let refused = 0;
    for (const [name, cmd] of leaves) {
      const positional = cmd.registeredArguments.filter((a) => a.required).map(() => missing);
      const attrs = new Set(
        cmd.options
          .filter((o) => (o.required || o.optional) && o.long !== '--config')
          .map((o) => o.attributeName()),
      );
      for (const attr of attrs) {
        const base = baseline[name] ?? [];
        // the command line wins over the file: leave this option out of the baseline
        const i = base.findIndex((a) => a === `--${attr.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
        const args = i < 0 ? base : [...base.slice(0, i), ...base.slice(i + 2)];
        writeFileSync(cfg, JSON.stringify({ [attr]: sampleList[attr] ?? ['x', 'y'] }));
        const r = await cli('--json', ...name.split(' '), ...positional, ...args, '--config', cfg);
        const where = `${name} ${attr}: ${r.out}`;
        expect(r.code, where).not.toBe(1);
        expect(JSON.parse(r.out).error?.code, where).not.toBe('UNEXPECTED');
        if ((accepted[name] ?? []).includes(attr)) {
          expect(JSON.parse(r.out).error?.code, where).not.toBe('CONFIG_ERROR');
          continue;
        }
        expect([r.code, JSON.parse(r.out).error.code], where).toEqual([2, 'CONFIG_ERROR']);
        expect(JSON.parse(r.out).error.message, where).toContain(`"${attr}" takes one value`);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(200);
  }, 120_000);

  it('the reported lists: worker stages joined (reaches Redis), out refused naming the key', async () => {
    const cfg = join(dir, 'list-cfg-reported.json');
    writeFileSync(cfg, JSON.stringify({ queue: 'redis://127.0.0.1:1/7', stages: ['search', 'download'] }));
    const w = await cli('worker', '--config', cfg);
    expect([w.code, w.err], w.err).toEqual([6, expect.stringContaining('QUEUE_UNAVAILABLE')]);
    writeFileSync(cfg, JSON.stringify({ queue: 'redis://127.0.0.1:1/7', stages: ['search', 'nope'] }));
    const bad = await cli('worker', '--config', cfg);
    expect([bad.code, bad.err], bad.err).toEqual([2, expect.stringContaining('--stages nope')]);
    writeFileSync(cfg, JSON.stringify({ count: 3, out: ['pts.csv'] }));
    const s = await cli('sample', '--config', cfg);
    expect([s.code, s.err], s.err).toEqual([2, expect.stringContaining('[CONFIG_ERROR]')]);
    expect(s.err).toContain(`config file ${cfg}: "out" takes one value (--out <file>)`);
    writeFileSync(cfg, JSON.stringify({ weights: 'w.safetensors', out: ['sr.tif'] }));
    const sr = await cli('superresolve', join(dir, 'none.tif'), '--config', cfg);
    expect([sr.code, sr.err.includes('"out" takes one value')], sr.err).toEqual([2, true]);
    // a repeatable option collects the list; a count given as a list is refused, not "last one wins"
    writeFileSync(cfg, JSON.stringify({ count: [3, 4] }));
    expect((await cli('sample', '--config', cfg)).err).toContain('"count" takes one value');
  });
});

describe('corrupt files written by an earlier run', () => {
  it('a corrupt downloads/*.extracted.json is a data error naming the file, and is kept', async () => {
    const archive = RELEASE_FILES.find((f) => f.kind === 'archive');
    if (!archive) throw new Error('the release lists no archive');
    const root = join(dir, 'release');
    mkdirSync(join(root, 'downloads'), { recursive: true });
    const marker = join(root, 'downloads', `${archive.name}.extracted.json`);
    writeFileSync(marker, '{"md5": "abc');
    // the marker is read before any request: the base URL is never contacted
    const r = await cli(
      'download-release',
      root,
      '--files',
      archive.name,
      '--base-url',
      'http://127.0.0.1:9',
    );
    expect(r.code, r.err).toBe(4);
    expect(r.err).toContain('[UNREADABLE_FILE]');
    expect(r.err).toContain(`${archive.name}.extracted.json`);
    expect(r.err).not.toMatch(/SyntaxError|RangeError/);
    expect(r.err).not.toMatch(STACK_LINE);
    expect(readFileSync(marker, 'utf8')).toBe('{"md5": "abc');
  });

  it('a corrupt matches file is a data error naming the file', async () => {
    const m = join(dir, 'broken-matches.json');
    writeFileSync(m, '{"version": 1, "aois": [');
    const r = await cli('--json', 'fetch', join(dir, 'fetch-root'), '--matches', m);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.out).error).toMatchObject({
      code: 'UNREADABLE_FILE',
      message: expect.stringContaining(m),
    });
  });
});

describe('planted secrets never leave the process', () => {
  const SECRET = 'S3CRETPASS';
  const withCreds = () => stac.url.replace('http://', `http://user:${SECRET}@`);
  const window = ['--from', '2022-06-01', '--to', '2022-06-30', '--bbox', '8.5,47.3,8.6,47.4'];
  const noSecret = (r: { out: string; err: string }) => {
    expect(r.out).not.toContain(SECRET);
    expect(r.err).not.toContain(SECRET);
  };

  it('search with credentials in --stac-url: they reach the server, never the output or the matches file', async () => {
    const matches = join(dir, 'secret-matches.json');
    const basic = `Basic ${Buffer.from(`user:${SECRET}`).toString('base64')}`;
    const before = stac.requests.length;
    const human = await cli('search', ...window, '--stac-url', withCreds(), '--out', matches);
    expect(human.code, human.err).toBe(0);
    expect(human.out).toContain('S2_A');
    const searches = stac.requests.slice(before).filter((r) => r.url.startsWith('/search'));
    expect(searches.length).toBeGreaterThan(0);
    expect(searches.every((r) => r.headers.authorization === basic)).toBe(true);
    const json = await cli(
      '--json',
      '--verbose',
      'search',
      ...window,
      `--stac-url=${withCreds()}/`,
      '--out',
      matches,
    );
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out).revisits.L2A.length).toBeGreaterThan(0);
    for (const r of [human, json]) noSecret(r);
    const text = readFileSync(matches, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toMatchObject({ credentialsOmitted: true, provider: { url: `${stac.url}/` } });
    // the file cannot give them back: fetch asks for --stac-url instead of failing with 401s
    const f = await cli('fetch', join(dir, 'secret-fetch'), '--matches', matches, '--dry-run');
    expect(f.code).toBe(2);
    expect(f.err).toContain('pass --stac-url');
    expect(existsSync(join(dir, 'secret-fetch'))).toBe(false);
  });

  it('a server echoing the Authorization header the CLI sent shows no Basic token', async () => {
    // the CLI sends --stac-url userinfo as Basic auth itself: the base64 token is a secret of the run too
    const server = createServer((req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' }); // 400: not retried, fast
      res.end(`server saw authorization=${req.headers.authorization}`);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as AddressInfo).port;
    const token = Buffer.from('alice:Pa55word-xyz').toString('base64');
    try {
      const url = `http://alice:Pa55word-xyz@127.0.0.1:${port}/stac`;
      for (const json of [[], ['--json']]) {
        const r = await cli(...json, 'search', ...window, '--stac-url', url);
        expect(r.code, r.err + r.out).toBe(6);
        expect(r.err + r.out).toContain('authorization=Basic ***');
        expect(r.err + r.out).not.toContain(token);
        expect(r.err + r.out).not.toContain('Pa55word-xyz');
      }
    } finally {
      await new Promise((done) => server.close(done));
    }
  });

  it('failing runs (404 with userinfo or a token, a config-file URL) and echoed URLs stay clean', async () => {
    const cfg = join(dir, 'secret-config.json');
    writeFileSync(cfg, JSON.stringify({ search: { stacUrl: `${withCreds()}/stac-from-config/` } }));
    const runs = [
      await cli('search', ...window, '--stac-url', `${withCreds()}/nowhere/`),
      await cli('--json', 'search', ...window, '--stac-url', `${withCreds()}/nowhere/`),
      await cli('--json', 'search', ...window, '--stac-url', `${stac.url}/nowhere/?token=${SECRET}`),
      await cli('search', ...window, '--config', cfg),
      await cli('--json', 'search', ...window, '--config', cfg),
    ];
    for (const r of runs) {
      noSecret(r);
      expect(r.code, r.err + r.out).toBe(6);
      expect(r.err).not.toMatch(STACK_LINE);
    }
    expect(runs[0].err).toContain('[HTTP_ERROR]');
    expect(JSON.parse(runs[4].out).error.code).toBe('HTTP_ERROR');
    // release downloads send URL credentials as Basic auth to the mirror only; a failure never shows them
    const root = join(dir, 'never-release');
    for (const json of [[], ['--json']]) {
      const r = await cli(
        ...json,
        'download-release',
        root,
        '--base-url',
        `http://u:${SECRET}@127.0.0.1:9/mirror`,
        '--files',
        'metadata.csv',
        '--retries',
        '0',
      );
      expect(r.code, r.err + r.out).toBe(6);
      noSecret(r);
      expect(r.err + r.out).toContain('127.0.0.1:9/mirror');
    }
  });
});
