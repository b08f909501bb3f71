// Ignore rules: a small JSONPath subset matched against the concrete paths the walk visits.

import type { PathSegment } from "./path.js";

/** One step of a pattern. `descendant` steps (`..x`) may skip any number of levels first. */
export type PatternStep =
  | { readonly kind: "key"; readonly key: string; readonly descendant: boolean }
  | { readonly kind: "index"; readonly index: number; readonly descendant: boolean }
  | { readonly kind: "any"; readonly descendant: boolean };

export type ParsedPattern = { readonly ok: true; readonly steps: readonly PatternStep[] } | { readonly ok: false; readonly message: string };

const NAME_CHAR = /[^.[\]\s'"]/;
const ESCAPES: Readonly<Record<string, string>> = { "'": "'", '"': '"', "\\": "\\", "/": "/", n: "\n", r: "\r", t: "\t", b: "\b", f: "\f" };

/**
 * Parses `$`, `.name`, `.*`, `['name']` / `["name"]`, `[n]`, `[*]` and `..` before any of them.
 * `.*` and `[*]` both match any one child, key or index (as in JSONPath); `[n]` only index n.
 */
export function parseIgnorePattern(text: string): ParsedPattern {
  if (!text.startsWith("$")) return { ok: false, message: `ignore pattern "${text}" must start with "$"` };
  const steps: PatternStep[] = [];
  let i = 1;
  const fail = (why: string): ParsedPattern => ({ ok: false, message: `ignore pattern "${text}" at ${i}: ${why}` });
  while (i < text.length) {
    let descendant = false;
    if (text.startsWith("..", i)) {
      descendant = true;
      i += 2;
      if (text[i] === "[") {
        // `..[n]` / `..['x']`: fall through to the bracket form below.
      } else if (text[i] === "*") {
        steps.push({ kind: "any", descendant });
        i++;
        continue;
      } else {
        const start = i;
        while (i < text.length && NAME_CHAR.test(text[i] ?? "")) i++;
        if (i === start) return fail("expected a name after '..'");
        steps.push({ kind: "key", key: text.slice(start, i), descendant });
        continue;
      }
    } else if (text[i] === ".") {
      i++;
      if (text[i] === "*") {
        steps.push({ kind: "any", descendant });
        i++;
        continue;
      }
      const start = i;
      while (i < text.length && NAME_CHAR.test(text[i] ?? "")) i++;
      if (i === start) return fail("expected a name after '.'");
      steps.push({ kind: "key", key: text.slice(start, i), descendant });
      continue;
    }
    if (text[i] !== "[") return fail(`unexpected '${text[i] ?? ""}'`);
    i++;
    const ch = text[i];
    if (ch === "*") {
      i++;
      steps.push({ kind: "any", descendant });
    } else if (ch === "'" || ch === '"') {
      i++;
      let key = "";
      for (;;) {
        const c = text[i];
        if (c === undefined) return fail("unterminated quoted name");
        i++;
        if (c === ch) break;
        if (c !== "\\") {
          key += c;
          continue;
        }
        const e = text[i];
        i++;
        if (e === "u") {
          const hex = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) return fail("bad \\u escape");
          key += String.fromCharCode(Number.parseInt(hex, 16));
          i += 4;
        } else {
          const mapped = e === undefined ? undefined : ESCAPES[e];
          if (mapped === undefined) return fail(`bad escape '\\${e ?? ""}'`);
          key += mapped;
        }
      }
      steps.push({ kind: "key", key, descendant });
    } else {
      const start = i;
      while (i < text.length && (text[i] ?? "") >= "0" && (text[i] ?? "") <= "9") i++;
      if (i === start) return fail("expected *, an index or a quoted name after '['");
      steps.push({ kind: "index", index: Number(text.slice(start, i)), descendant });
    }
    if (text[i] !== "]") return fail("expected ']'");
    i++;
  }
  return { ok: true, steps };
}

function stepMatches(step: PatternStep, segment: PathSegment): boolean {
  switch (step.kind) {
    case "any":
      return true;
    case "key":
      return segment === step.key;
    case "index":
      return segment === step.index;
  }
}

/** Whether `steps[si..]` matches exactly `path[pi..]`. */
function matchFrom(steps: readonly PatternStep[], si: number, path: readonly PathSegment[], pi: number): boolean {
  const step = steps[si];
  if (step === undefined) return pi === path.length;
  if (step.descendant) {
    for (let k = pi; k < path.length; k++) {
      if (stepMatches(step, path[k] as PathSegment) && matchFrom(steps, si + 1, path, k + 1)) return true;
    }
    return false;
  }
  const segment = path[pi];
  return segment !== undefined && stepMatches(step, segment) && matchFrom(steps, si + 1, path, pi + 1);
}

/**
 * Answers "is this exact path ignored?". The walk asks at every node on the way down and skips
 * a matched node with its whole subtree, so a pattern only has to match the path itself.
 * Fixed-length patterns are bucketed by length so a node costs one array read when none can match.
 */
export class IgnoreMatcher {
  readonly #byLength: Array<Array<readonly PatternStep[]> | undefined> = [];
  readonly #floating: Array<readonly PatternStep[]> = [];
  readonly ignoresRoot: boolean;
  readonly isEmpty: boolean;

  /** `patterns` must be valid (see `parseIgnorePattern`); an invalid one throws. */
  constructor(patterns: readonly string[]) {
    let root = false;
    for (const text of patterns) {
      const parsed = parseIgnorePattern(text);
      if (!parsed.ok) throw new Error(parsed.message);
      if (parsed.steps.length === 0) root = true;
      if (parsed.steps.some((s) => s.descendant)) this.#floating.push(parsed.steps);
      else (this.#byLength[parsed.steps.length] ??= []).push(parsed.steps);
    }
    this.ignoresRoot = root;
    this.isEmpty = patterns.length === 0;
  }

  matches(path: readonly PathSegment[]): boolean {
    const fixed = this.#byLength[path.length];
    if (fixed !== undefined) {
      for (const steps of fixed) if (matchFrom(steps, 0, path, 0)) return true;
    }
    for (const steps of this.#floating) if (matchFrom(steps, 0, path, 0)) return true;
    return false;
  }
}
