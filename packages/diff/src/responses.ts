// The differences between production's response and another target's, for one pair.

import type { DiffKind } from "@parallax/protocol";
import { bytesEqual, NOT_JSON, parseJsonBody } from "./body.js";
import type { IgnoreMatcher } from "./ignore.js";
import type { Outcome } from "./options.js";
import type { PathSegment } from "./path.js";
import { walkJson } from "./structural.js";
import type { Tolerance } from "./tolerance.js";

export type OkOutcome = Extract<Outcome, { ok: true }>;

export interface ResponseRules {
  readonly ignore: IgnoreMatcher;
  readonly tolerance: Tolerance;
  /** Lower-case names of the compared headers. */
  readonly headers: readonly string[];
  /** `header:<name>` for each of `headers`, built once. */
  readonly headerPaths: readonly string[];
}

/**
 * Like `DifferenceSink`, but `path` is a string for the differences that are not inside a JSON
 * body: `status`, `header:<name>`, `body`.
 */
export interface ResponseSink {
  difference(kind: DiffKind, path: readonly PathSegment[] | string, production: unknown, other: unknown): boolean;
}

const UNPARSED: unique symbol = Symbol("unparsed");

/** A response body parsed at most once per pair, however many comparisons read it. Reused across pairs. */
export class BodyView {
  #outcome: OkOutcome | undefined;
  #json: unknown = UNPARSED;

  reset(outcome: OkOutcome | undefined): void {
    this.#outcome = outcome;
    this.#json = UNPARSED;
  }

  get outcome(): OkOutcome {
    if (this.#outcome === undefined) throw new Error("BodyView read before reset");
    return this.#outcome;
  }

  /** The parsed JSON, or `NOT_JSON`. */
  json(): unknown {
    if (this.#json === UNPARSED) {
      const o = this.outcome;
      this.#json = parseJsonBody(o.body, o.headers["content-type"]);
    }
    return this.#json;
  }
}

/**
 * Reports every difference of `other` against `production`:
 * - different statuses: `status` only (bodies and headers of different statuses are not compared);
 * - each compared header whose value differs (absent counts as a value): `header`;
 * - bodies, unless either was truncated by the engine (a prefix says nothing about the rest) or
 *   `$` is ignored: identical bytes are equal without parsing; two JSON bodies are walked
 *   structurally; otherwise (non-JSON on either side) one `body` difference.
 */
export function diffResponses(production: BodyView, other: BodyView, rules: ResponseRules, sink: ResponseSink, stack: PathSegment[]): void {
  const p = production.outcome;
  const o = other.outcome;
  if (p.status !== o.status) {
    sink.difference("status", "status", p.statusName ?? p.status, o.statusName ?? o.status);
    return;
  }
  const names = rules.headers;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const pv = p.headers[name];
    const ov = o.headers[name];
    if (pv !== ov && !sink.difference("header", rules.headerPaths[i] as string, pv, ov)) return;
  }
  if (p.bodyTruncated || o.bodyTruncated || rules.ignore.ignoresRoot) return;
  if (bytesEqual(p.body, o.body)) return;
  const pj = production.json();
  const oj = other.json();
  if (pj === NOT_JSON || oj === NOT_JSON) {
    sink.difference("body", "body", undefined, undefined);
    return;
  }
  walkJson(pj, oj, rules, sink, stack);
}
