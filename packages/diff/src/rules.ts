// ML comparison rules as the comparator, the merge and the summary use them: scoped to endpoints, compiled once.

import { InvalidInputError, type Issue } from "@parallax/protocol";
import { createComparison, isValidState, validateComparisonRule, type ComparisonOf } from "./ml/registry.js";
import { type ComparisonKind, type ComparisonRule, describe, isPlainRecord } from "./ml/rule.js";
import { parseSelector, type Selector } from "./ml/select.js";
import { rawContentsPath } from "./ml/tensor.js";

/** A comparison rule, optionally restricted to one endpoint template (absent: every endpoint). */
export type ScopedComparisonRule = ComparisonRule & { readonly endpoint?: string };

/** One rule ready to use: its position in the list (the key of its states), the comparison, its selector. */
export interface CompiledRule {
  readonly index: number;
  readonly rule: ScopedComparisonRule;
  readonly comparison: ComparisonOf<ComparisonKind>;
  readonly selector: Selector;
  /** Ignore patterns of what the rule compares, which the structural diff leaves to it (see `excludedPaths`). */
  readonly excluded: readonly string[];
}

/** `[METHOD ]/path`, or a gRPC method's `service/Method`. */
const ENDPOINT_TEMPLATE = /^(?:([A-Za-z]+ +)?\/\S*|[A-Za-z_][\w.]*\/[A-Za-z_]\w*)$/;

/** `${rule index}\u001f${endpoint}`: where the states of one rule at one endpoint live in `DiffTally.comparisons`. */
export function comparisonKey(rule: number, endpoint: string): string {
  return `${rule}\u001f${endpoint}`;
}

/**
 * Whether a rule scoped to `template` applies to pairs of `endpoint` (`METHOD /path`): the same
 * text, or the same path when the template names no method, or the same method in any case.
 */
export function ruleApplies(template: string | undefined, endpoint: string): boolean {
  if (template === undefined) return true;
  const t = template.trim();
  if (t === endpoint) return true;
  const space = endpoint.indexOf(" ");
  const path = endpoint.slice(space + 1);
  if (t.startsWith("/")) return t === path;
  const tSpace = t.indexOf(" ");
  return tSpace > 0 && space > 0 && t.slice(0, tSpace).toUpperCase() === endpoint.slice(0, space) && t.slice(tSpace + 1).trim() === path;
}

/** The rule without its scope, as `createComparison` takes it. */
function unscoped(rule: ScopedComparisonRule): ComparisonRule {
  if (!Object.hasOwn(rule, "endpoint")) return rule;
  const { endpoint: _endpoint, ...rest } = rule;
  return rest as ComparisonRule;
}

/** Adds a problem per bad rule field to `issues`, located as `${location}[i].field`. */
export function validateRules(rules: readonly ScopedComparisonRule[], location: string, issues: Issue[]): void {
  rules.forEach((rule, i) => {
    const at = `${location}[${i}]`;
    // Typed, but often straight from a scenario file: check the shape before reading fields.
    if (!isPlainRecord(rule as unknown)) {
      issues.push(...validateComparisonRule(rule, at));
      return;
    }
    issues.push(...validateComparisonRule(unscoped(rule), at));
    const endpoint: unknown = rule.endpoint;
    if (endpoint !== undefined && (typeof endpoint !== "string" || !ENDPOINT_TEMPLATE.test(endpoint.trim()))) {
      issues.push({ location: `${at}.endpoint`, message: `${at}.endpoint must be an endpoint template such as "POST /v1/models/{id}:predict" or "/users/{id}", or a gRPC service/Method (got ${describe(endpoint)})` });
    }
  });
}

/**
 * The paths a rule takes from the structural diff, with everything below them: its own, and for a
 * tensor rule the gRPC raw contents beside its outputs (`$.outputs` → `$.rawOutputContents`),
 * which it decodes; otherwise every changed float would also show as a changed base64 string.
 */
function excludedPaths(rule: ScopedComparisonRule, selector: Selector): readonly string[] {
  const raw = rule.kind === "tensor" ? rawContentsPath(selector) : undefined;
  return raw === undefined ? [rule.path] : [rule.path, raw];
}

// Compiled per list, so the comparator, every merge and the summary share one compilation.
// Comparisons keep scratch arrays; all users are synchronous, so sharing them is safe.
const compiledLists = new WeakMap<readonly ScopedComparisonRule[], readonly CompiledRule[]>();

/** Throws `InvalidInputError` listing every problem (see `validateRules`). */
export function compileRules(rules: readonly ScopedComparisonRule[]): readonly CompiledRule[] {
  let compiled = compiledLists.get(rules);
  if (compiled !== undefined) return compiled;
  const issues: Issue[] = [];
  validateRules(rules, "rules", issues);
  if (issues.length > 0) throw new InvalidInputError(issues);
  compiled = rules.map((rule, index) => {
    const parsed = parseSelector(rule.path);
    if (!parsed.ok) throw new Error(parsed.message);
    return { index, rule, comparison: createComparison(unscoped(rule)), selector: parsed.selector, excluded: excludedPaths(rule, parsed.selector) };
  });
  compiledLists.set(rules, compiled);
  return compiled;
}

/** Whether `state` (possibly from the wire) is a well-formed state of the rule's kind. */
export function isStateOf(rule: CompiledRule, state: unknown): boolean {
  return isValidState(rule.rule.kind, state);
}
