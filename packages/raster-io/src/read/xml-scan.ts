// A small, bounded XML reader for GDAL's own little XML documents (a PAM .aux.xml sidecar, a GDALMetadata tag):
// it checks the whole text is well formed but keeps only the elements near the root, so a sidecar holding a large
// raster attribute table costs its length in time and nothing in memory. A DTD is refused (GDAL's own reader does
// not take one either), so no entity is defined or expanded but the five XML predefines and character
// references; an unknown `&name;` stays as written.

/** One kept element: its attributes, its text (character data of its own, concatenated) and kept children. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: XmlElement[];
}

/** Why a text is no XML document this reader takes: where, and what. */
export class XmlScanError extends Error {
  override name = 'XmlScanError';
}

/** Deepest nesting read (GDAL's documents nest a few levels; a deeper one is hostile). */
const MAX_DEPTH = 256;

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const ATTRIBUTE = /^\s+([A-Za-z_:][A-Za-z0-9_:.-]*)\s*=\s*("[^"<]*"|'[^'<]*')/;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * The document's root element, with its descendants down to `keepDepth` levels below it (0: the root alone).
 * @throws XmlScanError for a text that is not one well-formed element (unclosed or mismatched tags, text or a
 *   second element outside the root, a bad attribute, a DOCTYPE, nesting past {@link MAX_DEPTH}), naming the
 *   character offset
 */
export function scanXml(text: string, keepDepth: number): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let at = 0;
  const fail = (why: string): never => {
    throw new XmlScanError(`${why} at character ${at}`);
  };
  while (at < text.length) {
    const lt = text.indexOf('<', at);
    const chunk = text.slice(at, lt < 0 ? text.length : lt);
    if (stack.length > 0) {
      const top = stack[stack.length - 1] as XmlElement;
      if (stack.length <= keepDepth + 1) top.text += decodeEntities(chunk);
    } else if (chunk.trim() !== '') {
      fail('text outside the root element');
    }
    if (lt < 0) break;
    at = lt;
    if (text.startsWith('<!--', at)) at = skipPast(text, at, '-->', fail);
    else if (text.startsWith('<![CDATA[', at)) {
      const end = skipPast(text, at, ']]>', fail);
      if (stack.length === 0) fail('character data outside the root element');
      const top = stack[stack.length - 1] as XmlElement;
      if (stack.length <= keepDepth + 1) top.text += text.slice(at + 9, end - 3);
      at = end;
    } else if (text.startsWith('<?', at)) at = skipPast(text, at, '?>', fail);
    else if (text.startsWith('<!', at))
      fail('a <!DOCTYPE> or other declaration (no DTD is read, no entity defined)');
    else if (text.startsWith('</', at)) {
      const name = NAME.exec(text.slice(at + 2, at + 2 + 1024))?.[0];
      const close = text.indexOf('>', at);
      const open = stack.pop();
      if (!name || close < 0 || text.slice(at + 2 + name.length, close).trim() !== '' || open?.name !== name)
        fail(`end tag ${name ? `</${name}>` : ''} does not close ${open ? `<${open.name}>` : 'any element'}`);
      at = close + 1;
    } else {
      if (root && stack.length === 0) fail('a second root element');
      const { element, end, empty } = readStartTag(text, at, fail);
      if (stack.length >= MAX_DEPTH) fail(`elements nested deeper than ${MAX_DEPTH}`);
      if (stack.length <= keepDepth) {
        if (stack.length === 0) root = element;
        else (stack[stack.length - 1] as XmlElement).children.push(element);
      }
      if (!empty) stack.push(element);
      at = end;
    }
  }
  if (stack.length > 0) fail(`<${(stack[stack.length - 1] as XmlElement).name}> is never closed`);
  if (!root) fail('no root element');
  return root as XmlElement;
}

/** A start tag at `at`: its element (no children yet), where it ends, and whether it closes itself. */
function readStartTag(
  text: string,
  at: number,
  fail: (why: string) => never,
): { element: XmlElement; end: number; empty: boolean } {
  const name = NAME.exec(text.slice(at + 1, at + 1 + 1024))?.[0];
  if (!name) fail('a tag without a name');
  const element: XmlElement = { name: name as string, attributes: {}, text: '', children: [] };
  let p = at + 1 + (name as string).length;
  for (;;) {
    const rest = text.slice(p, p + 65536);
    const attr = ATTRIBUTE.exec(rest);
    if (attr) {
      const [all, key, quoted] = attr as unknown as [string, string, string];
      element.attributes[key] = decodeEntities(quoted.slice(1, -1));
      p += all.length;
      continue;
    }
    const close = /^\s*(\/?)>/.exec(rest);
    if (!close) fail(`a malformed start tag <${name}>`);
    const [all, slash] = close as unknown as [string, string];
    return { element, end: p + all.length, empty: slash === '/' };
  }
}

/** Past the first `terminator` after `at`. */
function skipPast(text: string, at: number, terminator: string, fail: (why: string) => never): number {
  const end = text.indexOf(terminator, at + 2);
  if (end < 0) fail(`an unterminated ${text.slice(at, at + 4)}…`);
  return end + terminator.length;
}

/** The five predefined entities and character references; anything else is left as written. */
function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]+);/g, (all, ref: string) => {
    if (ref[0] !== '#') return PREDEFINED[ref] ?? all;
    const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
    return code <= 0x10ffff ? String.fromCodePoint(code) : all;
  });
}

/** The first child of `element` named `name`. */
export function xmlChild(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}
