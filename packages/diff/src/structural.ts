// Structural comparison of two parsed JSON values: object keys by name, arrays by index.

import type { DiffKind } from "@parallax/protocol";
import type { IgnoreMatcher } from "./ignore.js";
import { formatPath, type PathSegment } from "./path.js";
import { numbersEqual, type Tolerance } from "./tolerance.js";

export interface JsonRules {
  readonly ignore: IgnoreMatcher;
  readonly tolerance: Tolerance;
}

/**
 * Receives each difference while the walk is at it. `path` is the walk's own stack: read it
 * during the call, never keep it. Returning false stops the walk (enough collected).
 */
export interface DifferenceSink {
  difference(kind: DiffKind, path: readonly PathSegment[], production: unknown, other: unknown): boolean;
}

type JsonType = "null" | "boolean" | "number" | "string" | "array" | "object";

function jsonType(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value as JsonType;
}

function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/**
 * Walks `production` against `other` (candidate or secondary) and reports every difference not
 * under an ignored path. A value present on one side only is reported once as `added` /
 * `removed` at its own path (its insides are not walked); a type change is reported once as
 * `type`. Returns false when the sink stopped it.
 */
export function walkJson(production: unknown, other: unknown, rules: JsonRules, sink: DifferenceSink, stack: PathSegment[] = []): boolean {
  if (stack.length === 0 && rules.ignore.ignoresRoot) return true;
  return walk(production, other, rules, sink, stack);
}

function walk(a: unknown, b: unknown, rules: JsonRules, sink: DifferenceSink, stack: PathSegment[]): boolean {
  const ta = jsonType(a);
  if (ta !== jsonType(b)) return sink.difference("type", stack, a, b);
  switch (ta) {
    case "number":
      return numbersEqual(a as number, b as number, rules.tolerance) || sink.difference("changed", stack, a, b);
    case "string":
    case "boolean":
      return a === b || sink.difference("changed", stack, a, b);
    case "null":
      return true;
    case "array":
      return walkArray(a as unknown[], b as unknown[], rules, sink, stack);
    case "object":
      return walkObject(a as Record<string, unknown>, b as Record<string, unknown>, rules, sink, stack);
  }
}

function walkArray(a: unknown[], b: unknown[], rules: JsonRules, sink: DifferenceSink, stack: PathSegment[]): boolean {
  const ignore = rules.ignore;
  const checkIgnore = !ignore.isEmpty;
  const longest = Math.max(a.length, b.length);
  for (let i = 0; i < longest; i++) {
    stack.push(i);
    let go = true;
    if (!checkIgnore || !ignore.matches(stack)) {
      if (i >= b.length) go = sink.difference("removed", stack, a[i], undefined);
      else if (i >= a.length) go = sink.difference("added", stack, undefined, b[i]);
      else go = walk(a[i], b[i], rules, sink, stack);
    }
    stack.pop();
    if (!go) return false;
  }
  return true;
}

function walkObject(a: Record<string, unknown>, b: Record<string, unknown>, rules: JsonRules, sink: DifferenceSink, stack: PathSegment[]): boolean {
  const ignore = rules.ignore;
  const checkIgnore = !ignore.isEmpty;
  for (const key in a) {
    stack.push(key);
    let go = true;
    if (!checkIgnore || !ignore.matches(stack)) {
      go = hasOwn(b, key) ? walk(a[key], b[key], rules, sink, stack) : sink.difference("removed", stack, a[key], undefined);
    }
    stack.pop();
    if (!go) return false;
  }
  for (const key in b) {
    if (hasOwn(a, key)) continue;
    stack.push(key);
    const go = (checkIgnore && ignore.matches(stack)) || sink.difference("added", stack, undefined, b[key]);
    stack.pop();
    if (!go) return false;
  }
  return true;
}

/** One difference with its concrete path (`$.a[3].b`) and signature path (`$.a[*].b`). */
export interface JsonDifference {
  readonly path: string;
  readonly signaturePath: string;
  readonly kind: DiffKind;
  readonly production?: unknown;
  readonly other?: unknown;
}

/** Every difference as a list, at most `limit` of them: for tests and tools, not the hot path. */
export function diffJson(production: unknown, other: unknown, rules: JsonRules, limit = Number.POSITIVE_INFINITY): JsonDifference[] {
  const out: JsonDifference[] = [];
  if (limit <= 0) return out;
  walkJson(production, other, rules, {
    difference(kind, path, p, o) {
      const d: { path: string; signaturePath: string; kind: DiffKind; production?: unknown; other?: unknown } = {
        path: formatPath(path, false),
        signaturePath: formatPath(path, true),
        kind,
      };
      if (p !== undefined) d.production = p;
      if (o !== undefined) d.other = o;
      out.push(d);
      return out.length < limit;
    },
  });
  return out;
}
