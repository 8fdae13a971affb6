// Pack-and-install smoke test: what users get from npm. Packs every package with pnpm (which rewrites
// workspace:* and runs each prepack build), installs the tarballs with plain npm into scratch projects outside
// the workspace, imports every entry from ESM and CJS, typechecks a consumer against the shipped .d.ts files,
// bundles one srnet constant, and prints each package's install footprint against its budget.
// Run from the repository root after `pnpm install`: `pnpm pack-smoke` (or `node scripts/pack-smoke.mjs`).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const MB = 1024 * 1024;
// Footprint ceilings (node_modules of a project that installs only that package); unlisted: reported only.
// geo-sampling's target is 15 MB but apache-arrow (≈14 MB with its @types/node, @swc/helpers and CLI
// dependencies) and world-atlas (8 MB) are runtime dependencies of its source, so its ceiling only stops growth.
const BUDGET_MB = {
  '@worldstrat/metrics': 1,
  '@worldstrat/raster-io': 10,
  '@worldstrat/geo-sampling': 28,
  '@worldstrat/srnet': 160,
};
const TARGET_MB = { '@worldstrat/geo-sampling': 15 };
const SRNET_CONSTANT_BUNDLE_MAX = 10_000; // bytes: `import { MODEL_KINDS }` must not pull TF.js

const failures = [];
const fail = (msg) => {
  failures.push(msg);
  console.error(`FAIL ${msg}`);
};

/** Runs a command with a time limit (never hangs CI); returns stdout. */
function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 240_000,
    maxBuffer: 64 * MB,
    ...opts,
  });
}

/** pnpm itself: the one running this script (npm_execpath), else the packageManager version through npx. */
function pnpm(args, cwd) {
  const exec = process.env.npm_execpath;
  if (exec && /^pnpm(\.c?js)?$/.test(path.basename(exec)))
    return run(process.execPath, [exec, ...args], { cwd });
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).packageManager;
  return run('npx', ['-y', version, ...args], { cwd });
}

function npmInstall(dir, specs) {
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...specs], {
    cwd: dir,
  });
}

function duBytes(dir) {
  let total = 0;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop();
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) total += fs.statSync(p).size;
    }
  }
  return total;
}

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'worldstrat-pack-'));
const tarDir = path.join(scratch, 'tarballs');
fs.mkdirSync(tarDir);

// 1. Pack (prepack builds; turbo's cache makes an up-to-date build instant).
const pkgs = [];
for (const dir of fs.readdirSync(path.join(root, 'packages')).sort()) {
  const pkgDir = path.join(root, 'packages', dir);
  const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  const before = new Set(fs.readdirSync(tarDir));
  pnpm(['pack', '--pack-destination', tarDir], pkgDir);
  const tgz = fs.readdirSync(tarDir).find((f) => !before.has(f));
  if (!tgz) throw new Error(`pnpm pack wrote no tarball for ${manifest.name}`);
  const tarball = path.join(tarDir, tgz);
  const files = run('tar', ['-tzf', tarball]).split('\n');
  const packed = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json']));
  const internal = Object.keys(packed.dependencies ?? {}).filter(
    (d) => d.startsWith('@worldstrat/') || d === 'worldstrat',
  );
  for (const [dep, range] of Object.entries({ ...packed.dependencies, ...packed.peerDependencies }))
    if (String(range).startsWith('workspace:')) fail(`${manifest.name}: packed dependency ${dep}@${range}`);
  for (const need of [
    'package/LICENSE',
    'package/README.md',
    'package/dist/index.js',
    'package/dist/index.cjs',
    'package/dist/index.d.ts',
  ])
    if (!files.includes(need)) fail(`${manifest.name}: tarball lacks ${need.slice('package/'.length)}`);
  if (files.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/')))
    fail(`${manifest.name}: tarball ships src/ or test/`);
  pkgs.push({ name: manifest.name, tarball, internal, subpaths: Object.keys(packed.exports ?? { '.': 0 }) });
  console.log(`packed ${manifest.name}: ${tgz} (${files.length - 1} files)`);
}
const byName = new Map(pkgs.map((p) => [p.name, p]));
/** The package's tarball plus those of the @worldstrat packages it needs (npm cannot fetch unpublished ones). */
function closure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  for (const d of byName.get(name).internal) closure(d, seen);
  return seen;
}

console.log(`packed in ${elapsed()}`);

// 2. Footprint of each package installed alone.
const footprints = [];
for (const p of pkgs) {
  const dir = path.join(scratch, `solo-${p.name.replace(/[@/]/g, '_')}`);
  fs.mkdirSync(dir);
  npmInstall(
    dir,
    [...closure(p.name)].map((n) => byName.get(n).tarball),
  );
  const bytes = duBytes(path.join(dir, 'node_modules'));
  const budget = BUDGET_MB[p.name];
  footprints.push({ name: p.name, bytes, budget });
  if (budget !== undefined && bytes > budget * MB)
    fail(`${p.name} installs ${(bytes / MB).toFixed(1)} MB (ceiling ${budget} MB)`);
  fs.rmSync(dir, { recursive: true, force: true });
}

console.log(`solo installs done at ${elapsed()}`);

// 3. Everything together: ESM and CJS loads of every entry, the CLI, a typed consumer, a tree-shaken bundle.
const all = path.join(scratch, 'all');
fs.mkdirSync(all);
npmInstall(all, [...pkgs.map((p) => p.tarball), '@types/node@20']);
for (const p of pkgs) {
  for (const sub of p.subpaths) {
    const spec = sub === '.' ? p.name : `${p.name}/${sub.slice(2)}`;
    const esm = `import(${JSON.stringify(spec)}).then((m) => { if (Object.keys(m).length < 2) throw new Error('no exports'); console.log(Object.keys(m).length); })`;
    const cjs = `const m = require(${JSON.stringify(spec)}); if (Object.keys(m).length < 2) throw new Error('no exports'); console.log(Object.keys(m).length);`;
    for (const [kind, code, args] of [
      ['ESM', esm, ['--input-type=module', '-e']],
      ['CJS', cjs, ['-e']],
    ]) {
      try {
        const n = run(process.execPath, [...args, code], { cwd: all }).trim();
        console.log(`${kind} ${spec}: ${n} exports`);
      } catch (e) {
        fail(
          `${kind} load of ${spec}: ${
            String(e.stderr || e.message)
              .split('\n')
              .find((l) => /Error/.test(l)) ?? e.message
          }`,
        );
      }
    }
  }
}
// One training step from the installed srnet, ESM and CJS: gradients and the cpu backend come from the peers.
const trainStep = `await s.selectBackend('cpu');
const cfg = { kind: 'srcnn', revisits: 1, inChannels: 3, outChannels: 3, hiddenChannels: 4, outputSize: [16, 16] };
const m = s.createModel(cfg, { seed: 0 });
const vars = m.trainableVariables();
const adam = new s.PyTorchAdam(vars, s.WORLDSTRAT_ADAM);
const lr = { data: new Float32Array(3 * 8 * 8).fill(0.2), shape: [1, 1, 3, 8, 8] };
const hr = { data: new Float32Array(3 * 16 * 16).fill(0.3), shape: [1, 3, 16, 16] };
const loss = await s.trainStep(m, adam, vars, { lr, hr }, new s.SeededRandom(0), 1e-3, 'worldstrat');
if (!Number.isFinite(loss)) throw new Error('training step gave loss ' + loss);
console.log('loss ' + loss);`;
for (const [kind, code, args] of [
  ['ESM', `const s = await import('@worldstrat/srnet');\n${trainStep}`, ['--input-type=module', '-e']],
  [
    'CJS',
    `(async () => { const s = require('@worldstrat/srnet');\n${trainStep} })().catch((e) => { console.error(e); process.exit(1); })`,
    ['-e'],
  ],
]) {
  try {
    const out = run(process.execPath, [...args, code], { cwd: all });
    console.log(`${kind} srnet training step: ${out.trim().split('\n').pop()}`);
  } catch (e) {
    fail(
      `${kind} srnet training step: ${
        String(e.stderr || e.message)
          .split('\n')
          .find((l) => /Error/.test(l)) ?? e.message
      }`,
    );
  }
}
try {
  const help = run(path.join(all, 'node_modules', '.bin', 'worldstrat'), ['--help'], { cwd: all });
  if (!/Usage/i.test(help)) fail('worldstrat --help printed no usage');
  else console.log('worldstrat --help: ok');
} catch (e) {
  fail(`worldstrat --help: ${String(e.stderr || e.message).split('\n')[0]}`);
}

fs.writeFileSync(
  path.join(all, 'consumer.mts'),
  `import type { MultiPolygon, Polygon } from 'geojson';
import { DATASET_ERROR_CODES, METADATA_COLUMNS } from '@worldstrat/dataset';
import * as datasetNode from '@worldstrat/dataset/node';
import { EO_FETCH_ERROR_CODES } from '@worldstrat/eo-fetch';
import * as eoNode from '@worldstrat/eo-fetch/node';
import { bboxToPolygon, GEO_SAMPLING_ERROR_CODES } from '@worldstrat/geo-sampling';
import * as geoNode from '@worldstrat/geo-sampling/node';
import { METRICS_ERROR_CODES } from '@worldstrat/metrics';
import { RASTER_IO_ERROR_CODES, resize } from '@worldstrat/raster-io';
import * as rasterNode from '@worldstrat/raster-io/node';
import { MODEL_KINDS, type ModelConfig, SRNET_ERROR_CODES } from '@worldstrat/srnet';
import * as srnetNode from '@worldstrat/srnet/node';
import { STRATIFY_ERROR_CODES } from '@worldstrat/stratify';
import * as stratifyNode from '@worldstrat/stratify/node';
import { WORLDSTRAT_ERROR_CODES } from 'worldstrat';
import * as worldstratNode from 'worldstrat/node';

// A type that silently became \`any\` (an unresolved import inside a .d.ts) fails here.
type IsAny<T> = 0 extends 1 & T ? true : false;
const poly = bboxToPolygon([0, 0, 1, 1]);
const polyNotAny: IsAny<typeof poly> = false;
const typed: Polygon | MultiPolygon = poly;
const up: Float32Array = resize(new Float32Array(4), [1, 2, 2], [4, 4], { method: 'bicubic' });
const kind: ModelConfig['kind'] = MODEL_KINDS[0];
const codes: readonly string[][] = [EO_FETCH_ERROR_CODES, GEO_SAMPLING_ERROR_CODES, METRICS_ERROR_CODES,
  RASTER_IO_ERROR_CODES, SRNET_ERROR_CODES, STRATIFY_ERROR_CODES, DATASET_ERROR_CODES, WORLDSTRAT_ERROR_CODES].map((c) => [...c]);
const entries = [eoNode, geoNode, rasterNode, srnetNode, stratifyNode, datasetNode, worldstratNode].map((m) => Object.keys(m).length);
const tileColumn: 'tile' = METADATA_COLUMNS[0];
console.log(polyNotAny, typed.type, up.length, kind, codes.length, entries, tileColumn);
`,
);
fs.writeFileSync(
  path.join(all, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      lib: ['es2023', 'dom'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    },
    files: ['consumer.mts'],
  }),
);
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
try {
  run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: all });
  console.log('tsc consumer.mts: ok');
} catch (e) {
  fail(`tsc consumer.mts:\n${e.stdout || e.message}`);
}

const esbuild = createRequire(createRequire(path.join(root, 'package.json')).resolve('tsup')).resolve(
  'esbuild',
);
const { buildSync } = await import(esbuild);
fs.writeFileSync(
  path.join(all, 'one-constant.mjs'),
  "import { MODEL_KINDS } from '@worldstrat/srnet';\nconsole.log(MODEL_KINDS);\n",
);
const bundle = buildSync({
  entryPoints: [path.join(all, 'one-constant.mjs')],
  bundle: true,
  minify: true,
  platform: 'browser',
  format: 'esm',
  write: false,
  logLevel: 'silent',
});
const bundleBytes = bundle.outputFiles[0].contents.length;
console.log(`browser bundle of import { MODEL_KINDS } from '@worldstrat/srnet': ${bundleBytes} B`);
if (bundleBytes > SRNET_CONSTANT_BUNDLE_MAX)
  fail(`that bundle is ${bundleBytes} B (max ${SRNET_CONSTANT_BUNDLE_MAX})`);

// 4. Report; the scratch directory is ours alone (mkdtemp), so it is removed.
console.log('\ninstall footprint (npm install <package> alone):');
for (const f of footprints)
  console.log(
    `  ${f.name.padEnd(26)} ${(f.bytes / MB).toFixed(1).padStart(7)} MB${f.budget !== undefined ? `  (ceiling ${f.budget} MB)` : ''}${
      f.bytes > (TARGET_MB[f.name] ?? Number.POSITIVE_INFINITY) * MB
        ? `  target ${TARGET_MB[f.name]} MB not met`
        : ''
    }`,
  );
fs.rmSync(scratch, { recursive: true, force: true });
if (failures.length) {
  console.error(`\npack-smoke: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log(`\npack-smoke: ok (${elapsed()})`);
