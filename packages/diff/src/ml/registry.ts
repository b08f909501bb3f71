// The ML comparison kinds by name: validating a rule of any kind and compiling it.

import { InvalidInputError, type Issue } from "@parallax/protocol";
import { DriftComparison, type DriftResult, type DriftState, isValidDriftState } from "./drift.js";
import { isValidLabelState, LabelComparison, type LabelResult, type LabelState, validateLabelOptions } from "./label.js";
import { checkPath, type Comparison, type ComparisonKind, type ComparisonRule, describe, type DriftRule, type Field, isPlainRecord, type LabelRule, type ScoresRule, type TensorRule } from "./rule.js";
import { isValidScoresState, ScoresComparison, type ScoresResult, type ScoresState, validateScoresOptions } from "./scores.js";
import { isValidTensorState, TensorComparison, type TensorResult, type TensorState, validateTensorOptions } from "./tensor.js";

interface KindTypes {
  label: { rule: LabelRule; state: LabelState; result: LabelResult };
  scores: { rule: ScoresRule; state: ScoresState; result: ScoresResult };
  tensor: { rule: TensorRule; state: TensorState; result: TensorResult };
  drift: { rule: DriftRule; state: DriftState; result: DriftResult };
}

export type RuleOf<K extends ComparisonKind> = KindTypes[K]["rule"];
export type StateOf<K extends ComparisonKind> = KindTypes[K]["state"];
export type ResultOf<K extends ComparisonKind> = KindTypes[K]["result"];
export type ComparisonState = StateOf<ComparisonKind>;
export type ComparisonResult = ResultOf<ComparisonKind>;
export type ComparisonOf<K extends ComparisonKind> = Comparison<StateOf<K>, ResultOf<K>>;

export interface ComparisonDefinition<K extends ComparisonKind> {
  readonly kind: K;
  /** Keys a rule of this kind may have besides `kind` and `path`. */
  readonly options: readonly string[];
  /** Adds a problem per bad option value to `issues` (unknown keys are checked by the caller). */
  validate(rule: Readonly<Record<string, unknown>>, field: Field, issues: Issue[]): void;
  /** `rule` must be valid. */
  create(rule: RuleOf<K>): ComparisonOf<K>;
  /** Cheap structural check of a state from the wire (shape, counts, bounds), before `merge` trusts it. */
  isValidState(state: unknown): state is StateOf<K>;
}

/** Every kind, by the `kind` a rule names. */
export const COMPARISONS: { readonly [K in ComparisonKind]: ComparisonDefinition<K> } = Object.freeze({
  label: { kind: "label", options: ["maxLabels"], validate: validateLabelOptions, create: (rule: LabelRule) => new LabelComparison(rule), isValidState: isValidLabelState },
  scores: { kind: "scores", options: ["topK", "tolerance"], validate: validateScoresOptions, create: (rule: ScoresRule) => new ScoresComparison(rule), isValidState: isValidScoresState },
  tensor: { kind: "tensor", options: ["tolerance"], validate: validateTensorOptions, create: (rule: TensorRule) => new TensorComparison(rule), isValidState: isValidTensorState },
  drift: { kind: "drift", options: [], validate: () => undefined, create: (rule: DriftRule) => new DriftComparison(rule), isValidState: isValidDriftState },
});

function isKind(value: unknown): value is ComparisonKind {
  return typeof value === "string" && Object.hasOwn(COMPARISONS, value);
}

/**
 * Every problem with `rule`, each located by its field (`location` prefixes them, e.g.
 * `compare.ml[2]` gives `compare.ml[2].topK`); empty when it is usable. Options of another kind
 * are problems too: `topK` on a label rule would otherwise be silently ignored.
 */
export function validateComparisonRule(rule: unknown, location = ""): Issue[] {
  const field: Field = (name) => (location === "" ? name : `${location}.${name}`);
  const issues: Issue[] = [];
  if (!isPlainRecord(rule)) {
    const where = location === "" ? "rule" : location;
    return [{ location: where, message: `${where} must be an object with kind and path (got ${describe(rule)})` }];
  }
  checkPath(rule.path, field("path"), issues);
  if (!isKind(rule.kind)) {
    issues.push({ location: field("kind"), message: `${field("kind")} must be one of ${Object.keys(COMPARISONS).join(", ")} (got ${describe(rule.kind)})` });
    return issues;
  }
  const definition: ComparisonDefinition<ComparisonKind> = COMPARISONS[rule.kind];
  for (const key of Object.keys(rule)) {
    if (key === "kind" || key === "path" || definition.options.includes(key)) continue;
    const allowed = ["kind", "path", ...definition.options].join(", ");
    issues.push({ location: field(key), message: `${field(key)}: unknown option ${JSON.stringify(key)} for kind ${rule.kind} (allowed: ${allowed})` });
  }
  definition.validate(rule, field, issues);
  return issues;
}

/** Compiles `rule`; throws `InvalidInputError` listing every problem (see `validateComparisonRule`). */
export function createComparison(rule: LabelRule): ComparisonOf<"label">;
export function createComparison(rule: ScoresRule): ComparisonOf<"scores">;
export function createComparison(rule: TensorRule): ComparisonOf<"tensor">;
export function createComparison(rule: DriftRule): ComparisonOf<"drift">;
export function createComparison(rule: ComparisonRule): ComparisonOf<ComparisonKind>;
export function createComparison(rule: ComparisonRule): ComparisonOf<ComparisonKind> {
  const issues = validateComparisonRule(rule);
  if (issues.length > 0) throw new InvalidInputError(issues);
  const definition = COMPARISONS[rule.kind] as ComparisonDefinition<ComparisonKind>;
  return definition.create(rule);
}

/**
 * Whether `state` is a well-formed state of `kind`: what `merge` needs to stay correct (plain JSON
 * of the right shape, safe-integer counts that add up, bounded sizes). `merge` itself trusts its
 * input, so states decoded from the wire must pass this first. False for an unknown kind.
 */
export function isValidState(kind: string, state: unknown): state is ComparisonState {
  return isKind(kind) && COMPARISONS[kind].isValidState(state);
}
