// Text files are decoded strictly: a Latin-1 or cp1252 export read as UTF-8 would turn "Zürich" into "Z\uFFFDrich"
// without a word (and two such names into one), where Python's csv and pandas stop with a UnicodeDecodeError.

import { invalidArgument } from './internal/check-arguments.js';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Where bytes stop being UTF-8: the byte offset and the 1-based line of the first bad sequence. */
export interface Utf8Fault {
  byte: number;
  line: number;
}

/**
 * The text of UTF-8 `bytes` (a byte-order mark kept, as `Buffer#toString` keeps it), or where they first stop being
 * UTF-8.
 *
 * @param bytes - the file's bytes
 * @returns `{ text }`, or `{ fault }` naming the first invalid byte and its line
 * @throws {CoreError} `INVALID_ARGUMENT` when `bytes` is no Uint8Array
 * @example
 * ```ts
 * const r = decodeUtf8Text(await readFile('aois.csv'));
 * if ('fault' in r) throw new Error(`aois.csv: not UTF-8 at byte ${r.fault.byte} (line ${r.fault.line})`);
 * ```
 */
export function decodeUtf8Text(bytes: Uint8Array): { text: string } | { fault: Utf8Fault } {
  // isView: `Object.create(Uint8Array.prototype)` or a Proxy of one passes instanceof, then threw a TypeError
  if (!ArrayBuffer.isView(bytes) || !(bytes instanceof Uint8Array))
    throw invalidArgument('decodeUtf8Text', 'bytes', 'a Uint8Array', bytes);
  try {
    return { text: STRICT_UTF8.decode(bytes) };
  } catch {
    return { fault: firstUtf8Fault(bytes) };
  }
}

/** The first sequence that is not UTF-8 (WHATWG's rules: no overlong forms, surrogates or code points past U+10FFFF). */
function firstUtf8Fault(bytes: Uint8Array): Utf8Fault {
  let line = 1;
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      if (lead === 0x0a) line++;
      i++;
      continue;
    }
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) return { byte: i, line };
    i += length;
  }
  return { byte: bytes.length, line };
}

/** The length of the valid multi-byte sequence at `i`, or 0. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i] as number;
  const tail =
    lead >= 0xc2 && lead <= 0xdf
      ? 1
      : lead >= 0xe0 && lead <= 0xef
        ? 2
        : lead >= 0xf0 && lead <= 0xf4
          ? 3
          : 0;
  if (tail === 0) return 0;
  // the second byte's range excludes overlong forms (E0, F0), surrogates (ED) and code points past U+10FFFF (F4)
  const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
  const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
  const second = bytes[i + 1];
  if (second === undefined || second < low || second > high) return 0;
  for (let k = 2; k <= tail; k++) {
    const b = bytes[i + k];
    if (b === undefined || b < 0x80 || b > 0xbf) return 0;
  }
  return tail + 1;
}
