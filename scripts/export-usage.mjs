// Export usage report: for every runtime export of every package entry (read from the built dist), lists
// where the name is used outside the package's entry files, so exports that only the package's own tests use
// can be spotted. Run from the repository root after `pnpm build`: `node scripts/export-usage.mjs [--only-own-tests]`.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.turbo', 'coverage']);
const EXTS = /\.(m?[jt]sx?|cjs|md|html)$/;

function walk(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (EXTS.test(entry.name)) out.push(full);
  }
  return out;
}

const files = [];
for (const top of ['packages', 'examples', 'tests', 'scripts']) {
  if (fs.existsSync(path.join(root, top))) walk(path.join(root, top), files);
}
// Generated API lists would count every export as documented: only the hand-written prose counts.
const stripGenerated = (text) => text.replace(/<!-- api:start -->[\s\S]*?<!-- api:end -->/g, '');
const texts = files.map((f) => [path.relative(root, f), stripGenerated(fs.readFileSync(f, 'utf8'))]);

/** Usage category of a file, seen from package `pkg`. */
function category(rel, pkg) {
  const own = `packages/${pkg}/`;
  if (rel.startsWith(own)) {
    const sub = rel.slice(own.length);
    if (sub === 'README.md') return 'readme';
    if (/^src\/(index|node|arrow)\.ts$/.test(sub)) return null;
    if (sub.startsWith('src/')) return 'own-src';
    return 'own-tests';
  }
  return 'other';
}

const onlyOwnTests = process.argv.includes('--only-own-tests');
const totals = [];
for (const pkg of fs.readdirSync(path.join(root, 'packages')).sort()) {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'packages', pkg, 'package.json'), 'utf8'));
  let count = 0;
  const seen = new Set();
  for (const [sub, target] of Object.entries(manifest.exports ?? {})) {
    const file = target?.import?.default;
    if (!file || sub === './package.json') continue;
    const mod = await import(pathToFileURL(path.join(root, 'packages', pkg, file)).href);
    // node.ts re-exports index.ts: each name is reported (and counted) once, under its first entry.
    const names = Object.keys(mod).filter((n) => n !== 'default' && !seen.has(n));
    for (const n of names) seen.add(n);
    count += names.length;
    for (const name of names.sort()) {
      const re = new RegExp(`\\b${name}\\b`);
      const used = {};
      for (const [rel, text] of texts) {
        if (!re.test(text)) continue;
        const cat = category(rel, pkg);
        if (!cat) continue;
        used[cat] ??= [];
        used[cat].push(rel);
      }
      const cats = Object.keys(used);
      const testOnly = cats.length > 0 && cats.every((c) => c === 'own-tests' || c === 'own-src');
      if (onlyOwnTests && !(testOnly && used['own-tests'])) continue;
      const where = cats.map((c) => `${c}:${used[c].length}`).join(' ') || 'UNUSED';
      const others = (used.other ?? []).slice(0, 3).join(',');
      console.log(`${manifest.name}${sub === '.' ? '' : sub.slice(1)}\t${name}\t${where}\t${others}`);
    }
  }
  totals.push(`${manifest.name}: ${count}`);
}
console.log(`\nruntime exports per package:\n${totals.join('\n')}`);
