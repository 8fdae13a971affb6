// Structural check of Arrow IPC bytes before apache-arrow decodes them. apache-arrow trusts every count, length
// and offset in the flatbuffers of a file: a read past the end yields 0, a corrupt vector length makes it loop
// for billions of entries, a footer block that holds no record batch makes it loop for ever, and buffer regions
// past the body become short arrays that later read as garbage. This walk reads the same metadata the way
// apache-arrow does, but every read is bounds-checked and the work is bounded by the size of the bytes; then it
// checks each record batch's nodes and buffers against the schema (lengths, null counts, buffer sizes, offsets,
// dictionary indices, union type ids), so apache-arrow only ever decodes data that lies inside its buffers.
import { GeoSamplingError } from '../errors.js';

/** Deepest nesting of fields (Arrow C++ refuses deeper schemas too). */
const MAX_FIELD_DEPTH = 64;
/** Most rows in one record batch: 32-bit list and string offsets cannot address more. */
const MAX_BATCH_ROWS = 2 ** 31 - 1;
/** MetadataVersion V4 (Arrow 0.8); older layouts put extra words in buffer structs. */
const METADATA_V4 = 3;
const METADATA_V5 = 4;
const MAGIC = 'ARROW1';
/** Message header types (Message.fbs). */
const SCHEMA = 1;
const DICTIONARY_BATCH = 2;
const RECORD_BATCH = 3;

function parseError(where: string, problem: string): never {
  throw new GeoSamplingError('PARSE_ERROR', `Arrow IPC ${where}: ${problem}`);
}

/**
 * A flatbuffer whose every read is checked to lie inside its bytes. Offsets must point forward (as flatbuffers
 * writes them), so no object refers to itself; `spend` bounds the work when many offsets share one object.
 */
class Flatbuffer {
  private readonly view: DataView;
  private budget: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly where: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Each distinct object is charged once in a well-formed buffer, so twice its size plus slack is never hit.
    this.budget = 2 * bytes.length + 1024;
  }
  fail(problem: string): never {
    return parseError(this.where, problem);
  }
  private need(pos: number, size: number): void {
    if (!(pos >= 0 && size >= 0 && pos + size <= this.bytes.length))
      this.fail(`a read of ${size} bytes at byte ${pos} lies outside its ${this.bytes.length} bytes`);
  }
  spend(units: number): void {
    this.budget -= units;
    if (this.budget < 0) this.fail('the metadata refers to its objects more often than its size allows');
  }
  uint8(pos: number): number {
    this.need(pos, 1);
    return this.view.getUint8(pos);
  }
  int16(pos: number): number {
    this.need(pos, 2);
    return this.view.getInt16(pos, true);
  }
  int32(pos: number): number {
    this.need(pos, 4);
    return this.view.getInt32(pos, true);
  }
  int64(pos: number, what: string): number {
    this.need(pos, 8);
    const v = this.view.getBigInt64(pos, true);
    if (v < BigInt(Number.MIN_SAFE_INTEGER) || v > BigInt(Number.MAX_SAFE_INTEGER))
      this.fail(`${what} ${v} is out of range`);
    return Number(v);
  }
  /** The object an offset at `pos` points to. */
  private follow(pos: number): number {
    const offset = this.int32(pos);
    if (offset <= 0 || pos + offset >= this.bytes.length)
      this.fail(`the offset at byte ${pos} points outside its ${this.bytes.length} bytes`);
    return pos + offset;
  }
  /** A table at `pos`: its vtable must lie inside the bytes. */
  private table(pos: number): number {
    const vtable = pos - this.int32(pos);
    if (vtable < 0 || vtable + 4 > this.bytes.length)
      this.fail(
        `the table at byte ${pos} points to a vtable at byte ${vtable}, outside its ${this.bytes.length} bytes`,
      );
    const size = this.int16(vtable);
    if (size < 4 || size % 2 !== 0) this.fail(`the table at byte ${pos} has a vtable of ${size} bytes`);
    this.need(vtable, size);
    this.spend(1);
    return pos;
  }
  root(): number {
    return this.table(this.follow(0));
  }
  /** Byte position of field `index` of a table, or 0 when the field is absent (its default applies). */
  private field(table: number, index: number, size: number): number {
    const vtable = table - this.int32(table);
    const slot = 4 + 2 * index;
    if (slot >= this.int16(vtable)) return 0;
    const offset = this.int16(vtable + slot);
    if (offset === 0) return 0;
    if (offset < 4) this.fail(`field ${index} of the table at byte ${table} overlaps its header`);
    this.need(table + offset, size);
    return table + offset;
  }
  uint8Field(table: number, index: number, fallback: number): number {
    const pos = this.field(table, index, 1);
    return pos ? this.uint8(pos) : fallback;
  }
  int16Field(table: number, index: number, fallback: number): number {
    const pos = this.field(table, index, 2);
    return pos ? this.int16(pos) : fallback;
  }
  int32Field(table: number, index: number, fallback: number): number {
    const pos = this.field(table, index, 4);
    return pos ? this.int32(pos) : fallback;
  }
  int64Field(table: number, index: number, what: string): number {
    const pos = this.field(table, index, 8);
    return pos ? this.int64(pos, what) : 0;
  }
  tableField(table: number, index: number): number | null {
    const pos = this.field(table, index, 4);
    return pos ? this.table(this.follow(pos)) : null;
  }
  /** A vector field (`what`, for messages): start of its elements (`elementSize` bytes each) and their count. */
  vectorField(
    table: number,
    index: number,
    elementSize: number,
    what: string,
  ): { start: number; length: number } | null {
    const pos = this.field(table, index, 4);
    if (!pos) return null;
    const vector = this.follow(pos);
    const length = this.int32(vector);
    const room = this.bytes.length - vector - 4;
    if (length < 0 || length * elementSize > room)
      this.fail(`${what} claim ${length} entries of ${elementSize} bytes; ${room} bytes remain`);
    this.spend(length);
    return { start: vector + 4, length };
  }
  /** The table that element `i` of a vector of tables points to. */
  tableAt(vector: { start: number }, i: number): number {
    return this.table(this.follow(vector.start + 4 * i));
  }
  stringField(table: number, index: number): string | null {
    const v = this.vectorField(table, index, 1, 'string bytes');
    return v ? new TextDecoder().decode(this.bytes.subarray(v.start, v.start + v.length)) : null;
  }
}

/** The layout of one column, as apache-arrow's vector loader walks it (one node, then its buffers). */
type Layout =
  | { kind: 'null' }
  | { kind: 'bool' }
  /** Fixed-width values: `width` bytes each, read as typed arrays aligned to `align` bytes. */
  | { kind: 'fixed'; width: number; align: number }
  | { kind: 'binary'; offsetWidth: 4 | 8 }
  | { kind: 'list'; child: Column }
  | { kind: 'fixedList'; size: number; child: Column }
  | { kind: 'struct'; children: Column[] }
  /** `childOf[typeId]` is the child index apache-arrow picks for a type id (the last listed wins). */
  | { kind: 'union'; dense: boolean; childOf: Map<number, number>; children: Column[] }
  | { kind: 'dictionary'; id: number; index: IndexType };

/** A dictionary index type: width in bytes and signedness (apache-arrow reads unsigned indices unsigned). */
interface IndexType {
  width: number;
  signed: boolean;
}

interface Column {
  /** Where the column is, for messages: `column 'bounds'`, `column 'bounds'.item`. */
  path: string;
  layout: Layout;
}

interface Schema {
  columns: Column[];
  /** Value columns of the dictionary-encoded fields, by dictionary id. */
  dictionaries: Map<number, Column>;
  version: number;
}

/** Walks key/value metadata so its strings are charged to the budget (apache-arrow decodes them all). */
function walkKeyValues(fb: Flatbuffer, table: number, index: number): void {
  const v = fb.vectorField(table, index, 4, 'custom metadata entries');
  for (let i = 0; v && i < v.length; i++) {
    const kv = fb.tableAt(v, i);
    fb.spend((fb.stringField(kv, 0)?.length ?? 0) + (fb.stringField(kv, 1)?.length ?? 0));
  }
}

const FLOAT_WIDTHS = [2, 4, 8];
const INTERVAL_WIDTHS = [4, 8, 16];

function fixedLayout(width: number, align = Math.min(width, 8)): Layout {
  return { kind: 'fixed', width, align };
}

function intWidth(fb: Flatbuffer, table: number | null, what: string): number {
  const bits = table === null ? fb.fail(`${what} has no Int type table`) : fb.int32Field(table, 0, 0);
  if (bits !== 8 && bits !== 16 && bits !== 32 && bits !== 64)
    fb.fail(`${what} has an integer of ${bits} bits`);
  return bits / 8;
}

function oneChild(fb: Flatbuffer, children: Column[], what: string): Column {
  if (children.length !== 1) fb.fail(`${what} must have one child field, has ${children.length}`);
  return children[0];
}

/** The layout of a field's type (Schema.fbs `Type` union), for the types apache-arrow decodes. */
function typeLayout(
  fb: Flatbuffer,
  typeId: number,
  type: number | null,
  children: Column[],
  what: string,
): Layout {
  const needType = (): number => type ?? fb.fail(`${what} has no type table for type ${typeId}`);
  switch (typeId) {
    case 0:
    case 1:
      return { kind: 'null' };
    case 2:
      return fixedLayout(intWidth(fb, needType(), what));
    case 3: {
      const width = FLOAT_WIDTHS[fb.int16Field(needType(), 0, 0)];
      return width ? fixedLayout(width) : fb.fail(`${what} has an unknown floating-point precision`);
    }
    case 4:
    case 5:
      return { kind: 'binary', offsetWidth: 4 };
    case 6:
      return { kind: 'bool' };
    case 7: {
      const bits = fb.int32Field(needType(), 2, 128);
      if (![32, 64, 128, 256].includes(bits)) fb.fail(`${what} has a decimal of ${bits} bits`);
      return fixedLayout(bits / 8, 4);
    }
    case 8:
      return fixedLayout(fb.int16Field(needType(), 0, 1) === 0 ? 4 : 8);
    case 9: {
      const bits = fb.int32Field(needType(), 1, 32);
      if (bits !== 32 && bits !== 64) fb.fail(`${what} has a time of ${bits} bits`);
      return fixedLayout(bits / 8);
    }
    case 10:
      fb.spend(fb.stringField(needType(), 1)?.length ?? 0);
      return fixedLayout(8);
    case 11: {
      const width = INTERVAL_WIDTHS[fb.int16Field(needType(), 0, 0)];
      return width ? fixedLayout(width, 4) : fb.fail(`${what} has an unknown interval unit`);
    }
    case 18:
      return fixedLayout(8);
    case 12:
    case 17:
      return { kind: 'list', child: mapEntries(fb, typeId, oneChild(fb, children, what), what) };
    case 13:
      return { kind: 'struct', children };
    case 14:
      return unionLayout(fb, needType(), children);
    case 15: {
      const width = fb.int32Field(needType(), 0, 0);
      return width >= 0 ? fixedLayout(width, 1) : fb.fail(`${what} has a byte width of ${width}`);
    }
    case 16: {
      const size = fb.int32Field(needType(), 0, 0);
      if (size < 0) fb.fail(`${what} has a list size of ${size}`);
      return { kind: 'fixedList', size, child: oneChild(fb, children, what) };
    }
    case 19:
    case 20:
      return { kind: 'binary', offsetWidth: 8 };
  }
  return fb.fail(`${what} has type ${typeId}, which apache-arrow cannot read`);
}

/** A map's child must be a struct of key and value. */
function mapEntries(fb: Flatbuffer, typeId: number, child: Column, what: string): Column {
  const { layout } = child;
  if (typeId === 17 && (layout.kind !== 'struct' || layout.children.length !== 2))
    fb.fail(`${what} is a map whose entries are not a struct of key and value`);
  return child;
}

function unionLayout(fb: Flatbuffer, type: number, children: Column[]): Layout {
  const ids = fb.vectorField(type, 1, 4, 'union type ids');
  const childOf = new Map<number, number>();
  for (let i = 0; ids && i < ids.length; i++) childOf.set(fb.int32(ids.start + 4 * i), i);
  return { kind: 'union', dense: fb.int16Field(type, 0, 0) === 1, childOf, children };
}

function readChildren(fb: Flatbuffer, field: number, schema: Schema, path: string, depth: number): Column[] {
  const v = fb.vectorField(field, 5, 4, `${path} children`);
  const children: Column[] = [];
  for (let i = 0; v && i < v.length; i++)
    children.push(readField(fb, fb.tableAt(v, i), schema, path, depth + 1));
  return children;
}

/** One field (Schema.fbs `Field`), mirroring apache-arrow: a dictionary id seen before reuses its value type. */
function readField(fb: Flatbuffer, field: number, schema: Schema, parent: string, depth: number): Column {
  if (depth > MAX_FIELD_DEPTH) fb.fail(`fields nest deeper than ${MAX_FIELD_DEPTH} levels`);
  const name = fb.stringField(field, 0) ?? '';
  fb.spend(name.length);
  const path = parent ? `${parent}.${name}` : `column '${name}'`;
  const typeId = fb.uint8Field(field, 2, 0);
  const type = fb.tableField(field, 3);
  const encoding = fb.tableField(field, 4);
  walkKeyValues(fb, field, 6);
  if (encoding === null) {
    return { path, layout: typeLayout(fb, typeId, type, readChildren(fb, field, schema, path, depth), path) };
  }
  const id = fb.int64Field(encoding, 0, `${path} dictionary id`);
  const indexType = fb.tableField(encoding, 1);
  const index: IndexType =
    indexType === null
      ? { width: 4, signed: true }
      : {
          width: intWidth(fb, indexType, `${path} dictionary index`),
          signed: fb.uint8Field(indexType, 1, 0) !== 0,
        };
  if (!schema.dictionaries.has(id)) {
    const values = typeLayout(fb, typeId, type, readChildren(fb, field, schema, path, depth), path);
    schema.dictionaries.set(id, { path: `${path} dictionary ${id}`, layout: values });
  }
  return { path, layout: { kind: 'dictionary', id, index } };
}

function readSchema(fb: Flatbuffer, table: number, version: number): Schema {
  if (fb.int16Field(table, 0, 0) !== 0) fb.fail('the schema is big-endian, which apache-arrow cannot read');
  const schema: Schema = { columns: [], dictionaries: new Map(), version };
  const fields = fb.vectorField(table, 1, 4, 'schema fields');
  for (let i = 0; fields && i < fields.length; i++)
    schema.columns.push(readField(fb, fb.tableAt(fields, i), schema, '', 0));
  walkKeyValues(fb, table, 2);
  return schema;
}

/** Nodes and buffers apache-arrow's vector loader takes for a column. */
function countLayout(column: Column, version: number, count = { nodes: 0, buffers: 0 }) {
  const { layout } = column;
  count.nodes++;
  const children: Column[] = [];
  switch (layout.kind) {
    case 'null':
      break;
    case 'bool':
    case 'fixed':
    case 'dictionary':
      count.buffers += 2;
      break;
    case 'binary':
      count.buffers += 3;
      break;
    case 'list':
      count.buffers += 2;
      children.push(layout.child);
      break;
    case 'fixedList':
      count.buffers += 1;
      children.push(layout.child);
      break;
    case 'struct':
      count.buffers += 1;
      children.push(...layout.children);
      break;
    case 'union':
      count.buffers += (version < METADATA_V5 ? 1 : 0) + (layout.dense ? 2 : 1);
      children.push(...layout.children);
      break;
  }
  for (const child of children) countLayout(child, version, count);
  return count;
}

interface Region {
  offset: number;
  length: number;
}

/** One record batch (or dictionary batch) being checked: its body and the cursors over its nodes and buffers. */
interface Batch {
  where: string;
  body: DataView;
  nodes: { length: number; nullCount: number }[];
  buffers: Region[];
  nodeAt: number;
  bufferAt: number;
  version: number;
  /** Current length of each dictionary, by id. */
  dictionaryLengths: Map<number, number>;
}

function batchFail(batch: Batch, column: Column, problem: string): never {
  return parseError(batch.where, `${column.path} ${problem}`);
}

function nextNode(batch: Batch, column: Column) {
  const node = batch.nodes[batch.nodeAt++];
  if (!(node.length >= 0 && node.length <= MAX_BATCH_ROWS))
    batchFail(batch, column, `has a length of ${node.length}`);
  if (!(node.nullCount >= 0 && node.nullCount <= node.length))
    batchFail(batch, column, `has ${node.nullCount} nulls in ${node.length} values`);
  return node;
}

/** The next buffer, which must hold at least `size` bytes aligned to `align`. */
function nextBuffer(batch: Batch, column: Column, what: string, size: number, align = 1): Region {
  const region = batch.buffers[batch.bufferAt++];
  if (region.length < size) batchFail(batch, column, `${what} has ${region.length} bytes, needs ${size}`);
  if (region.offset % align !== 0)
    batchFail(batch, column, `${what} starts at body byte ${region.offset}, not a multiple of ${align}`);
  return region;
}

function validity(batch: Batch, column: Column, node: { length: number; nullCount: number }): Region {
  return nextBuffer(batch, column, 'validity bitmap', node.nullCount > 0 ? Math.ceil(node.length / 8) : 0);
}

function isValid(batch: Batch, bitmap: Region, nullCount: number, i: number): boolean {
  return nullCount === 0 || ((batch.body.getUint8(bitmap.offset + (i >> 3)) >> (i & 7)) & 1) === 1;
}

function offsetAt(batch: Batch, region: Region, width: number, i: number): number {
  const pos = region.offset + width * i;
  return width === 4 ? batch.body.getInt32(pos, true) : Number(batch.body.getBigInt64(pos, true));
}

/** Offsets (`length + 1` of them) must start at ≥ 0 and never decrease; returns the last one. */
function checkOffsets(batch: Batch, column: Column, length: number, width: number): number {
  if (length === 0) {
    nextBuffer(batch, column, 'offsets', 0);
    return 0;
  }
  const offsets = nextBuffer(batch, column, 'offsets', (length + 1) * width, width);
  let previous = offsetAt(batch, offsets, width, 0);
  if (previous < 0) batchFail(batch, column, `offset 0 is ${previous}`);
  for (let i = 1; i <= length; i++) {
    const offset = offsetAt(batch, offsets, width, i);
    if (offset < previous) batchFail(batch, column, `offset ${i} (${offset}) is below offset ${i - 1}`);
    previous = offset;
  }
  return previous;
}

/** Index `i` of a dictionary column, read as apache-arrow reads it. */
function indexAt(batch: Batch, region: Region, { width, signed }: IndexType, i: number): number {
  const pos = region.offset + width * i;
  const { body } = batch;
  if (width === 1) return signed ? body.getInt8(pos) : body.getUint8(pos);
  if (width === 2) return signed ? body.getInt16(pos, true) : body.getUint16(pos, true);
  if (width === 4) return signed ? body.getInt32(pos, true) : body.getUint32(pos, true);
  return Number(signed ? body.getBigInt64(pos, true) : body.getBigUint64(pos, true));
}

function checkDictionaryColumn(batch: Batch, column: Column, id: number, index: IndexType): number {
  const node = nextNode(batch, column);
  const bitmap = validity(batch, column, node);
  const indices = nextBuffer(batch, column, 'indices', node.length * index.width, index.width);
  const size = batch.dictionaryLengths.get(id);
  for (let i = 0; i < node.length; i++) {
    if (!isValid(batch, bitmap, node.nullCount, i)) continue;
    if (size === undefined)
      batchFail(batch, column, `uses dictionary ${id} before any dictionary batch for it`);
    const at = indexAt(batch, indices, index, i);
    if (at < 0 || at >= size)
      batchFail(batch, column, `row ${i} has index ${at} into a dictionary of ${size} values`);
  }
  return node.length;
}

function checkUnionColumn(batch: Batch, column: Column, layout: Extract<Layout, { kind: 'union' }>): number {
  const node = nextNode(batch, column);
  if (batch.version < METADATA_V5) validity(batch, column, node);
  const typeIds = nextBuffer(batch, column, 'type ids', node.length);
  const offsets = layout.dense ? nextBuffer(batch, column, 'offsets', node.length * 4, 4) : null;
  const lengths = layout.children.map((child) => checkColumn(batch, child));
  for (let i = 0; i < node.length; i++) {
    const typeId = batch.body.getInt8(typeIds.offset + i);
    const child = layout.childOf.get(typeId);
    if (child === undefined || child >= lengths.length)
      batchFail(batch, column, `row ${i} has type id ${typeId}, which names no child`);
    const at = offsets ? batch.body.getInt32(offsets.offset + 4 * i, true) : i;
    if (at < 0 || at >= lengths[child])
      batchFail(batch, column, `row ${i} points at row ${at} of a child of ${lengths[child]}`);
  }
  return node.length;
}

/** Checks one column's node and buffers (and its children's); returns its length. */
function checkColumn(batch: Batch, column: Column): number {
  const { layout } = column;
  if (layout.kind === 'dictionary') return checkDictionaryColumn(batch, column, layout.id, layout.index);
  if (layout.kind === 'union') return checkUnionColumn(batch, column, layout);
  const node = nextNode(batch, column);
  if (layout.kind === 'null') return node.length;
  validity(batch, column, node);
  const needChild = (child: Column, least: number): void => {
    const length = checkColumn(batch, child);
    if (length < least) batchFail(batch, child, `has ${length} values, needs ${least}`);
  };
  switch (layout.kind) {
    case 'bool':
      nextBuffer(batch, column, 'values', Math.ceil(node.length / 8));
      break;
    case 'fixed':
      nextBuffer(batch, column, 'values', node.length * layout.width, layout.align);
      break;
    case 'binary': {
      const end = checkOffsets(batch, column, node.length, layout.offsetWidth);
      nextBuffer(batch, column, 'data', end);
      break;
    }
    case 'list':
      needChild(layout.child, checkOffsets(batch, column, node.length, 4));
      break;
    case 'fixedList':
      needChild(layout.child, node.length * layout.size);
      break;
    case 'struct':
      for (const child of layout.children) needChild(child, node.length);
      break;
  }
  return node.length;
}

/** A decoded message prefix: where its flatbuffer and body are. */
interface MessageAt {
  fb: Flatbuffer;
  type: number;
  header: number;
  version: number;
  bodyStart: number;
  bodyLength: number;
}

/**
 * The message at `pos` (continuation marker, metadata length, flatbuffer, body) inside `bytes[0, limit)`, or
 * null at an end-of-stream marker or at `limit`.
 */
function readMessage(bytes: Uint8Array, pos: number, limit: number, where: string): MessageAt | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (pos === limit) return null;
  if (pos + 4 > limit) parseError(where, `${limit - pos} stray bytes at byte ${pos}`);
  let length = view.getInt32(pos, true);
  let start = pos + 4;
  if (length === -1) {
    if (start + 4 > limit) parseError(where, `the message at byte ${pos} is cut off`);
    length = view.getInt32(start, true);
    start += 4;
  }
  if (length === 0) return null;
  if (length < 0 || start + length > limit)
    parseError(where, `the message at byte ${pos} claims ${length} metadata bytes; ${limit - start} remain`);
  const fb = new Flatbuffer(bytes.subarray(start, start + length), where);
  const root = fb.root();
  const version = fb.int16Field(root, 0, 0);
  if (version < METADATA_V4 || version > METADATA_V5)
    fb.fail(`metadata version ${version + 1} is not V4 or V5 (Arrow ≥ 0.8)`);
  const type = fb.uint8Field(root, 1, 0);
  const header = fb.tableField(root, 2) ?? fb.fail('the message has no header');
  const bodyLength = fb.int64Field(root, 3, 'body length');
  const bodyStart = start + length;
  if (bodyLength < 0 || bodyLength > limit - bodyStart)
    fb.fail(`the body of ${bodyLength} bytes does not fit in the ${limit - bodyStart} bytes left`);
  return { fb, type, header, version, bodyStart, bodyLength };
}

/** A RecordBatch table's nodes and buffers, which must be as many as the columns take and lie in the body. */
function openBatch(
  bytes: Uint8Array,
  message: MessageAt,
  table: number,
  columns: Column[],
  schema: Schema,
  dictionaryLengths: Map<number, number>,
): { batch: Batch; length: number } {
  const { fb } = message;
  const length = fb.int64Field(table, 0, 'row count');
  if (length < 0 || length > MAX_BATCH_ROWS) fb.fail(`the batch has ${length} rows`);
  if (fb.tableField(table, 3) !== null) fb.fail('the batch is compressed, which apache-arrow cannot read');
  const expected = { nodes: 0, buffers: 0 };
  for (const column of columns) countLayout(column, schema.version, expected);
  const nodes = fb.vectorField(table, 1, 16, 'field nodes');
  const buffers = fb.vectorField(table, 2, 16, 'buffers');
  if ((nodes?.length ?? 0) !== expected.nodes || (buffers?.length ?? 0) !== expected.buffers) {
    fb.fail(
      `the batch has ${nodes?.length ?? 0} nodes and ${buffers?.length ?? 0} buffers; its columns take ${expected.nodes} and ${expected.buffers}`,
    );
  }
  const batch: Batch = {
    where: fb.where,
    body: new DataView(bytes.buffer, bytes.byteOffset + message.bodyStart, message.bodyLength),
    nodes: [],
    buffers: [],
    nodeAt: 0,
    bufferAt: 0,
    version: schema.version,
    dictionaryLengths,
  };
  for (let i = 0; nodes && i < nodes.length; i++) {
    const at = nodes.start + 16 * i;
    batch.nodes.push({
      length: fb.int64(at, `node ${i} length`),
      nullCount: fb.int64(at + 8, `node ${i} null count`),
    });
  }
  for (let i = 0; buffers && i < buffers.length; i++) {
    const at = buffers.start + 16 * i;
    const region = {
      offset: fb.int64(at, `buffer ${i} offset`),
      length: fb.int64(at + 8, `buffer ${i} length`),
    };
    if (region.offset < 0 || region.length < 0 || region.offset + region.length > message.bodyLength)
      fb.fail(
        `buffer ${i} (${region.length} bytes at ${region.offset}) lies outside the ${message.bodyLength}-byte body`,
      );
    batch.buffers.push(region);
  }
  return { batch, length };
}

function checkRecordBatch(
  bytes: Uint8Array,
  message: MessageAt,
  schema: Schema,
  lengths: Map<number, number>,
) {
  const { batch, length } = openBatch(bytes, message, message.header, schema.columns, schema, lengths);
  for (const column of schema.columns) {
    const rows = checkColumn(batch, column);
    if (rows !== length) batchFail(batch, column, `has ${rows} values in a batch of ${length} rows`);
  }
}

/**
 * A dictionary batch sets or extends (delta) a dictionary. The file format may not replace one: apache-arrow
 * reads every dictionary before the first record batch, so all batches would silently use the last one.
 */
function checkDictionaryBatch(
  bytes: Uint8Array,
  message: MessageAt,
  schema: Schema,
  lengths: Map<number, number>,
  mayReplace: boolean,
) {
  const { fb } = message;
  const id = fb.int64Field(message.header, 0, 'dictionary id');
  const values = schema.dictionaries.get(id) ?? fb.fail(`dictionary id ${id} is not in the schema`);
  const isDelta = fb.uint8Field(message.header, 2, 0) !== 0;
  if (!mayReplace && !isDelta && lengths.has(id))
    fb.fail(`replaces dictionary ${id}, which the file format does not allow`);
  const data = fb.tableField(message.header, 1) ?? fb.fail(`dictionary ${id} has no data`);
  const { batch } = openBatch(bytes, message, data, [values], schema, lengths);
  const size = checkColumn(batch, values);
  lengths.set(id, isDelta ? (lengths.get(id) ?? 0) + size : size);
}

function expectMessage(message: MessageAt | null, type: number, where: string): MessageAt {
  if (message === null || message.type !== type) {
    const names = ['no', 'a schema', 'a dictionary batch', 'a record batch'];
    const found = message === null ? 'nothing' : `message type ${message.type}`;
    parseError(where, `expected ${names[type]} message, found ${found}`);
  }
  return message;
}

function startsWithMagic(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < MAGIC.length; i++) if (bytes[at + i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

/** The stream format: a schema message, then dictionary and record batches up to an end marker. */
function checkStream(bytes: Uint8Array): void {
  const first = expectMessage(readMessage(bytes, 0, bytes.length, 'stream'), SCHEMA, 'stream');
  if (first.bodyLength !== 0) first.fb.fail('the schema message has a body');
  const schema = readSchema(first.fb, first.header, first.version);
  const lengths = new Map<number, number>();
  let pos = first.bodyStart;
  for (let n = 0; ; n++) {
    const where = `stream message ${n + 1}`;
    const message = readMessage(bytes, pos, bytes.length, where);
    if (message === null) return;
    if (message.type === RECORD_BATCH) checkRecordBatch(bytes, message, schema, lengths);
    else if (message.type === DICTIONARY_BATCH) checkDictionaryBatch(bytes, message, schema, lengths, true);
    else message.fb.fail(`message type ${message.type} is not a dictionary or record batch`);
    pos = message.bodyStart + message.bodyLength;
  }
}

/**
 * The file format: magic, a stream, the footer (schema and the blocks of the dictionary and record batches),
 * its length and the magic again. apache-arrow reads only what the footer points at, so that is what is checked.
 */
function checkFile(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length;
  if (size < 18 || !startsWithMagic(bytes, size - 6))
    parseError('file', 'does not end with the ARROW1 magic');
  const footerLength = view.getInt32(size - 10, true);
  const footerStart = size - 10 - footerLength;
  if (footerLength <= 0 || footerStart < 8)
    parseError('file', `the footer length ${footerLength} does not fit in ${size} bytes`);
  const fb = new Flatbuffer(bytes.subarray(footerStart, size - 10), 'file footer');
  const footer = fb.root();
  const version = fb.int16Field(footer, 0, 0);
  if (version < METADATA_V4 || version > METADATA_V5)
    fb.fail(`metadata version ${version + 1} is not V4 or V5`);
  const schema = readSchema(fb, fb.tableField(footer, 1) ?? fb.fail('the footer has no schema'), version);
  const lengths = new Map<number, number>();
  const blocks = (index: number, type: number, name: string) => {
    const v = fb.vectorField(footer, index, 24, `${name} blocks`);
    for (let i = 0; v && i < v.length; i++) {
      const offset = fb.int64(v.start + 24 * i, `${name} ${i} offset`);
      const where = `file ${name} ${i}`;
      if (offset < 8 || offset >= footerStart)
        parseError(where, `starts at byte ${offset}, outside the data`);
      const message = expectMessage(readMessage(bytes, offset, footerStart, where), type, where);
      if (type === DICTIONARY_BATCH) checkDictionaryBatch(bytes, message, schema, lengths, false);
      else checkRecordBatch(bytes, message, schema, lengths);
    }
  };
  blocks(2, DICTIONARY_BATCH, 'dictionary batch');
  blocks(3, RECORD_BATCH, 'record batch');
}

/**
 * Checks Arrow IPC bytes (file or stream format, told apart by the leading magic as apache-arrow does) before
 * apache-arrow decodes them.
 * @throws GeoSamplingError `PARSE_ERROR` naming the part of the file that is corrupt.
 */
export function checkArrowIpc(bytes: Uint8Array): 'file' | 'stream' {
  if (bytes.length >= 8 && startsWithMagic(bytes, 0)) {
    checkFile(bytes);
    return 'file';
  }
  checkStream(bytes);
  return 'stream';
}
