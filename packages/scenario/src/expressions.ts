// Threshold and abort-rule expressions (`candidate.p99 < 1.1 * production.p99`): the module's public door.
export {
  DEFAULT_TARGET,
  METRIC_CATALOGUE,
  QUANTILES,
  TARGET_PLACEHOLDER,
  canonicalMetricName,
  knownMetricNames,
  lookupMetric,
  type MetricCatalogue,
  type MetricDimension,
  type MetricInfo,
} from "./expressions/catalogue.js";
export {
  parseExpression,
  type ArithmeticOp,
  type BinaryNode,
  type CompareOp,
  type Comparison,
  type ExpressionIssue,
  type ExpressionNode,
  type MetricNode,
  type NegateNode,
  type NumberNode,
  type ParseResult,
  type Span,
  type ThresholdExpression,
  type Unit,
} from "./expressions/parse.js";
export {
  evaluateExpression,
  formatExpression,
  formatQuantity,
  type Evaluated,
  type Evaluation,
  type NotEvaluable,
} from "./expressions/evaluate.js";
