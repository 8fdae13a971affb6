// Split labels per input row, for tables that keep their rows in order (a CSV gains a `split` column): the
// list-of-names results of the two split functions mapped back onto the rows they came from.
import { type PaperSplitOptions, paperSplit } from './paper-split.js';
import { type SplitName, type StratifiedSplitOptions, splitRows } from './stratified-split.js';

/** A paper-split label: upstream also shuffles scenes past train + val + test, which it never uses. */
export type PaperSplitLabel = SplitName | 'unused';

/** What {@link paperSplitLabels} returns. */
export interface PaperSplitLabels {
  /** The label of each input name, in input order. */
  labels: PaperSplitLabel[];
  counts: Record<PaperSplitLabel, number>;
}

/**
 * The paper split ({@link paperSplit}) as one label per input name. Upstream keeps duplicate names, so a name
 * listed twice takes the labels of its occurrences in train, val, test, unused order.
 * @param names AOI names in table order (duplicates kept).
 * @param options seed, directory count, count overrides (as {@link paperSplit}).
 * @returns a label per name and the size of each split.
 * @throws StratifyError `INVALID_ARGUMENT` for bad counts or a name that is not a string (naming its index).
 * @example
 * paperSplitLabels(rows.map((r) => r.tile), PAPER_SPLIT).labels[0]; // 'train'
 */
export function paperSplitLabels(
  names: readonly string[],
  options: PaperSplitOptions = {},
): PaperSplitLabels {
  const ps = paperSplit(names, options);
  // Each name's labels in split order, handed out by a read index: copying or shift()ing the list per
  // occurrence is quadratic when one name repeats on every row.
  const queue = new Map<string, { labels: PaperSplitLabel[]; next: number }>();
  for (const k of ['train', 'val', 'test', 'unused'] as const) {
    for (const n of ps[k]) {
      const q = queue.get(n);
      if (q) q.labels.push(k);
      else queue.set(n, { labels: [k], next: 0 });
    }
  }
  const labels = names.map((n): PaperSplitLabel => {
    const q = queue.get(n);
    return q && q.next < q.labels.length ? q.labels[q.next++] : 'unused';
  });
  return {
    labels,
    counts: { train: ps.train.length, val: ps.val.length, test: ps.test.length, unused: ps.unused.length },
  };
}

/** What {@link stratifiedSplitLabels} returns. */
export interface StratifiedSplitLabels {
  /** The split of each input row, in input order; `null` for a row dropped as a duplicate name. */
  labels: (SplitName | null)[];
  counts: Record<SplitName, number>;
  /** Rows dropped because their name repeated an earlier row (index in the input, name, first index). */
  duplicates: { index: number; name: string; firstIndex: number }[];
}

/**
 * The stratified, grouped split (`stratifiedSplit`) as one label per input row.
 * @param rows the rows.
 * @param options name, class and group accessors, fractions, seed (as `stratifiedSplit`).
 * @returns a label per row (`null` for dropped duplicates), split sizes and the duplicates.
 * @throws StratifyError `INVALID_ARGUMENT` for fractions that are negative or do not sum to 1, or an accessor
 *   that returns something other than a string (naming the row).
 * @example
 * stratifiedSplitLabels(rows, { nameOf: (r) => r.tile, classOf: (r) => r.joint_class, seed: 1 }).labels;
 */
export function stratifiedSplitLabels<T>(
  rows: readonly T[],
  options: StratifiedSplitOptions<T>,
): StratifiedSplitLabels {
  // labels by row index: options.nameOf is not read or called again (a getter could hand over another accessor)
  const { result: res, splitOfIndex } = splitRows(rows, options, 'stratifiedSplit');
  const labels = rows.map((_, i) => splitOfIndex.get(i) ?? null);
  return {
    labels,
    counts: { train: res.train.length, val: res.val.length, test: res.test.length },
    duplicates: res.duplicates,
  };
}
