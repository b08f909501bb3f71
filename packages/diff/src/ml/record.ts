// Count records keyed by arbitrary strings (labels), safe for keys such as "__proto__" or "constructor".

/** The own value at `key`, never one inherited from Object.prototype. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets an own property even for "__proto__", where plain assignment would change the prototype instead. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (Object.hasOwn(record, key)) record[key] = value;
  else Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}

export function bump(record: Record<string, number>, key: string, n: number): void {
  setOwn(record, key, (own(record, key) ?? 0) + n);
}

/** The nested record at `key`, created empty when missing. */
export function child<T>(record: Record<string, Record<string, T>>, key: string): Record<string, T> {
  let row = own(record, key);
  if (row === undefined) {
    row = {};
    setOwn(record, key, row);
  }
  return row;
}

/** The keys in code-unit order, so reports and folds do not depend on insertion order. */
export function sortedKeys(record: object): string[] {
  return Object.keys(record).sort();
}
