/** `record[key] = value` that keeps a key such as `__proto__` as a plain member (assigning it sets the prototype). */
export function setMember<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
