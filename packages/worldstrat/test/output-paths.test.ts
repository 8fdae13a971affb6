// Outputs never replace inputs: the shared check (realpath + device/inode) and the commands that write a file
// next to the files they read (aois, split, stratify, plot map/distribution, any --out vs its --config).
import { linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutputPaths } from '../src/internal/output-paths.node.js';
import { tempDir } from './support/fixtures.js';
import { cli } from './support/run-cli.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-output-paths-'));
});
afterAll(() => cleanup());

const POINTS = 'name,lat,lon,IPCC Class\nA,47.37,8.54,Forest\nB,47.38,8.55,Settlement\n';

/** A fresh folder holding `points.csv`. */
function folder(name: string): { d: string; points: string } {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const points = join(d, 'points.csv');
  writeFileSync(points, POINTS);
  return { d, points };
}

const refused = (message: string) => ({
  code: 'INVALID_ARGUMENT',
  message: expect.stringContaining(message),
});

describe('checkOutputPaths', () => {
  it('sees through a/../b, symlinked folders and hard links; lets distinct, missing and URL paths pass', async () => {
    const { d, points } = folder('helper');
    const input = [{ path: points, what: 'points file' }];
    const out = (path: string) => [{ path, what: '--out' }];
    await expect(checkOutputPaths(out(join(d, 'x', '..', 'points.csv')), input)).rejects.toMatchObject(
      refused(`is the points file ${points}: writing it would replace that input`),
    );
    symlinkSync(d, join(dir, 'helper-link'));
    await expect(checkOutputPaths(out(join(dir, 'helper-link', 'points.csv')), input)).rejects.toMatchObject(
      refused('is the points file'),
    );
    linkSync(points, join(d, 'hard.csv'));
    await expect(checkOutputPaths(out(join(d, 'hard.csv')), input)).rejects.toMatchObject(
      refused('(a hard link to the same file)'),
    );
    await expect(
      checkOutputPaths(
        [...out(join(d, 'a.csv')), { path: join(dir, 'helper-link', 'a.csv'), what: 'plot' }],
        [],
      ),
    ).rejects.toMatchObject(refused('are the same file'));
    await expect(
      checkOutputPaths(out(join(d, 'new.csv')), [
        ...input,
        { path: 'https://example.org/lc.tif', what: 'raster' },
      ]),
    ).resolves.toBeUndefined();
    // an input inside a folder the run fills
    await expect(
      checkOutputPaths([], input, [{ path: join(dir, 'helper-link'), what: 'the dataset folder' }]),
    ).rejects.toMatchObject(refused(`lies inside the dataset folder ${join(dir, 'helper-link')}`));
    await expect(
      checkOutputPaths([], input, [{ path: `${d}-other`, what: 'the dataset folder' }]),
    ).resolves.toBeUndefined();
  });
});

describe('commands refuse an --out that is one of their inputs (exit 2, the input kept)', () => {
  it('aois, split, stratify and plot map / distribution', async () => {
    const { d, points } = folder('cli');
    const viaDotDot = join(d, '.', 'sub', '..', 'points.csv');
    mkdirSync(join(d, 'sub'));
    // plot distribution writes <base>.svg and <base>.png: a table named <base>.svg is an input too
    const svg = join(d, 'dist.svg');
    writeFileSync(svg, POINTS);
    const runs: [string, string, string[]][] = [
      ['aois', points, ['aois', points, '--out', viaDotDot]],
      [
        'split',
        points,
        ['split', points, '--out', viaDotDot, '--name-column', 'name', '--class-column', 'IPCC Class'],
      ],
      ['stratify', points, ['stratify', points, '--landcover', join(d, 'lc.tif'), '--out', viaDotDot]],
      [
        'distribution',
        svg,
        ['plot', 'distribution', svg, '--column', 'IPCC Class', '--out', join(d, 'sub', '..', 'dist')],
      ],
    ];
    for (const [name, kept, args] of runs) {
      const r = await cli(...args);
      expect(r.code, `${name}: ${r.err}`).toBe(2);
      expect(r.err).toContain('INVALID_ARGUMENT');
      expect(readFileSync(kept, 'utf8')).toBe(POINTS);
    }
    // plot map writes <base>.svg and <base>.png: a table named <base>.png is an input too
    const png = join(d, 'map.png');
    writeFileSync(png, POINTS);
    const m = await cli('plot', 'map', png, '--out', join(d, 'map'));
    expect(m.code, m.err).toBe(2);
    expect(m.err).toContain(`plot file ${join(d, 'map')}.png is the points file ${png}`);
    expect(readFileSync(png, 'utf8')).toBe(POINTS);
  });

  it('--out naming the --config file the options came from', async () => {
    const { d, points } = folder('config');
    const config = join(d, 'split.json');
    const text = `${JSON.stringify({ out: config, nameColumn: 'name', classColumn: 'IPCC Class' })}\n`;
    writeFileSync(config, text);
    const r = await cli('split', points, '--config', config);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`--out ${config} is the config file ${config}`);
    expect(readFileSync(config, 'utf8')).toBe(text);
    // a distinct --out from the same config works
    const ok = await cli('split', points, '--config', config, '--out', join(d, 'split.csv'));
    expect(ok.code, ok.err).toBe(0);
    expect(readFileSync(join(d, 'split.csv'), 'utf8').split('\n')[0]).toBe('name,lat,lon,IPCC Class,split');
  });
});

describe('an empty output path is a usage error in every command', () => {
  it('--out, --quicklook and --work-dir "" or blank: INVALID_ARGUMENT (exit 2) naming the option, nothing written', async () => {
    const { d, points } = folder('empty-out');
    const { createProgram } = await import('../src/node.js');
    const program = createProgram({ stdout: () => {}, stderr: () => {}, isTTY: false }, () => {});
    const leaves = program.commands.flatMap((c) =>
      c.commands.length
        ? c.commands.map((s) => [`${c.name()} ${s.name()}`, s] as const)
        : [[c.name(), c] as const],
    );
    const dummy = (flag: string) => (flag === '--from' || flag === '--to' ? '2022-06-01' : '1');
    const seen: string[] = [];
    for (const [name, cmd] of leaves) {
      const positional = cmd.registeredArguments.filter((a) => a.required).map(() => points);
      // required options are checked first: give each one a value the parser takes
      const required = cmd.options.filter((o) => o.description.startsWith('(required)'));
      for (const flag of ['--out', '--quicklook', '--work-dir']) {
        if (!cmd.options.some((o) => o.long === flag)) continue;
        for (const empty of ['', '  ']) {
          const others = required
            .filter((o) => o.long !== flag)
            .flatMap((o) => [o.long ?? '', dummy(o.long ?? '')]);
          const r = await cli('--json', ...name.split(' '), ...positional, ...others, flag, empty);
          expect([r.code, JSON.parse(r.out).error], `${name} ${flag} '${empty}'`).toEqual([
            2,
            expect.objectContaining(refused(`${flag} must not be empty`)),
          ]);
        }
        seen.push(`${name} ${flag}`);
      }
    }
    expect(seen).toEqual(
      expect.arrayContaining([
        'sample --out',
        'split --out',
        'plot map --out',
        'train --out',
        'superresolve --out',
        'superresolve --quicklook',
        'superresolve --work-dir',
        'infer --quicklook',
      ]),
    );
    // plot map used to write hidden `.svg` / `.png` files into the working directory
    const cwd = process.cwd();
    process.chdir(d);
    try {
      expect((await cli('plot', 'map', points, '--out', '')).code).toBe(2);
    } finally {
      process.chdir(cwd);
    }
    expect(readdirSync(d)).toEqual(['points.csv']);
  });
});
