// The release layout seen through its zips (v1.1: hr_dataset.zip, lr_dataset_l2a.zip, lr_dataset_l1c.zip): a
// read-only folder tree built from the central directories, opened lazily per zip. Browser-safe.
import type { ByteSource } from '@worldstrat/raster-io';
import type { ZipArchive, ZipEntry } from '../archive/zip/open-zip.js';
import { DatasetError } from '../errors.js';
import { MACOS_METADATA_DIR } from '../internal/macos-metadata.js';
import { HR_DIR, LR_DIR } from '../layout.js';

/** One zip of the release and the part of the layout it holds. */
export interface ZipPart {
  /** `hr_dataset` (HR products) or `lr_dataset` (one level of revisits). */
  topDir: typeof HR_DIR | typeof LR_DIR;
  /** The level a `lr_dataset` zip holds (`L2A` or `L1C`); undefined for the HR zip. */
  level?: 'L2A' | 'L1C';
  /** Skip entries outside `hr_dataset/`/`lr_dataset/` instead of putting them under `topDir` (a zip of everything). */
  strict?: boolean;
  /** Opens the zip (called once, on first use). */
  open(): Promise<ZipArchive>;
}

/** A file of the tree: its zip and entry. */
export interface ZipTreeFile {
  zip: ZipArchive;
  entry: ZipEntry;
}

/**
 * Layout path of a zip entry: from its first `hr_dataset/` or `lr_dataset/` segment down (the v1.1 zips
 * unpack to `hr_dataset/<AOI>/…` and `lr_dataset/<AOI>/<level>/…`; a leading wrapper folder is tolerated); an
 * entry with neither gets the zip's own top folder in front. Entries under a macOS `__MACOSX` folder (Finder's
 * `._<name>` companions) are skipped. Absolute names, `..`, backslashes and NUL are refused.
 *
 * @param zip - archive label for messages.
 * @param name - the entry name.
 * @param topDir - the zip's top folder (undefined: entries outside the layout folders are skipped).
 * @returns path segments, or null for folder entries and skipped ones.
 * @throws {DatasetError} `UNSAFE_ARCHIVE_PATH`.
 */
export function layoutParts(zip: string, name: string, topDir: string | undefined): string[] | null {
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name) || name.includes('\\') || name.includes('\0'))
    throw unsafe(zip, name);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(zip, name);
  if (name.endsWith('/') || parts.length === 0 || parts.includes(MACOS_METADATA_DIR)) return null;
  const at = parts.findIndex((p) => p === HR_DIR || p === LR_DIR);
  if (at >= 0) return parts.slice(at);
  return topDir ? [topDir, ...parts] : null;
}

const unsafe = (zip: string, name: string) =>
  new DatasetError(
    'UNSAFE_ARCHIVE_PATH',
    `${zip}: entry "${name}" is an absolute path or leaves its folder; refusing the archive (corrupt or malicious)`,
  );

/**
 * Most path segments of a layout entry (the release is 4 deep: `lr_dataset/<AOI>/<level>/<file>`); deeper
 * entries are refused (`UNSUPPORTED_ZIP`), since indexing one costs its depth squared.
 */
const MAX_ENTRY_DEPTH = 32;

const tooDeep = (zip: string, name: string, depth: number) =>
  new DatasetError(
    'UNSUPPORTED_ZIP',
    `${zip}: entry "${name.length > 200 ? `${name.slice(0, 200)}…` : name}" is ${depth} folders deep, over the ${MAX_ENTRY_DEPTH} the layout allows; refusing the archive`,
  );

/**
 * Whether layout path segments belong to the part of the layout a zip stands for: its top folder and, for a
 * zip of one level, that level's folder (or a file beside the levels). Anything else is another zip's, and a
 * copy here would shadow it when this zip is opened first.
 */
function holds(part: ZipPart, parts: readonly string[]): boolean {
  if (parts[0] !== part.topDir) return false;
  return !part.level || parts.length < 4 || parts[2] === part.level;
}

/** Folders and files of the zips opened so far. */
interface Index {
  dirs: Map<string, Set<string>>;
  files: Map<string, ZipTreeFile>;
}

/**
 * A folder tree over the release zips. Paths are layout-relative (`hr_dataset/A/A_ps.tiff`). A zip is opened
 * (its central directory read) the first time a path it may hold is asked for.
 */
export class ZipTree {
  readonly #parts: ZipPart[];
  readonly #opened = new Map<ZipPart, Promise<void>>();
  readonly #index: Index = { dirs: new Map([['', new Set()]]), files: new Map() };

  /** @param parts - the zips and what they hold. */
  constructor(parts: readonly ZipPart[]) {
    this.#parts = [...parts];
    for (const p of parts) this.#index.dirs.get('')?.add(p.topDir);
  }

  /** Zips that may hold `rel` (an LR path names its level at depth 3: `lr_dataset/<AOI>/<level>`). */
  #partsFor(rel: string): ZipPart[] {
    const seg = rel.split('/').filter(Boolean);
    if (seg.length === 0) return [];
    return this.#parts.filter(
      (p) => p.topDir === seg[0] && (!p.level || seg.length < 3 || seg[2] === p.level),
    );
  }

  async #ensure(rel: string): Promise<void> {
    await Promise.all(
      this.#partsFor(rel).map((p) => {
        let o = this.#opened.get(p);
        if (!o) {
          o = p.open().then((zip) => this.#add(zip, p));
          o.catch(() => this.#opened.delete(p));
          this.#opened.set(p, o);
        }
        return o;
      }),
    );
  }

  #add(zip: ZipArchive, part: ZipPart): void {
    // layout path → entry name, of this zip's entries: one file listed twice is a corrupt zip (which copy a
    // reader got would depend on the order of its directory), as extractZip finds it
    const own = new Map<string, string>();
    for (const entry of zip.entries) {
      const parts = layoutParts(zip.name, entry.name, part.strict ? undefined : part.topDir);
      if (!parts || !holds(part, parts)) continue;
      // every folder of an entry is a key of the index: a 64 KiB name of `a/a/…` would cost ~1 GiB of keys
      if (parts.length > MAX_ENTRY_DEPTH) throw tooDeep(zip.name, entry.name, parts.length);
      const path = parts.join('/');
      const first = own.get(path);
      if (first !== undefined)
        throw new DatasetError(
          'CORRUPT_ZIP',
          `${zip.name}: entries "${first}" and "${entry.name}" are both ${path}; the file is listed twice`,
        );
      own.set(path, entry.name);
      if (this.#index.files.has(path)) continue; // a file two zips hold (none in the release): the first wins
      this.#index.files.set(path, { zip, entry });
      let dir = '';
      for (let i = 0; i < parts.length; i++) {
        let set = this.#index.dirs.get(dir);
        if (!set) {
          set = new Set();
          this.#index.dirs.set(dir, set);
        }
        set.add(parts[i] as string);
        dir = i === 0 ? (parts[0] as string) : `${dir}/${parts[i]}`;
      }
    }
  }

  /** Top folders exist as soon as a zip for them is known (without opening it). */
  async isDir(rel: string): Promise<boolean> {
    if (!rel.includes('/') && (rel === '' || this.#index.dirs.get('')?.has(rel))) return true;
    await this.#ensure(rel);
    return this.#index.dirs.has(rel);
  }

  /** Names in a folder, or null when there is no such folder. */
  async list(rel: string): Promise<string[] | null> {
    await this.#ensure(rel);
    const set = this.#index.dirs.get(rel);
    return set ? [...set] : null;
  }

  /** The zip entry at a layout path, or undefined. */
  async file(rel: string): Promise<ZipTreeFile | undefined> {
    await this.#ensure(rel);
    return this.#index.files.get(rel);
  }

  /** A file's bytes as a source: stored entries by window, deflated ones inflated whole (size-capped). */
  async source(rel: string, signal?: AbortSignal): Promise<ByteSource> {
    const f = await this.file(rel);
    if (!f) throw new DatasetError('UNREADABLE_FILE', `${rel} is in none of the release zips`);
    if (f.entry.method === 0) return f.zip.entrySource(f.entry, signal);
    const bytes = await f.zip.readEntry(f.entry, signal);
    const name = `${f.zip.name}!/${f.entry.name}`;
    return {
      name,
      size: bytes.byteLength,
      read: async (offset, length) =>
        bytes.subarray(Math.min(offset, bytes.byteLength), Math.min(offset + length, bytes.byteLength)),
    };
  }
}
