// Evaluating a parsed threshold against measured metrics, and writing expressions and values back as text.
import type { MetricDimension } from "./catalogue.js";
import { literalFraction, type ArithmeticOp, type BinaryNode, type Comparison, type CompareOp, type ExpressionNode, type ThresholdExpression } from "./parse.js";

/** Both sides had a value: `observed` is the left side, `limit` the right, in ms or as fractions. */
export interface Evaluated {
  readonly pass: boolean;
  readonly observed: number;
  readonly limit: number;
}

/**
 * A side had no value: a metric was not measured (`missing`), or a divisor was 0 (`missing` may then
 * be empty). The side that could be computed is still given. Whether that fails a threshold or
 * leaves an abort rule quiet is the caller's decision; `reason` says why, for the report.
 */
export interface NotEvaluable {
  readonly pass: undefined;
  readonly observed: number | undefined;
  readonly limit: number | undefined;
  readonly missing: readonly string[];
  readonly reason: string;
}

export type Evaluation = Evaluated | NotEvaluable;

/**
 * `resolve` gives a metric's value by canonical name (ms for durations, a fraction for ratios), or
 * `undefined` when it was not measured; a non-finite value counts as not measured. It is asked once
 * per metric. `==` and `!=` compare exactly.
 */
export function evaluateExpression(expression: ThresholdExpression, resolve: (metric: string) => number | undefined): Evaluation {
  const values = new Map<string, number>();
  const missing: string[] = [];
  for (const metric of expression.metrics) {
    const value = resolve(metric);
    if (value === undefined || !Number.isFinite(value)) missing.push(metric);
    else values.set(metric, value);
  }
  const problems: string[] = missing.length > 0 ? [`not measured: ${missing.join(", ")}`] : [];
  const compute = (node: ExpressionNode): number | undefined => {
    switch (node.kind) {
      case "number":
        return node.value;
      case "metric":
        return values.get(node.name);
      case "negate": {
        const operand = compute(node.operand);
        return operand === undefined ? undefined : -operand;
      }
      case "binary": {
        const left = compute(node.left);
        const right = compute(node.right);
        if (left === undefined || right === undefined) return undefined;
        if (node.op === "/" && right === 0) {
          problems.push(`${formatNode(node.right)} is 0, so ${formatNode(node)} has no value`);
          return undefined;
        }
        const result = exact(node, left, right) ?? arithmetic(node.op, left, right);
        if (Number.isFinite(result)) return result;
        problems.push(`${formatNode(node)} is not a finite number`);
        return undefined;
      }
    }
  };
  const { op, left, right } = expression.ast;
  const observed = compute(left);
  const limit = compute(right);
  if (observed === undefined || limit === undefined) return { pass: undefined, observed, limit, missing, reason: problems.join("; ") };
  return { pass: compare(op, observed, limit), observed, limit };
}

/** Scaling by a decimal literal with one rounding instead of two. */
function exact(node: BinaryNode, left: number, right: number): number | undefined {
  if (node.op === "*" && node.left.kind === "number") {
    const [n, d] = literalFraction(node.left);
    return (n * right) / d;
  }
  if (node.op === "*" && node.right.kind === "number") {
    const [n, d] = literalFraction(node.right);
    return (left * n) / d;
  }
  if (node.op === "/" && node.right.kind === "number") {
    const [n, d] = literalFraction(node.right);
    return (left * d) / n;
  }
  return undefined;
}

function arithmetic(op: ArithmeticOp, a: number, b: number): number {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b;
  }
}

function compare(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "==":
      return a === b;
    case "!=":
      return a !== b;
  }
}

/**
 * Canonical text: full metric names (`p99.9` → `candidate.p999`), `us` for µs, single spaces,
 * parentheses only where needed. It parses back to the same tree.
 */
export function formatExpression(expression: ThresholdExpression | Comparison): string {
  const ast = "ast" in expression ? expression.ast : expression;
  return `${formatNode(ast.left)} ${ast.op} ${formatNode(ast.right)}`;
}

const PRECEDENCE: Readonly<Record<ArithmeticOp, number>> = { "+": 1, "-": 1, "*": 2, "/": 2 };

export function formatNode(node: ExpressionNode): string {
  switch (node.kind) {
    case "number":
      return node.digits + (node.unit ?? "");
    case "metric":
      return node.name;
    case "negate":
      return node.operand.kind === "binary" ? `-(${formatNode(node.operand)})` : `-${formatNode(node.operand)}`;
    case "binary": {
      const p = PRECEDENCE[node.op];
      const left = formatNode(node.left);
      const right = formatNode(node.right);
      // Operators group to the left, so a right operand of equal precedence keeps its parentheses.
      const l = node.left.kind === "binary" && PRECEDENCE[node.left.op] < p ? `(${left})` : left;
      const r = node.right.kind === "binary" && PRECEDENCE[node.right.op] <= p ? `(${right})` : right;
      return `${l} ${node.op} ${r}`;
    }
  }
}

/** A value as an expression would write it, for report rows: `180ms`, `0.5%`, `1000`, `12.5/s`. */
export function formatQuantity(value: number, dimension: MetricDimension): string {
  if (!Number.isFinite(value)) return String(value);
  const trim = (n: number, decimals: number): string => String(Number(n.toFixed(decimals)));
  switch (dimension) {
    case "duration":
      return `${trim(value, 3)}ms`;
    case "ratio":
      return `${trim(value * 100, 4)}%`;
    case "rate":
      return `${trim(value, 2)}/s`;
    case "count":
      return trim(value, 3);
    case "number":
      return trim(value, 6);
  }
}
