// @parallax/diff: pure response comparison (design.md §6). Counts per pair, noise decided at the end.

export { Comparator } from "./comparator.js";
export { COMPARE_DEFAULTS, validateCompareOptions, type CompareOptions, type Outcome, type PairInput } from "./options.js";
export { createTally, mergeTally, sampleTally, type MergeOptions } from "./tally.js";
export { classify, DIFFY_THRESHOLDS, NOISE_METHOD, NOISE_METHODS, summarize, type Classification, type EndpointCounts, type NoiseMethod, type NoiseOptions } from "./summarize.js";
export { summarizeComparisons, type ComparisonFigures, type ComparisonReport, type ComparisonReportOf } from "./comparisons.js";
export { comparisonKey, ruleApplies, type ScopedComparisonRule } from "./rules.js";
export { binomialUpperTail, mcnemarPValue } from "./mcnemar.js";
export { endpointTemplate } from "./endpoint.js";
export { IgnoreMatcher, parseIgnorePattern, type ParsedPattern, type PatternStep } from "./ignore.js";
export { diffJson, type JsonDifference, type JsonRules } from "./structural.js";
export { numbersEqual, type Tolerance } from "./tolerance.js";
export { formatKey, formatPath, type PathSegment } from "./path.js";
export { NOT_JSON, parseJsonBody } from "./body.js";
export { encodeBody, MAX_EXEMPLAR_DIFFERENCES } from "./exemplar.js";
export { mergeReservoirs, reservoirSlot } from "./reservoir.js";
export {
  COMPARISONS,
  createComparison,
  isValidState,
  ML_DIFF_KINDS,
  validateComparisonRule,
  type Comparison,
  type ComparisonKind,
  type ComparisonResult,
  type ComparisonRule,
  type ComparisonState,
  type DriftResult,
  type LabelResult,
  type MlDiffKind,
  type ResultOf,
  type ScoresResult,
  type StateOf,
  type TensorResult,
} from "./ml/index.js";
