// What the comparison is told, its defaults, and the check that reports every bad option.

import type { Issue, RecordedRequest } from "@parallax/protocol";
import { parseIgnorePattern } from "./ignore.js";
import { validateRules, type ScopedComparisonRule } from "./rules.js";
import type { Tolerance } from "./tolerance.js";

export interface CompareOptions {
  /** JSONPath patterns (`$`, `.name`, `['name']`, `[n]`, `[*]`, `.*`, `..name`); each ignores the matched path and everything below it. */
  readonly ignore: readonly string[];
  /** Numbers a, b are equal iff |a−b| <= max(absolute, relative·max(|a|,|b|)). */
  readonly tolerance: Tolerance;
  /** Response headers compared (matched lower-case); kind `header`, path `header:<name>`. */
  readonly headers: readonly string[];
  /** Reservoir size per signature. */
  readonly exemplars: number;
  /** Bodies in exemplars are cut to this many bytes (and marked `bodyTruncated`). */
  readonly maxExemplarBodyBytes: number;
  /** Distinct signatures a tally holds; a pair with a signature beyond it counts in `overflowPairs`. */
  readonly maxSignatures?: number;
  /** Distinct combos a tally holds; a pair with a new combo beyond it counts in `overflowPairs`. */
  readonly maxCombos?: number;
  /** Uniform in [0, 1), for reservoir sampling; tests pass a seeded one. */
  readonly random?: () => number;
  /**
   * ML-aware comparisons (`compare.rules`), each optionally restricted to one endpoint template
   * (`POST /v1/models/{id}:predict`, or `/v1/models/{id}:predict` for every method). A rule's path
   * and everything below it is compared by the rule instead of structurally, on the endpoints the
   * rule applies to. Its states are kept in `DiffTally.comparisons` under the rule's index, so
   * `mergeTally` and `summarizeComparisons` must be given the same list.
   */
  readonly rules?: readonly ScopedComparisonRule[];
}

export const COMPARE_DEFAULTS = Object.freeze({
  ignore: Object.freeze([] as string[]) as readonly string[],
  tolerance: Object.freeze({ absolute: 0, relative: 0 }),
  headers: Object.freeze([] as string[]) as readonly string[],
  exemplars: 5,
  maxExemplarBodyBytes: 4096,
  maxSignatures: 1000,
  maxCombos: 10000,
});

/**
 * One response as the comparison sees it. Header names are expected lower-case (as undici and
 * node:http give them). `bodyTruncated`: the engine kept only a prefix, so content is not compared.
 */
export type Outcome =
  | {
      readonly ok: true;
      readonly status: number;
      /** How the status is reported and keyed (`statusCodes`), when not by its number: a gRPC status name (`OK`, `UNAVAILABLE`). */
      readonly statusName?: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: Uint8Array;
      readonly bodyTruncated: boolean;
    }
  | { readonly ok: false; readonly error: string };

/** One recorded request sent to every target at the same instant, with what each returned. */
export interface PairInput {
  /** Endpoint template, e.g. `POST /v1/models/{id}:predict` (see `endpointTemplate`). */
  readonly endpoint: string;
  /** Already redacted: it goes into exemplars as is. */
  readonly request: RecordedRequest;
  readonly production: Outcome;
  readonly candidate: Outcome;
  readonly secondary?: Outcome | undefined;
}

function nonNegative(value: number, name: string, integer: boolean, issues: Issue[], min = 0): void {
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    issues.push({ location: name, message: `${name} must be ${integer ? "an integer" : "a finite number"} >= ${min} (got ${String(value)})` });
  }
}

/** Every problem with the options, each with the option's name; empty when they are usable. */
export function validateCompareOptions(options: CompareOptions): Issue[] {
  const issues: Issue[] = [];
  options.ignore.forEach((pattern, i) => {
    const parsed = parseIgnorePattern(pattern);
    if (!parsed.ok) issues.push({ location: `ignore[${i}]`, message: parsed.message });
  });
  nonNegative(options.tolerance.absolute, "tolerance.absolute", false, issues);
  nonNegative(options.tolerance.relative, "tolerance.relative", false, issues);
  options.headers.forEach((name, i) => {
    if (name.length === 0 || /[\s:]/.test(name)) issues.push({ location: `headers[${i}]`, message: `headers[${i}] must be a header name (got "${name}")` });
  });
  nonNegative(options.exemplars, "exemplars", true, issues);
  nonNegative(options.maxExemplarBodyBytes, "maxExemplarBodyBytes", true, issues);
  if (options.maxSignatures !== undefined) nonNegative(options.maxSignatures, "maxSignatures", true, issues, 1);
  if (options.maxCombos !== undefined) nonNegative(options.maxCombos, "maxCombos", true, issues, 1);
  if (options.rules !== undefined) validateRules(options.rules, "rules", issues);
  return issues;
}
