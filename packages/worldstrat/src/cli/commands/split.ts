// `worldstrat split`: stratified, grouped train/val/test split of a table, or upstream's paper split.
import { readFile } from 'node:fs/promises';
import { parseCsv, toCsv } from '@worldstrat/core';
import { writeFileAtomic } from '@worldstrat/core/node';
import { paperSplit, stratifiedSplit } from '@worldstrat/stratify';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { intOption, numberOption, seedOption } from '../options.js';
import type { CliRunner } from '../runtime.js';

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
    .option('--fractions <list>', 'train,val,test fractions', '0.8,0.1,0.1')
    .option(
      '--directory-count <n>',
      'paper mode: entries of hr_dataset/ (upstream M)',
      intOption('directory-count', { min: 1, max: 10_000_000 }),
    )
    .action((table: string, _opts, cmd: Command) =>
      run(cmd, async (o, rt) => {
        const text = await readFile(table, 'utf8').catch((e) => {
          throw new WorldStratError('DATASET_NOT_FOUND', `${table}: ${(e as Error).message}`, { cause: e });
        });
        const { header, rows } = parseCsv(text);
        const nameCol = o.nameColumn as string;
        if (!header.includes(nameCol)) {
          throw new WorldStratError(
            'INVALID_ARGUMENT',
            `${table} has no column "${nameCol}"; pass --name-column (columns: ${header.join(', ')})`,
          );
        }
        const outHeader = header.includes('split') ? header : [...header, 'split'];
        const cell = (r: Record<string, string>, h: string) => r[h] ?? '';
        let outRows: string[][];
        let counts: Record<string, number>;
        let dropped = 0;
        if (o.mode === 'paper') {
          const ps = paperSplit(
            rows.map((r) => r[nameCol]),
            {
              ...(o.seed !== undefined ? { seed: o.seed as number } : {}),
              ...(o.directoryCount !== undefined ? { directoryCount: o.directoryCount as number } : {}),
            },
          );
          const queue = new Map<string, string[]>();
          for (const k of ['train', 'val', 'test', 'unused'] as const) {
            for (const n of ps[k]) queue.set(n, [...(queue.get(n) ?? []), k]);
          }
          outRows = rows.map((r) => {
            const q = queue.get(r[nameCol]) ?? [];
            const s = q.shift() ?? 'unused';
            return outHeader.map((h) => (h === 'split' ? s : cell(r, h)));
          });
          counts = {
            train: ps.train.length,
            val: ps.val.length,
            test: ps.test.length,
            unused: ps.unused.length,
          };
        } else if (o.mode === 'stratified') {
          const classCol = o.classColumn as string;
          if (!header.includes(classCol)) {
            throw new WorldStratError(
              'INVALID_ARGUMENT',
              `${table} has no column "${classCol}"; pass --class-column`,
            );
          }
          const fraction = numberOption('fractions', { min: 0, max: 1 });
          const parts = Array.isArray(o.fractions) ? o.fractions : String(o.fractions).split(',');
          const fractions = parts.map((p) => fraction(String(p))) as [number, number, number];
          if (fractions.length !== 3) {
            throw new WorldStratError(
              'INVALID_ARGUMENT',
              `--fractions ${o.fractions}: give three numbers like 0.8,0.1,0.1`,
            );
          }
          const groupCol = o.groupColumn as string | undefined;
          const res = stratifiedSplit(rows, {
            nameOf: (r) => r[nameCol],
            classOf: (r) => r[classCol],
            ...(groupCol
              ? { groupOf: (r: Record<string, string>) => r[groupCol] || r[nameCol] }
              : { groupOf: (r: Record<string, string>) => r[nameCol] }),
            fractions,
            seed: (o.seed as number | undefined) ?? 0,
          });
          dropped = res.duplicates.length;
          for (const d of res.duplicates)
            rt.info(`duplicate ${d.name} (row ${d.index}, first at ${d.firstIndex}) dropped`);
          const kept = new Set<number>();
          outRows = [];
          rows.forEach((r, i) => {
            const s = res.splitOf.get(r[nameCol]);
            if (!s || res.duplicates.some((d) => d.index === i) || kept.has(i)) return;
            kept.add(i);
            outRows.push(outHeader.map((h) => (h === 'split' ? s : cell(r, h))));
          });
          counts = { train: res.train.length, val: res.val.length, test: res.test.length };
        } else {
          throw new WorldStratError('INVALID_ARGUMENT', `--mode ${o.mode}: use stratified or paper`);
        }
        await writeFileAtomic(
          o.out as string,
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
      }),
    );
}
