import { checkString, invalidArgument } from './internal/check-arguments.js';

/**
 * `record[key] = value` that keeps a key such as `__proto__` as a plain own member: assigning it would set the
 * record's prototype instead (a column, tensor or metadata key named so would silently vanish).
 * @param record the record to write.
 * @param key the member's name, whatever it is.
 * @param value its value.
 * @throws {CoreError} `INVALID_ARGUMENT` when `record` is not an object or `key` not a string.
 * @example
 * const row: Record<string, string> = {};
 * setMember(row, '__proto__', 'x'); // Object.keys(row) → ['__proto__']
 */
export function setMember<T>(record: Record<string, T>, key: string, value: T): void {
  if (record === null || typeof record !== 'object')
    throw invalidArgument('setMember', 'record', 'an object', record);
  checkString('setMember', 'key', key);
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
