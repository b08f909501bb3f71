// ML-aware comparisons (design.md §6): label agreement, score distances and top-k, tensors, drift.

export { COMPARISONS, createComparison, isValidState, validateComparisonRule, type ComparisonDefinition, type ComparisonOf, type ComparisonResult, type ComparisonState, type ResultOf, type RuleOf, type StateOf } from "./registry.js";
export {
  COMPARISON_KINDS,
  MAX_LABELS_LIMIT,
  ML_DEFAULTS,
  ML_DIFF_KINDS,
  NO_DIFFERENCES,
  type Comparison,
  type ComparisonKind,
  type ComparisonRule,
  type DriftRule,
  type LabelRule,
  type MlDiffKind,
  type ScoresRule,
  type TensorRule,
  type ToleranceOption,
} from "./rule.js";
export { isValidLabelState, LabelComparison, labelText, MAX_LABEL_LENGTH, OTHER_LABEL, type LabelResult, type LabelState } from "./label.js";
export { isValidScoresState, MAX_TOP_K, ScoresComparison, topIndices, type ScoresResult, type ScoresState } from "./scores.js";
export { isValidTensorState, TensorComparison, type TensorResult, type TensorState } from "./tensor.js";
export {
  DriftComparison,
  driftStatistics,
  isValidDriftState,
  PSI_BINS,
  PSI_EPSILON,
  SKETCH_MAX,
  SKETCH_MAX_BUCKETS,
  SKETCH_MIN,
  SKETCH_RELATIVE_ACCURACY,
  sketchKey,
  type DriftResult,
  type DriftSide,
  type DriftState,
  type SketchState,
} from "./drift.js";
export { MAX_DIFFERENCE, MAX_PARTIALS } from "./check.js";
export { addExact, addExactAll, exactTotal, isClose, isNumber, MAX_MAGNITUDE, type ExactSum } from "./numeric.js";
export { parseSelector, selectValues, type ParsedSelector, type Selector } from "./select.js";
