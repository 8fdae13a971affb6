// Shared by the README generators: in `--check` mode, say what a stale generated section would change.

/** A short line-diff summary between the README's text and what the generator would write. */
export function diffSummary(label, before, after, maxLines = 12) {
  const old = before.split('\n');
  const next = after.split('\n');
  const oldSet = new Set(old);
  const nextSet = new Set(next);
  const removed = old.filter((l) => !nextSet.has(l));
  const added = next.filter((l) => !oldSet.has(l));
  const lines = [...removed.map((l) => `  - ${l}`), ...added.map((l) => `  + ${l}`)];
  const shown = lines.slice(0, maxLines);
  if (lines.length > maxLines) shown.push(`  … ${lines.length - maxLines} more changed line(s)`);
  if (lines.length === 0) shown.push('  (line order or whitespace only)');
  return `stale: ${label} (${removed.length} line(s) removed, ${added.length} added)\n${shown.join('\n')}`;
}
