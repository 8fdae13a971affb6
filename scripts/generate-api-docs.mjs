// Writes each package README's API section (between <!-- api:start --> and <!-- api:end -->) from the TSDoc
// of the symbols its src/index.ts exports. Run with `pnpm docs`; `--check` fails if a README is stale.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const check = process.argv.includes('--check');
const packagesDir = path.join(root, 'packages');
let stale = 0;

for (const dir of fs.readdirSync(packagesDir).sort()) {
  const entry = path.join(packagesDir, dir, 'src', 'index.ts');
  const readme = path.join(packagesDir, dir, 'README.md');
  if (!fs.existsSync(entry) || !fs.existsSync(readme)) continue;
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) continue;
  const lines = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const doc = ts.displayPartsToString(symbol.getDocumentationComment(checker)).split('\n')[0].trim();
    const kind = describeKind(symbol);
    lines.push(`- \`${exported.getName()}\`${kind ? ` (${kind})` : ''}${doc ? ` — ${doc}` : ''}`);
  }
  const section = `<!-- api:start -->\n## API\n\nGenerated from the TSDoc of \`src/index.ts\` by \`pnpm docs\`; do not edit by hand.\n\n${lines.join('\n')}\n<!-- api:end -->`;
  const text = fs.readFileSync(readme, 'utf8');
  const re = /<!-- api:start -->[\s\S]*<!-- api:end -->/;
  const next = re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`;
  if (next !== text) {
    stale += 1;
    if (!check) fs.writeFileSync(readme, next);
    console.log(`${check ? 'stale' : 'updated'}: packages/${dir}/README.md (${lines.length} exports)`);
  }
}
if (check && stale > 0) process.exit(1);

function describeKind(symbol) {
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  if (f & ts.SymbolFlags.Variable) return 'const';
  return '';
}
