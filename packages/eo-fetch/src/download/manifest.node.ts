// Download manifest: JSON Lines, one record per file event, last record per path wins. Appends survive a
// kill -9 (a torn last line is ignored on load); compactManifest rewrites it to one line per file, atomically.
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Status of one file in the manifest. */
export type ManifestStatus = 'verified' | 'failed';

/** One manifest line. */
export interface ManifestRecord {
  /** AOI name, when the file belongs to one. */
  aoi?: string;
  /** Revisit number (1..N) when the file is a revisit. */
  revisit?: number;
  /** Catalogue item / product id. */
  itemId?: string;
  /** File path as given in the job. */
  path: string;
  /** Source URL (credentials redacted). */
  url: string;
  /** Size on disk in bytes (0 when failed). */
  bytes: number;
  /** Hex SHA-256 of the file ('' when failed). */
  sha256: string;
  status: ManifestStatus;
  /** Error code and message of a failed file. */
  error?: { code: string; message: string };
  /** ISO-8601 time of the record. */
  time: string;
}

/**
 * Reads a manifest into a map keyed by absolute path (the last record of each path wins). A missing file gives
 * an empty map; malformed lines (a torn write after a crash) are skipped.
 *
 * @param manifestPath - path of the JSONL manifest
 * @returns records by absolute path
 * @example
 * ```ts
 * const done = [...(await readManifest('out/manifest.jsonl')).values()].filter((r) => r.status === 'verified');
 * ```
 */
export async function readManifest(manifestPath: string): Promise<Map<string, ManifestRecord>> {
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  const out = new Map<string, ManifestRecord>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const rec = JSON.parse(line) as ManifestRecord;
      if (typeof rec.path === 'string' && typeof rec.status === 'string') out.set(resolve(rec.path), rec);
    } catch {
      // torn line from an interrupted append: ignore, the file will be re-verified or redone
    }
  }
  return out;
}

/**
 * Appends records to a manifest (creating it and its folder). Appends of one line are effectively atomic.
 *
 * @param manifestPath - path of the JSONL manifest
 * @param records - records to append
 */
export async function appendManifest(
  manifestPath: string,
  records: readonly ManifestRecord[],
): Promise<void> {
  if (records.length === 0) return;
  await mkdir(dirname(resolve(manifestPath)), { recursive: true });
  await appendFile(manifestPath, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/**
 * Rewrites a manifest with one line per file (the latest record), atomically (temp + rename).
 *
 * @param manifestPath - path of the JSONL manifest
 * @returns the number of records kept
 */
export async function compactManifest(manifestPath: string): Promise<number> {
  const records = [...(await readManifest(manifestPath)).values()];
  const tmp = `${manifestPath}.${process.pid}.tmp`;
  await writeFile(tmp, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  await rename(tmp, manifestPath);
  return records.length;
}

/**
 * Appends manifest records in batches: records queued while a write is in flight go out together in the next
 * one, so thousands of small files do not cost thousands of file opens.
 *
 * @example
 * ```ts
 * const writer = new ManifestWriter('out/manifest.jsonl');
 * await writer.append(record); // resolves once the line is on disk
 * ```
 */
export class ManifestWriter {
  private queue: ManifestRecord[] = [];
  private flushing: Promise<void> | null = null;

  /** @param path - the JSONL manifest */
  constructor(readonly path: string) {}

  /**
   * Queues a record.
   *
   * @param rec - record to append
   * @returns a promise that resolves once the record is written
   */
  append(rec: ManifestRecord): Promise<void> {
    this.queue.push(rec);
    if (!this.flushing) {
      this.flushing = (async () => {
        try {
          await Promise.resolve();
          while (this.queue.length) await appendManifest(this.path, this.queue.splice(0));
        } finally {
          this.flushing = null;
        }
      })();
    }
    return this.flushing;
  }
}
