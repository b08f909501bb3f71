// JSONPath text for the concrete paths the comparison walks, and their signature form.

/** One step below the root: an object key or an array index. */
export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * `.name` for identifier-like keys, `['odd key']` otherwise. Control characters are escaped so
 * a path never contains a newline: combo keys join signature keys with "\n".
 */
export function formatKey(key: string): string {
  if (PLAIN_KEY.test(key)) return `.${key}`;
  let out = "['";
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    if (ch === 0x27 || ch === 0x5c) out += `\\${key[i] ?? ""}`;
    else if (ch === 0x0a) out += "\\n";
    else if (ch === 0x0d) out += "\\r";
    else if (ch === 0x09) out += "\\t";
    else if (ch < 0x20 || ch === 0x7f) out += `\\u${ch.toString(16).padStart(4, "0")}`;
    else out += key[i] ?? "";
  }
  return `${out}']`;
}

/** `$.a.b[3].c` (concrete) or, with `wildcardIndices`, `$.a.b[*].c` (the signature path). */
export function formatPath(segments: readonly PathSegment[], wildcardIndices: boolean): string {
  let out = "$";
  for (const segment of segments) {
    if (typeof segment === "number") out += wildcardIndices ? "[*]" : `[${segment}]`;
    else out += formatKey(segment);
  }
  return out;
}
