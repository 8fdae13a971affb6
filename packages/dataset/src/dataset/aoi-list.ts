// Tiles listed more than once in an AOI list. The released split CSV lists 38 tiles twice, 11 of them in two
// splits (upstream issue #12). Upstream keeps every row, and its per-split filter (`df[df.split == s]`) puts such a
// tile in each split it is listed in; the scanner does the same and reports every one instead of refusing the
// release.
import { DatasetError } from '../errors.js';
import type { DatasetProblem, SplitName } from './scan-dataset.node.js';

/** One row of an AOI list: the tile, its place in the list (CSV data row or `aois` index) and its split. */
export interface ListedTile {
  name: string;
  at: number;
  split?: SplitName;
}

/** Where an AOI list came from, for messages: a CSV (rows are data rows) or the caller's `aois` array. */
export interface AoiListSource {
  kind: 'csv' | 'array';
  /** The CSV's path or URL (`csv` only). */
  path?: string;
}

/** How the scanner treats a tile listed more than once (see `ScanDatasetOptions.duplicates`). */
type DuplicatePolicy = 'drop' | 'keep' | 'error';

/** A scene to build: its tile and the splits the list gives it (empty when the list has none). */
interface ListedScene {
  name: string;
  splits: SplitName[];
}

/**
 * Turn an AOI list into scenes under a duplicate policy, reporting each tile listed more than once:
 * `SPLIT_CONFLICT` when its rows name different splits, else `DUPLICATE_TILE`.
 *
 * @param tiles - the list's rows in order.
 * @param source - where the list came from (for messages).
 * @param problems - receives one problem per repeated tile.
 * @param policy - `'drop'` (default): one scene per tile holding every split its rows name; `'keep'`: one scene
 *   per row with that row's split, like upstream; `'error'`: refuse the list.
 * @returns the scenes, in list order.
 * @throws {DatasetError} `DATASET_LAYOUT` naming the list, the tile and its rows with `policy` `'error'`.
 */
export function resolveDuplicates(
  tiles: readonly ListedTile[],
  source: AoiListSource,
  problems: DatasetProblem[],
  policy: DuplicatePolicy = 'drop',
): ListedScene[] {
  const rows = new Map<string, ListedTile[]>();
  for (const t of tiles) rows.set(t.name, [...(rows.get(t.name) ?? []), t]);
  for (const [name, listed] of rows) {
    if (listed.length < 2) continue;
    if (policy === 'error') {
      throw new DatasetError(
        'DATASET_LAYOUT',
        `${sourceLabel(source)}tile ${JSON.stringify(name)} is listed ${timesOf(listed.length)}: ${placesOf(listed, source)}; duplicates: 'error' refuses a repeated tile (keep one row per tile, or pass duplicates: 'drop' or 'keep')`,
      );
    }
    problems.push(duplicateProblem(name, listed, source, policy));
  }
  if (policy === 'keep') return tiles.map((t) => ({ name: t.name, splits: t.split ? [t.split] : [] }));
  return [...rows].map(([name, listed]) => ({ name, splits: splitsOf(listed) }));
}

/** The distinct splits of a tile's rows, in row order. */
function splitsOf(listed: readonly ListedTile[]): SplitName[] {
  return [...new Set(listed.flatMap((t) => (t.split ? [t.split] : [])))];
}

/** The problem reported for a repeated tile, naming its rows and what the split does with it. */
function duplicateProblem(
  name: string,
  listed: readonly ListedTile[],
  source: AoiListSource,
  policy: 'drop' | 'keep',
): DatasetProblem {
  const splits = splitsOf(listed);
  const where = `${sourceLabel(source)}tile ${JSON.stringify(name)} is listed ${timesOf(listed.length)}: ${placesOf(listed, source)}`;
  const problem: DatasetProblem =
    splits.length > 1
      ? {
          code: 'SPLIT_CONFLICT',
          aoi: name,
          message: `${where}; split('csv') puts it in ${splits.join(' and ')}, as upstream's per-split filter does: a leak between those splits (upstream issue #12; duplicates: 'error' refuses such a list)`,
        }
      : {
          code: 'DUPLICATE_TILE',
          aoi: name,
          message: `${where}; ${policy === 'keep' ? 'each row is a scene, like upstream' : "kept as one scene; duplicates: 'keep' makes a scene of each row, like upstream"} (upstream issue #12)`,
        };
  if (source.path !== undefined) problem.path = source.path;
  return problem;
}

const sourceLabel = (source: AoiListSource) =>
  source.kind === 'csv' && source.path !== undefined ? `${source.path}: ` : '';

const timesOf = (n: number) => (n === 2 ? 'twice' : `${n} times`);

/** `train (data row 3115) and val (data row 3261)`, or `data rows 4 and 9` / `aois[1] and aois[4]` without splits. */
function placesOf(listed: readonly ListedTile[], source: AoiListSource): string {
  const rowsText = (ts: readonly ListedTile[]) =>
    source.kind === 'csv'
      ? `data row${ts.length > 1 ? 's' : ''} ${joinAnd(ts.map((t) => String(t.at)))}`
      : joinAnd(ts.map((t) => `aois[${t.at}]`));
  if (listed.every((t) => t.split === undefined)) return rowsText(listed);
  const groups = new Map<string, ListedTile[]>();
  for (const t of listed)
    groups.set(t.split ?? 'no split', [...(groups.get(t.split ?? 'no split') ?? []), t]);
  return joinAnd([...groups].map(([split, ts]) => `${split} (${rowsText(ts)})`));
}

const joinAnd = (items: readonly string[]) =>
  items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
