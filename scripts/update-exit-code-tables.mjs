// Rewrites the exit-code table in the root and worldstrat READMEs from the CLI's exit-code table
// (packages/worldstrat/src/cli/exit-codes.ts). Part of `pnpm docs`; `--check` writes nothing and exits non-zero
// with a diff summary if a README is stale.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { diffSummary } from './lib/stale.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const check = process.argv.includes('--check');
// exit-codes.ts imports types only, so transpiling it alone needs no built packages
const source = fs.readFileSync(path.join(root, 'packages/worldstrat/src/cli/exit-codes.ts'), 'utf8');
const { outputText } = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
});
const mod = await import(`data:text/javascript;base64,${Buffer.from(outputText).toString('base64')}`);
const table = mod.exitCodeTableMarkdown();
let stale = 0;
for (const readme of ['README.md', 'packages/worldstrat/README.md']) {
  const file = path.join(root, readme);
  const text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf('| exit | meaning | error codes |');
  if (start < 0) throw new Error(`${readme}: no exit-code table found`);
  let end = text.indexOf('\n\n', start);
  if (end < 0) end = text.length;
  const next = `${text.slice(0, start)}${table}${text.slice(end)}`;
  if (next === text) continue;
  stale++;
  if (check) console.log(diffSummary(`${readme} exit-code table`, text, next));
  else {
    fs.writeFileSync(file, next);
    console.log(`updated: ${readme}`);
  }
}
if (check && stale) process.exit(1);
