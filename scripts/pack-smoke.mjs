// Pack-and-install smoke test: what users get from npm. Packs every package with pnpm (which rewrites
// workspace:* and runs each prepack build), installs the tarballs with plain npm into scratch projects outside
// the workspace, imports every entry from ESM and CJS, typechecks a consumer against the shipped .d.ts files,
// bundles one srnet constant, and prints each package's install footprint against its budget.
// Run from the repository root after `pnpm install`: `pnpm pack-smoke` (or `node scripts/pack-smoke.mjs`).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const MB = 1024 * 1024;
// Footprint ceilings (node_modules of a project that installs only that package, optional peers left out);
// unlisted packages are reported only.
const BUDGET_MB = {
  '@worldstrat/core': 1,
  '@worldstrat/metrics': 1,
  '@worldstrat/raster-io': 11, // 10.0 MB with the LERC, WEBP and mask readers; geotiff.js and its pako/zstddec are 6.8
  '@worldstrat/geo-sampling': 15,
  '@worldstrat/srnet': 160,
};
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

// The app installs koffi, raster-io's optional peer: with the system's libdeflate (GDAL's dependency, so present
// wherever CI runs) deflate must run on it in an npm install too, ESM and CJS.
const systemLibdeflate = ['x86_64', 'aarch64'].some((arch) =>
  fs.existsSync(`/usr/lib/${arch}-linux-gnu/libdeflate.so.0`),
);
if (systemLibdeflate) {
  for (const [kind, code, args] of [
    [
      'ESM',
      `import('@worldstrat/raster-io/node').then((m) => console.log(m.deflateBackend()))`,
      ['--input-type=module', '-e'],
    ],
    ['CJS', `console.log(require('@worldstrat/raster-io/node').deflateBackend())`, ['-e']],
  ]) {
    try {
      const backend = run(process.execPath, [...args, code], { cwd: all }).trim();
      if (!backend.startsWith('libdeflate'))
        fail(`${kind} raster-io deflate backend is ${backend}, not libdeflate`);
      else console.log(`${kind} raster-io deflate backend: ${backend}`);
    } catch (e) {
      fail(`${kind} raster-io deflate backend: ${String(e.stderr || e.message).split('\n')[0]}`);
    }
  }
}

// Typed consumer: a namespace import of every entry of every package (discovered, so new packages are covered),
// plus a few checks that exported types did not silently become `any` (an unresolved import inside a .d.ts).
const specs = pkgs.flatMap((p) =>
  p.subpaths.map((sub) => (sub === '.' ? p.name : `${p.name}/${sub.slice(2)}`)),
);
fs.writeFileSync(
  path.join(all, 'consumer.mts'),
  `import type { MultiPolygon, Polygon } from 'geojson';
import { bboxToPolygon } from '@worldstrat/geo-sampling';
import { resize } from '@worldstrat/raster-io';
import { MODEL_KINDS, type ModelConfig } from '@worldstrat/srnet';
${specs.map((spec, i) => `import * as entry${i} from '${spec}';`).join('\n')}

type IsAny<T> = 0 extends 1 & T ? true : false;
const poly = bboxToPolygon([0, 0, 1, 1]);
const polyNotAny: IsAny<typeof poly> = false;
const typed: Polygon | MultiPolygon = poly;
const up: Float32Array = resize(new Float32Array(4), [1, 2, 2], [4, 4], { method: 'bicubic' });
const kind: ModelConfig['kind'] = MODEL_KINDS[0];
const entries = [${specs.map((_, i) => `entry${i}`).join(', ')}].map((m) => Object.keys(m).length);
// every package's error-code list is a typed string list
const codes: string[] = [${specs.map((_, i) => `entry${i}`).join(', ')}].flatMap((m) =>
  Object.entries(m).flatMap(([k, v]) => (k.endsWith('_ERROR_CODES') ? [...(v as readonly string[])] : [])),
);
console.log(polyNotAny, typed.type, up.length, kind, entries, codes.length);
`,
);
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
// Both resolutions users configure: Node's (exports conditions, .d.ts / .d.cts) and bundlers'.
for (const [label, module, moduleResolution] of [
  ['node16', 'node16', 'node16'],
  ['bundler', 'esnext', 'bundler'],
]) {
  fs.writeFileSync(
    path.join(all, `tsconfig.${label}.json`),
    JSON.stringify({
      compilerOptions: {
        module,
        moduleResolution,
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
  try {
    run(process.execPath, [tsc, '-p', `tsconfig.${label}.json`], { cwd: all });
    console.log(`tsc consumer.mts (moduleResolution ${moduleResolution}): ok`);
  } catch (e) {
    fail(`tsc consumer.mts (moduleResolution ${moduleResolution}):\n${e.stdout || e.message}`);
  }
}
// skipLibCheck hides a .d.ts that imports an undeclared package: every bare import of a shipped .d.ts must be
// a Node builtin or a declared dependency / peer (or its @types package).
for (const p of pkgs) {
  const dir = path.join(all, 'node_modules', ...p.name.split('/'));
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const declared = new Set([
    p.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
  const dts = fs.readdirSync(path.join(dir, 'dist'), { recursive: true }).filter((f) => /\.d\.c?ts$/.test(f));
  const missing = new Set();
  for (const f of dts) {
    const text = fs.readFileSync(path.join(dir, 'dist', f), 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"./][^'"]*)['"]/g)) {
      const spec = m[1];
      if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      const typesName = `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
      if (!declared.has(name) && !declared.has(typesName)) missing.add(`${name} (${f})`);
    }
  }
  if (missing.size) fail(`${p.name}: shipped .d.ts import undeclared packages: ${[...missing].join(', ')}`);
}
console.log('shipped .d.ts imports: checked');

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
    `  ${f.name.padEnd(26)} ${(f.bytes / MB).toFixed(1).padStart(7)} MB${f.budget !== undefined ? `  (ceiling ${f.budget} MB${f.bytes > f.budget * MB ? ', EXCEEDED' : ''})` : ''}`,
  );
fs.rmSync(scratch, { recursive: true, force: true });
if (failures.length) {
  console.error(`\npack-smoke: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log(`\npack-smoke: ok (${elapsed()})`);
