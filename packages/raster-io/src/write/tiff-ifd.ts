// Minimal classic-TIFF IFD serialisation (little-endian). Values that do not fit in 4 bytes go right
// after the IFD, so an IFD and its arrays form one contiguous run (what COG readers like).

/** TIFF field types we write. */
export const FIELD = { ASCII: 2, SHORT: 3, LONG: 4, DOUBLE: 12 } as const;
type FieldType = (typeof FIELD)[keyof typeof FIELD];
const FIELD_BYTES: Record<FieldType, number> = { 2: 1, 3: 2, 4: 4, 12: 8 };

/** One IFD entry before serialisation. */
export interface IfdEntry {
  tag: number;
  type: FieldType;
  values: ArrayLike<number> | string;
}

function count(e: IfdEntry): number {
  return typeof e.values === 'string' ? e.values.length + 1 : e.values.length;
}

/** Bytes an IFD with these entries occupies, out-of-line values included (each padded to even). */
export function ifdByteLength(entries: readonly IfdEntry[]): number {
  let n = 2 + entries.length * 12 + 4;
  for (const e of entries) {
    const bytes = count(e) * FIELD_BYTES[e.type];
    if (bytes > 4) n += bytes + (bytes & 1);
  }
  return n;
}

/**
 * Write an IFD at `offset` (must be even) into `view`; entries are sorted by tag.
 * @param nextIfd - offset of the next IFD, 0 for the last
 */
export function writeIfd(
  view: DataView,
  offset: number,
  entries: readonly IfdEntry[],
  nextIfd: number,
): void {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  view.setUint16(offset, sorted.length, true);
  let extra = offset + 2 + sorted.length * 12 + 4;
  let p = offset + 2;
  for (const e of sorted) {
    const n = count(e);
    const size = FIELD_BYTES[e.type];
    view.setUint16(p, e.tag, true);
    view.setUint16(p + 2, e.type, true);
    view.setUint32(p + 4, n, true);
    const inline = n * size <= 4;
    let at = p + 8;
    if (!inline) {
      view.setUint32(p + 8, extra, true);
      at = extra;
      extra += n * size + ((n * size) & 1);
    } else {
      view.setUint32(p + 8, 0, true);
    }
    writeValues(view, at, e);
    p += 12;
  }
  view.setUint32(p, nextIfd, true);
}

function writeValues(view: DataView, at: number, e: IfdEntry): void {
  if (typeof e.values === 'string') {
    for (let i = 0; i < e.values.length; i++) view.setUint8(at + i, e.values.charCodeAt(i) & 0x7f);
    view.setUint8(at + e.values.length, 0);
    return;
  }
  const v = e.values;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    if (e.type === FIELD.SHORT) view.setUint16(at + 2 * i, x, true);
    else if (e.type === FIELD.LONG) view.setUint32(at + 4 * i, x, true);
    else view.setFloat64(at + 8 * i, x, true);
  }
}
