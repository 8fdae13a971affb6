// Per-unit result files of stages whose output is data rather than dataset files (catalogue search, SPOT
// orders): `<root>/rebuild/units/<kind>/<unit key>.json`, written atomically, holding the unit key and a
// sha256 of the result. A rerun of the same unit (same stage and parameters) finds a verified file and
// completes without work; a changed, truncated or foreign file is ignored and rewritten.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@worldstrat/core/node';
import { WorldStratError } from '../errors.js';
import type { DocumentSource } from './document-checks.node.js';
import { type ExecutorStage, type ExecutorUnit, unitKey } from './executor.js';

/** Largest unit output read back (bytes); a larger file is not ours and is redone. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Where a unit's output lives. */
export function unitOutputPath<P>(
  root: string,
  kind: string,
  stage: ExecutorStage,
  unit: ExecutorUnit<P>,
): string {
  return join(root, 'rebuild', 'units', kind, `${unitKey(stage, unit)}.json`);
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The verified output of an earlier run of this unit, or undefined (then the unit is redone).
 *
 * @param path - from {@link unitOutputPath}.
 * @param key - the unit key it must carry.
 * @param check - checks the stored result member by member (throws a WorldStratError when it is not one): a
 *   file whose hash matches but whose result is not of the unit's shape is not ours either.
 * @returns the stored result.
 */
export async function readUnitOutput<R>(
  path: string,
  key: string,
  check?: (result: unknown, doc: DocumentSource) => R,
): Promise<R | undefined> {
  const size = await stat(path).then(
    (s) => (s.isFile() ? s.size : Number.POSITIVE_INFINITY),
    () => Number.POSITIVE_INFINITY,
  );
  if (size > MAX_OUTPUT_BYTES) return undefined;
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (o === null || typeof o !== 'object') return undefined;
  const { key: k, sha256, result } = o as { key?: unknown; sha256?: unknown; result?: unknown };
  if (k !== key || typeof sha256 !== 'string' || digest(JSON.stringify(result) ?? '') !== sha256)
    return undefined;
  if (!check) return result as R;
  try {
    return check(result, { source: `unit output ${path}`, code: 'UNREADABLE_FILE' });
  } catch (e) {
    if (e instanceof WorldStratError) return undefined;
    throw e;
  }
}

/**
 * Write a unit's output atomically (temp + rename).
 *
 * @param path - from {@link unitOutputPath}.
 * @param key - the unit key.
 * @param result - JSON-serialisable result.
 */
export async function writeUnitOutput(path: string, key: string, result: unknown): Promise<void> {
  const body = JSON.stringify(result);
  await writeFileAtomic(path, `${JSON.stringify({ key, sha256: digest(body), result: JSON.parse(body) })}\n`);
}
