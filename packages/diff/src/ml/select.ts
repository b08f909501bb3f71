// Selecting the values at a JSONPath (the ignore-rule grammar) from a parsed JSON body.

import { parseIgnorePattern, type PatternStep } from "../ignore.js";

/** A parsed path; build it once per rule, not per pair. */
export type Selector = readonly PatternStep[];

export type ParsedSelector = { readonly ok: true; readonly selector: Selector } | { readonly ok: false; readonly message: string };

/** Same grammar as ignore patterns: `$`, `.name`, `['name']`, `[n]`, `[*]`, `.*`, `..name`. */
export function parseSelector(path: string): ParsedSelector {
  const parsed = parseIgnorePattern(path);
  // The parser words its messages for ignore rules; here the text is a comparison path.
  return parsed.ok ? { ok: true, selector: parsed.steps } : { ok: false, message: parsed.message.replace(/^ignore pattern /, "path ") };
}

/**
 * Appends every value at `selector` to `out`, in document order: array elements by index, object
 * members in their (parsed) order, and for `..` a node before its descendants. A path that does
 * not resolve adds nothing. A non-JSON root (e.g. the `NOT_JSON` symbol) has no values.
 */
export function selectValues(root: unknown, selector: Selector, out: unknown[] = []): unknown[] {
  if (typeof root !== "symbol") walk(root, selector, 0, out);
  return out;
}

function walk(node: unknown, steps: Selector, si: number, out: unknown[]): void {
  const step = steps[si];
  if (step === undefined) {
    out.push(node);
    return;
  }
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    if (step.kind === "key") {
      if (step.descendant) for (const item of node as unknown[]) walk(item, steps, si, out);
      return;
    }
    if (step.kind === "index" && !step.descendant) {
      if (step.index < node.length) walk(node[step.index], steps, si + 1, out);
      return;
    }
    for (let i = 0; i < node.length; i++) {
      const item: unknown = node[i];
      if (step.kind === "any" || step.index === i) walk(item, steps, si + 1, out);
      if (step.descendant) walk(item, steps, si, out);
    }
    return;
  }
  const object = node as Record<string, unknown>;
  if (step.kind === "key" && !step.descendant) {
    if (Object.hasOwn(object, step.key)) walk(object[step.key], steps, si + 1, out);
    return;
  }
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const value = object[key];
    if (step.kind === "any" || (step.kind === "key" && step.key === key)) walk(value, steps, si + 1, out);
    if (step.descendant) walk(value, steps, si, out);
  }
}
