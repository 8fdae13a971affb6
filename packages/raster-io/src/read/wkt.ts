// A small, bounded WKT reader (WKT1 as ESRI and GDAL write it, WKT2): enough to tell which CRS an ESRI PE string
// in a GeoTIFF citation or the SRS of a GDAL .aux.xml sidecar names. It builds the keyword tree and nothing more;
// what a CRS means is decided by its callers.

/** One WKT node: `KEYWORD[arg, arg, ...]`; an argument is quoted text, a number, a bare word or a node. */
export interface WktNode {
  keyword: string;
  args: WktValue[];
}

export type WktValue = WktNode | string | number | { word: string };

/** Longest WKT read (a CRS definition is a few KB; a larger text is not one). */
export const MAX_WKT_CHARS = 256 * 1024;
/** Deepest nesting read (a CRS nests a dozen levels). */
const MAX_DEPTH = 64;

const OPEN = new Set(['[', '(']);
const CLOSE = new Set([']', ')']);

/**
 * The node tree of `text`, or undefined when it is no single well-formed WKT node (or longer or deeper than the
 * bounds above). Quoted text doubles its `"` inside (WKT's escape); numbers are read as JavaScript reads them.
 */
export function parseWkt(text: string): WktNode | undefined {
  if (text.length > MAX_WKT_CHARS) return undefined;
  const p = { at: 0 };
  const root = readNode(text, p, 0);
  if (!root) return undefined;
  skipSpace(text, p);
  return p.at === text.length ? root : undefined;
}

function skipSpace(s: string, p: { at: number }): void {
  while (p.at < s.length && /\s/.test(s[p.at] as string)) p.at++;
}

function readWord(s: string, p: { at: number }): string {
  const start = p.at;
  while (p.at < s.length && /[A-Za-z0-9_.+-]/.test(s[p.at] as string)) p.at++;
  return s.slice(start, p.at);
}

function readNode(s: string, p: { at: number }, depth: number): WktNode | undefined {
  if (depth > MAX_DEPTH) return undefined;
  skipSpace(s, p);
  const keyword = readWord(s, p);
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(keyword)) return undefined;
  skipSpace(s, p);
  if (!OPEN.has(s[p.at] as string)) return undefined;
  p.at++;
  const args: WktValue[] = [];
  for (;;) {
    skipSpace(s, p);
    if (args.length === 0 && CLOSE.has(s[p.at] as string)) break;
    const value = readValue(s, p, depth);
    if (value === undefined) return undefined;
    args.push(value);
    skipSpace(s, p);
    if (s[p.at] === ',') {
      p.at++;
      continue;
    }
    break;
  }
  if (!CLOSE.has(s[p.at] as string)) return undefined;
  p.at++;
  return { keyword, args };
}

function readValue(s: string, p: { at: number }, depth: number): WktValue | undefined {
  const c = s[p.at];
  if (c === '"') return readQuoted(s, p);
  const start = p.at;
  const word = readWord(s, p);
  if (word === '') return undefined;
  skipSpace(s, p);
  if (OPEN.has(s[p.at] as string)) {
    p.at = start;
    return readNode(s, p, depth + 1);
  }
  const n = Number(word);
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(word) && Number.isFinite(n) ? n : { word };
}

function readQuoted(s: string, p: { at: number }): string | undefined {
  let out = '';
  p.at++;
  for (;;) {
    const end = s.indexOf('"', p.at);
    if (end < 0) return undefined;
    out += s.slice(p.at, end);
    p.at = end + 1;
    if (s[p.at] !== '"') return out;
    out += '"';
    p.at++;
  }
}

/** The child nodes of `node` with `keyword` (any case). */
export function wktChildren(node: WktNode, keyword: string): WktNode[] {
  const k = keyword.toUpperCase();
  return node.args.filter((a): a is WktNode => isNode(a) && a.keyword.toUpperCase() === k);
}

/** The first child node of `node` with one of `keywords` (any case). */
export function wktChild(node: WktNode, ...keywords: string[]): WktNode | undefined {
  for (const k of keywords) {
    const found = wktChildren(node, k)[0];
    if (found) return found;
  }
  return undefined;
}

export function isNode(v: WktValue | undefined): v is WktNode {
  return typeof v === 'object' && v !== null && 'keyword' in v;
}

/**
 * The authority code a node carries itself (WKT1 `AUTHORITY["EPSG","32633"]`, WKT2 `ID["EPSG",32633]`), as
 * `{ authority, code }` with the authority upper-cased; undefined without one or with a code that is no integer.
 */
export function wktAuthority(node: WktNode): { authority: string; code: number } | undefined {
  const id = wktChild(node, 'ID', 'AUTHORITY');
  const [authority, code] = id?.args ?? [];
  if (typeof authority !== 'string') return undefined;
  const n = typeof code === 'number' ? code : typeof code === 'string' ? Number(code.trim()) : Number.NaN;
  return Number.isSafeInteger(n) && n > 0 ? { authority: authority.toUpperCase(), code: n } : undefined;
}
