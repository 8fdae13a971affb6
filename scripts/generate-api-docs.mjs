// Writes each package README's API section (between <!-- api:start --> and <!-- api:end -->) from the TSDoc
// of the symbols each public entry exports: one list per `exports` subpath of its package.json (src/index.ts
// for ".", src/node.ts for "./node", ...), each list naming only what the entries above it do not already export.
// Packages are discovered under packages/*. Run with `pnpm run docs`; `--check` writes nothing and exits non-zero
// with a diff summary when a README is stale.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { diffSummary } from './lib/stale.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const check = process.argv.includes('--check');
const packagesDir = path.join(root, 'packages');
let stale = 0;

for (const dir of fs.readdirSync(packagesDir).sort()) {
  const pkgDir = path.join(packagesDir, dir);
  const readme = path.join(pkgDir, 'README.md');
  const manifestFile = path.join(pkgDir, 'package.json');
  if (!fs.existsSync(readme) || !fs.existsSync(manifestFile)) continue;
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  const entries = entryFiles(pkgDir, manifest);
  if (entries.length === 0) continue;
  const lists = exportLists(entries);
  const section = renderSection(manifest.name, lists);
  const text = fs.readFileSync(readme, 'utf8');
  const re = /<!-- api:start -->[\s\S]*<!-- api:end -->/;
  const next = re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`;
  if (next === text) continue;
  stale += 1;
  const count = lists.reduce((n, l) => n + l.lines.length, 0);
  if (check) console.log(diffSummary(`packages/${dir}/README.md API section`, text, next));
  else {
    fs.writeFileSync(readme, next);
    console.log(`updated: packages/${dir}/README.md (${count} exports)`);
  }
}
if (check && stale > 0) process.exit(1);

/** The package's public entries in `exports` order: [{ subpath, file }] for those with a source file. */
function entryFiles(pkgDir, manifest) {
  const subpaths = Object.keys(manifest.exports ?? { '.': null }).filter((s) => !s.endsWith('.json'));
  const out = [];
  for (const subpath of subpaths) {
    const base = subpath === '.' ? 'index' : subpath.slice(2);
    const file = path.join(pkgDir, 'src', `${base}.ts`);
    if (fs.existsSync(file)) out.push({ subpath, file, rel: `src/${base}.ts` });
  }
  return out;
}

/** One list per entry; an entry's list leaves out names an earlier entry exports (node.ts re-exports index). */
function exportLists(entries) {
  const program = ts.createProgram(
    entries.map((e) => e.file),
    {
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      target: ts.ScriptTarget.ES2022,
      skipLibCheck: true,
      noEmit: true,
    },
  );
  const checker = program.getTypeChecker();
  const seen = new Set();
  const lists = [];
  for (const entry of entries) {
    const source = program.getSourceFile(entry.file);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) continue;
    const lines = [];
    let reexported = 0;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const name = exported.getName();
      if (seen.has(name)) {
        reexported += 1;
        continue;
      }
      seen.add(name);
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const doc = ts.displayPartsToString(symbol.getDocumentationComment(checker)).split('\n')[0].trim();
      const kind = describeKind(symbol);
      lines.push(`- \`${name}\`${kind ? ` (${kind})` : ''}${doc ? ` — ${doc}` : ''}`);
    }
    lists.push({ ...entry, lines, reexported });
  }
  return lists;
}

function renderSection(name, lists) {
  const names = lists.map((l) => `\`${l.rel}\``);
  const sources = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0];
  const parts = [
    `<!-- api:start -->\n## API\n\nGenerated from the TSDoc of ${sources} by \`pnpm run docs\`; do not edit by hand.`,
  ];
  for (const l of lists) {
    if (lists.length > 1) {
      const spec = l.subpath === '.' ? name : `${name}/${l.subpath.slice(2)}`;
      const heading = `### \`${spec}\`${l.subpath === './node' ? ' (Node.js only)' : ''}`;
      const earlier = lists.slice(0, lists.indexOf(l)).reduce((n, e) => n + e.lines.length, 0);
      const also =
        l.reexported === 0
          ? ''
          : l.reexported >= earlier
            ? 'Also re-exports everything listed above. '
            : `Also re-exports ${l.reexported} of the names listed above. `;
      const body = lists.indexOf(l) === 0 ? '' : l.lines.length ? `${also}Adds:` : `${also}Adds nothing.`;
      parts.push(body ? `${heading}\n\n${body}` : heading);
    }
    if (l.lines.length) parts.push(l.lines.join('\n'));
  }
  return `${parts.join('\n\n')}\n<!-- api:end -->`;
}

function describeKind(symbol) {
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  if (f & ts.SymbolFlags.Variable) return 'const';
  return '';
}
