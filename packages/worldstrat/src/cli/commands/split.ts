// `worldstrat split`: stratified, grouped train/val/test split of a table, or upstream's paper split.
import { parseCsv, toCsv } from '@worldstrat/core';
import { writeFileAtomic } from '@worldstrat/core/node';
import { paperSplitLabels, type StratifiedSplitOptions, stratifiedSplitLabels } from '@worldstrat/stratify';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { checkOutputPaths } from '../../internal/output-paths.node.js';
import { readInputText } from '../../pipelines/read-input.node.js';
import { commaListOption, intOption, numberOption, seedOption } from '../options.js';
import type { CliRunner, CliRuntime } from '../runtime.js';

/** Register the command. */
export function registerSplit(program: Command, run: CliRunner): void {
  program
    .command('split')
    .description(
      'assign train/val/test: stratified by class and grouped by parent, or the upstream paper split',
    )
    .argument('<table>', 'CSV with a name column (tile/name) and a class column')
    .requiredOption('--out <file>', 'output CSV (the input columns plus "split")')
    .option('--mode <mode>', 'stratified | paper', 'stratified')
    .option(
      '--seed <n>',
      'seed (stratified: createRng; paper: torch data_split_seed, default 386564310)',
      seedOption(),
    )
    .option('--name-column <col>', 'column with the AOI name', 'tile')
    .option('--class-column <col>', 'stratum column (stratified mode)', 'joint_class')
    .option('--group-column <col>', 'rows sharing this value stay in one split (e.g. parent)')
    .option('--fractions <list>', 'train,val,test fractions', commaListOption(), '0.8,0.1,0.1')
    .option(
      '--directory-count <n>',
      'paper mode: entries of hr_dataset/ (upstream M)',
      intOption('directory-count', { min: 1, max: 10_000_000 }),
    )
    .action((table: string, _opts, cmd: Command) =>
      run<SplitOptions>(cmd, (o, rt) => splitAction(table, o, rt)),
    );
}

/** Options of `worldstrat split` (as its parsers return them). */
interface SplitOptions {
  out: string;
  mode: string;
  seed?: number;
  nameColumn: string;
  classColumn: string;
  groupColumn?: string;
  /** `0.8,0.1,0.1` on the command line; a config file may give a list. */
  fractions: string | (string | number)[];
  directoryCount?: number;
}

/** Read the table, label each row with the library's split, write the table with a `split` column. */
async function splitAction(table: string, o: SplitOptions, rt: CliRuntime): Promise<void> {
  await checkOutputPaths([{ path: o.out, what: '--out' }], [{ path: table, what: 'table' }]);
  const text = await readInputText(table, 'table');
  const { header, rows } = parseCsv(text, { name: table });
  const nameCol = o.nameColumn;
  if (!header.includes(nameCol)) {
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `${table} has no column "${nameCol}"; pass --name-column (columns: ${header.join(', ')})`,
    );
  }
  const outHeader = header.includes('split') ? header : [...header, 'split'];
  let labels: (string | null)[];
  let counts: Record<string, number>;
  let dropped = 0;
  if (o.mode === 'paper') {
    ({ labels, counts } = paperSplitLabels(
      rows.map((r) => r[nameCol]),
      {
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        ...(o.directoryCount !== undefined ? { directoryCount: o.directoryCount } : {}),
      },
    ));
  } else if (o.mode === 'stratified') {
    const res = stratifiedSplitLabels(rows, stratifiedSplitOptions(table, header, o));
    dropped = res.duplicates.length;
    for (const d of res.duplicates)
      rt.info(`duplicate ${d.name} (row ${d.index}, first at ${d.firstIndex}) dropped`);
    ({ labels, counts } = res);
  } else {
    throw new WorldStratError('INVALID_ARGUMENT', `--mode ${o.mode}: use stratified or paper`);
  }
  const outRows: string[][] = [];
  rows.forEach((r, i) => {
    const s = labels[i];
    if (s !== null) outRows.push(outHeader.map((h) => (h === 'split' ? s : (r[h] ?? ''))));
  });
  await writeFileAtomic(
    o.out,
    toCsv(
      outHeader.map((h) => (h.startsWith('__col') ? '' : h)),
      outRows,
    ),
  );
  rt.done(
    {
      mode: o.mode,
      rows: rows.length,
      written: outRows.length,
      duplicatesDropped: dropped,
      counts,
      out: o.out,
    },
    `${o.mode} split: ${Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ')}${dropped ? ` (${dropped} duplicates dropped)` : ''} → ${o.out}`,
  );
}

/** The stratified split's accessors and fractions from the options, checked against the table's columns. */
function stratifiedSplitOptions(
  table: string,
  header: readonly string[],
  o: SplitOptions,
): StratifiedSplitOptions<Record<string, string>> {
  const { nameColumn: nameCol, classColumn: classCol, groupColumn: groupCol } = o;
  if (!header.includes(classCol)) {
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `${table} has no column "${classCol}"; pass --class-column`,
    );
  }
  const fraction = numberOption('fractions', { min: 0, max: 1 });
  const parts = Array.isArray(o.fractions) ? o.fractions : String(o.fractions).split(',');
  const fractions = parts.map((p) => fraction(String(p)));
  if (fractions.length !== 3) {
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `--fractions ${o.fractions}: give three numbers like 0.8,0.1,0.1`,
    );
  }
  return {
    nameOf: (r) => r[nameCol],
    classOf: (r) => r[classCol],
    groupOf: groupCol ? (r) => r[groupCol] || r[nameCol] : (r) => r[nameCol],
    fractions: [fractions[0], fractions[1], fractions[2]],
    seed: o.seed ?? 0,
  };
}
