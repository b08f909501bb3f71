// @parallax/diff: pure response comparison (design.md §6). Counts per pair, noise decided at the end.

export { Comparator } from "./comparator.js";
export { COMPARE_DEFAULTS, validateCompareOptions, type CompareOptions, type Outcome, type PairInput } from "./options.js";
export { createTally, mergeTally, type MergeOptions } from "./tally.js";
export { classify, NOISE_METHOD, summarize, type Classification, type NoiseOptions } from "./summarize.js";
export { binomialUpperTail, mcnemarPValue } from "./mcnemar.js";
export { endpointTemplate } from "./endpoint.js";
export { IgnoreMatcher, parseIgnorePattern, type ParsedPattern, type PatternStep } from "./ignore.js";
export { diffJson, type JsonDifference, type JsonRules } from "./structural.js";
export { numbersEqual, type Tolerance } from "./tolerance.js";
export { formatKey, formatPath, type PathSegment } from "./path.js";
export { NOT_JSON, parseJsonBody } from "./body.js";
export { encodeBody, MAX_EXEMPLAR_DIFFERENCES } from "./exemplar.js";
export { mergeReservoirs, reservoirSlot } from "./reservoir.js";
export { COMPARISONS, createComparison, validateComparisonRule, type Comparison, type ComparisonKind, type ComparisonResult, type ComparisonRule, type MlDiffKind } from "./ml/index.js";
