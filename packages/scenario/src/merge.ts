// Flags over file: a deep merge where mappings merge key by key and everything else (lists
// included) is replaced by the override.

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `over` wins; `undefined` in `over` means "not given", so an unset flag keeps the file's value. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return stripUndefined(over);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) define(out, key, value);
  for (const [key, value] of Object.entries(over)) {
    if (value !== undefined) define(out, key, deepMerge(out[key], value));
  }
  return out;
}

/**
 * Shorthands written out — `targets.<role>: URL` as `{ url: URL }`, `traffic: FILE` as
 * `{ file: FILE }` — so `--candidate URL` replaces only the URL and keeps the file's timeout
 * and headers for that target.
 */
export function expandShorthands(doc: unknown): unknown {
  if (!isPlainObject(doc)) return doc;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === "traffic" && typeof value === "string") define(out, key, { file: value });
    else if (key === "targets" && isPlainObject(value)) {
      const targets: Record<string, unknown> = {};
      for (const [role, target] of Object.entries(value)) define(targets, role, typeof target === "string" ? { url: target } : target);
      define(out, key, targets);
    } else define(out, key, value);
  }
  return out;
}

function stripUndefined(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (inner !== undefined) define(out, key, stripUndefined(inner));
  return out;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  // A key named `__proto__` is data, not a prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
