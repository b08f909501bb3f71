// Threshold and abort-rule expressions: tokenizer, recursive-descent parser and dimension check.
// Scenarios are data, so this is a closed little language: no eval, no functions, no variables.
//
//   expr   := side ("<" | "<=" | ">" | ">=" | "==" | "!=") side
//   side   := term (("+" | "-") term)*
//   term   := factor (("*" | "/") factor)*
//   factor := NUMBER UNIT? | METRIC | "(" side ")" | "-" factor
//   UNIT   := us | µs | ms | s | %          (written right after the digits: 250ms, 0.5%)
//   METRIC := name ("." name)*              (candidate.p99, errors.rate, p99.9)
import { closest } from "../suggest.js";
import {
  METRIC_CATALOGUE,
  canonicalMetricName,
  lookupMetric,
  unknownMetricHint,
  type MetricCatalogue,
  type MetricDimension,
} from "./catalogue.js";

export type CompareOp = "<" | "<=" | ">" | ">=" | "==" | "!=";
export type ArithmeticOp = "+" | "-" | "*" | "/";
/** Units as the parser writes them back (`µs` and `μs` are read as `us`). */
export type Unit = "us" | "ms" | "s" | "%";

/** 0-based, half-open offsets of a node's text in the source, parentheses included. */
export interface Span {
  readonly from: number;
  readonly to: number;
}

export interface NumberNode extends Span {
  readonly kind: "number";
  /** Normalised: milliseconds for a duration, a fraction for a percentage. */
  readonly value: number;
  /** The digits as written, `0.5` of `0.5%`. */
  readonly digits: string;
  readonly unit: Unit | undefined;
}

export interface MetricNode extends Span {
  readonly kind: "metric";
  /** Canonical: `candidate.p999` for `p99.9`. */
  readonly name: string;
  readonly written: string;
}

export interface NegateNode extends Span {
  readonly kind: "negate";
  readonly operand: ExpressionNode;
}

export interface BinaryNode extends Span {
  readonly kind: "binary";
  readonly op: ArithmeticOp;
  readonly left: ExpressionNode;
  readonly right: ExpressionNode;
}

export type ExpressionNode = NumberNode | MetricNode | NegateNode | BinaryNode;

/** `left op right`; the left side is the observed value and the right side the limit. */
export interface Comparison {
  readonly op: CompareOp;
  readonly left: ExpressionNode;
  readonly right: ExpressionNode;
}

export interface ThresholdExpression {
  readonly source: string;
  readonly ast: Comparison;
  /** Canonical names of the metrics it reads, in order of first appearance. */
  readonly metrics: readonly string[];
  /** What the two sides measure, for showing observed and limit (`180ms`, `0.5%`). */
  readonly dimension: MetricDimension;
}

export interface ExpressionIssue {
  /** Says the column too, so it reads on its own: `unknown unit "mss" at column 4 (did you mean "ms"?)`. */
  readonly message: string;
  /** 1-based, in UTF-16 code units of the source; one past the end when the expression ended too soon. */
  readonly column: number;
}

export type ParseResult =
  | { readonly ok: true; readonly expression: ThresholdExpression }
  | { readonly ok: false; readonly issues: readonly ExpressionIssue[] };

const COMPARISONS: readonly string[] = ["<=", ">=", "==", "!=", "<", ">"];
const SYMBOLS: readonly string[] = [...COMPARISONS, "+", "-", "*", "/", "(", ")"];
const MIRROR: Readonly<Record<CompareOp, CompareOp>> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!=" };

/** Written unit → canonical unit and its power of ten relative to ms (durations) or to 1 (percent). */
const UNITS: Readonly<Record<string, { readonly unit: Unit; readonly exponent: number }>> = {
  us: { unit: "us", exponent: -3 },
  "µs": { unit: "us", exponent: -3 },
  "μs": { unit: "us", exponent: -3 },
  ms: { unit: "ms", exponent: 0 },
  s: { unit: "s", exponent: 3 },
  "%": { unit: "%", exponent: -2 },
};

const CHARACTER_HINTS: Readonly<Record<string, string>> = {
  "=": "write == to test equality",
  "!": "write != for not equal",
  "≤": "write <=",
  "≥": "write >=",
  "≠": "write !=",
  "×": "write *",
  "÷": "write /",
  ".": "write a digit before the point: 0.5",
};

const NUMBER = /\d+(?:\.\d+)?/y;
const UNIT = /[A-Za-z_µμ][A-Za-z0-9_µμ]*|%/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*/y;
const SPACE = /\s/;

type Token =
  | { readonly kind: "number"; readonly digits: string; readonly unit: string; readonly from: number; readonly to: number }
  | { readonly kind: "name"; readonly text: string; readonly from: number; readonly to: number }
  | { readonly kind: "symbol"; readonly text: string; readonly from: number; readonly to: number }
  | { readonly kind: "end"; readonly from: number; readonly to: number };

/** A syntax error: parsing stops at the first one. */
class SyntaxFailure extends Error {
  readonly issue: ExpressionIssue;
  constructor(issue: ExpressionIssue) {
    super(issue.message);
    this.issue = issue;
  }
}

function issueAt(offset: number, problem: string, hint?: string): ExpressionIssue {
  const column = offset + 1;
  return { column, message: `${problem} at column ${column}${hint === undefined ? "" : ` (${hint})`}` };
}

function fail(offset: number, problem: string, hint?: string): never {
  throw new SyntaxFailure(issueAt(offset, problem, hint));
}

/**
 * Parses and checks a threshold or abort-rule expression. Syntax errors stop at the first;
 * unknown metrics, unknown units and dimension mismatches are all reported, in column order.
 */
export function parseExpression(source: string, catalogue: MetricCatalogue = METRIC_CATALOGUE): ParseResult {
  let parsed: { ast: Comparison; unitIssues: ExpressionIssue[] };
  try {
    parsed = parseTokens(source, tokenize(source), catalogue);
  } catch (error) {
    if (error instanceof SyntaxFailure) return { ok: false, issues: [error.issue] };
    throw error;
  }
  const checked = check(source, parsed.ast, catalogue);
  const issues = [...parsed.unitIssues, ...checked.issues].sort((a, b) => a.column - b.column);
  if (issues.length > 0 || checked.dimension === undefined) return { ok: false, issues };
  let ast = parsed.ast;
  // A limit written first (`250ms > p99`) is turned around so the observed value is always on the left.
  if (metricsOf(ast.left).length === 0) ast = { op: MIRROR[ast.op], left: ast.right, right: ast.left };
  const metrics = [...new Set([...metricsOf(ast.left), ...metricsOf(ast.right)])];
  return { ok: true, expression: { source, ast, metrics, dimension: checked.dimension } };
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const match = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = i;
    return pattern.exec(source)?.[0];
  };
  while (i < source.length) {
    const char = String.fromCodePoint(source.codePointAt(i) ?? 0);
    if (SPACE.test(char)) {
      i += char.length;
      continue;
    }
    const previous = tokens.at(-1);
    if (previous?.kind === "number" && previous.unit === "") {
      const word = match(UNIT);
      if (word !== undefined && Object.hasOwn(UNITS, word)) fail(i, `unexpected "${word}"`, `write the unit right after the number: ${previous.digits}${word}`);
    }
    const digits = match(NUMBER);
    if (digits !== undefined) {
      const from = i;
      i += digits.length;
      if (source[i] === ".") fail(i + 1, `expected digits after "${digits}."`);
      const unit = match(UNIT) ?? "";
      i += unit.length;
      tokens.push({ kind: "number", digits, unit, from, to: i });
      continue;
    }
    const name = match(NAME);
    if (name !== undefined) {
      const from = i;
      i += name.length;
      if (source[i] === ".") fail(i + 1, `expected a name after "${name}."`);
      tokens.push({ kind: "name", text: name, from, to: i });
      continue;
    }
    const symbol = SYMBOLS.find((s) => source.startsWith(s, i));
    if (symbol !== undefined) {
      tokens.push({ kind: "symbol", text: symbol, from: i, to: i + symbol.length });
      i += symbol.length;
      continue;
    }
    fail(i, `unexpected character "${char}"`, CHARACTER_HINTS[char]);
  }
  tokens.push({ kind: "end", from: source.length, to: source.length });
  return tokens;
}

function parseTokens(source: string, tokens: readonly Token[], catalogue: MetricCatalogue): { ast: Comparison; unitIssues: ExpressionIssue[] } {
  const unitIssues: ExpressionIssue[] = [];
  let index = 0;
  const end = tokens.at(-1) ?? { kind: "end", from: source.length, to: source.length };
  const peek = (): Token => tokens[index] ?? end;
  const next = (): Token => tokens[index++] ?? end;
  const text = (span: Span): string => source.slice(span.from, span.to);
  const is = (token: Token, ...symbols: string[]): boolean => token.kind === "symbol" && symbols.includes(token.text);
  const arithmetic = (token: Token, ...ops: ArithmeticOp[]): ArithmeticOp | undefined =>
    ops.find((op) => token.kind === "symbol" && token.text === op);

  const side = (): ExpressionNode => {
    let left = term();
    for (let op = arithmetic(peek(), "+", "-"); op !== undefined; op = arithmetic(peek(), "+", "-")) {
      next();
      const right = term();
      left = { kind: "binary", op, left, right, from: left.from, to: right.to };
    }
    return left;
  };

  const term = (): ExpressionNode => {
    let left = factor();
    for (let op = arithmetic(peek(), "*", "/"); op !== undefined; op = arithmetic(peek(), "*", "/")) {
      next();
      const right = factor();
      left = { kind: "binary", op, left, right, from: left.from, to: right.to };
    }
    return left;
  };

  const factor = (): ExpressionNode => {
    const previous = tokens[index - 1];
    const t = next();
    switch (t.kind) {
      case "number":
        return numberNode(t, unitIssues);
      case "name":
        return { kind: "metric", name: canonicalMetricName(t.text, catalogue), written: t.text, from: t.from, to: t.to };
      case "symbol":
        if (t.text === "(") {
          const inner = side();
          const close = peek();
          if (!is(close, ")")) fail(close.from, `expected ")" after "${source.slice(t.from, inner.to)}"`, `to close the "(" at column ${t.from + 1}`);
          next();
          return { ...inner, from: t.from, to: close.to };
        }
        if (t.text === "-") {
          const operand = factor();
          return { kind: "negate", operand, from: t.from, to: operand.to };
        }
        break;
      case "end":
        break;
    }
    fail(t.from, `expected a metric, a number or "("${previous === undefined ? "" : ` after "${text(previous)}"`}`);
  };

  if (peek().kind === "end") fail(0, "empty expression", "write a comparison such as candidate.p99 < 250ms");
  const left = side();
  const op = peek();
  if (is(op, ")")) fail(op.from, `unmatched ")"`);
  if (op.kind !== "symbol" || !COMPARISONS.includes(op.text)) fail(op.from, `expected a comparison (<, <=, >, >=, ==, !=) after "${text(left)}"`);
  next();
  const right = side();
  const rest = peek();
  if (rest.kind !== "end") {
    if (is(rest, ")")) fail(rest.from, `unmatched ")"`);
    const hint = rest.kind === "symbol" && COMPARISONS.includes(rest.text) ? "one comparison per rule: write two rules" : undefined;
    fail(rest.from, `expected the end of the expression after "${source.slice(left.from, right.to)}"`, hint);
  }
  return { ast: { op: op.text as CompareOp, left, right }, unitIssues };
}

/** An unknown unit is reported and leaves a NaN value, which the check skips. */
function numberNode(t: Token & { kind: "number" }, unitIssues: ExpressionIssue[]): NumberNode {
  const span = { from: t.from, to: t.to };
  if (t.unit === "") return { kind: "number", value: scaled(t.digits, 0), digits: t.digits, unit: undefined, ...span };
  const known = UNITS[t.unit];
  if (known === undefined) {
    const near = closest(t.unit, Object.keys(UNITS));
    const units = "known units: us (or µs), ms, s, %";
    unitIssues.push(issueAt(t.from + t.digits.length, `unknown unit "${t.unit}"`, near === undefined ? units : `did you mean "${near}"? ${units}`));
    return { kind: "number", value: Number.NaN, digits: t.digits, unit: undefined, ...span };
  }
  return { kind: "number", value: scaled(t.digits, known.exponent), digits: t.digits, unit: known.unit, ...span };
}

/** `digits` × 10^exponent with one rounding (integer mantissa over a power of ten): `1.1%` is exactly 0.011. */
function scaled(digits: string, exponent: number): number {
  const [numerator, denominator] = decimal(digits, exponent);
  return numerator / denominator;
}

function decimal(digits: string, exponent: number): [numerator: number, denominator: number] {
  const [whole = "", fraction = ""] = digits.split(".");
  const mantissa = Number(whole + fraction);
  const e = exponent - fraction.length;
  return e >= 0 ? [mantissa * 10 ** e, 1] : [mantissa, 10 ** -e];
}

/**
 * A literal's value as integer / power of ten, so `1.1 * production.p99` can be computed as
 * `11 * p99 / 10`: 165 for 150, not 165.00000000000003.
 */
export function literalFraction(node: NumberNode): [numerator: number, denominator: number] {
  return decimal(node.digits, node.unit === undefined ? 0 : (UNITS[node.unit]?.exponent ?? 0));
}

export function metricsOf(node: ExpressionNode): string[] {
  switch (node.kind) {
    case "number":
      return [];
    case "metric":
      return [node.name];
    case "negate":
      return metricsOf(node.operand);
    case "binary":
      return [...metricsOf(node.left), ...metricsOf(node.right)];
  }
}

/** A metric's dimension, or `scalar` for a number written without a unit (it takes the other side's). */
type Dimension = MetricDimension | "scalar";

const DIMENSION_NAMES: Readonly<Record<Dimension, string>> = {
  duration: "a duration",
  ratio: "a ratio",
  count: "a count",
  rate: "a rate per second",
  number: "a plain number",
  scalar: "a number without a unit",
};

const dimensionless = (d: Dimension): boolean => d === "ratio" || d === "number";

/** Dimensions of every node, reporting unknown metrics and mismatches; `undefined` below an error already reported. */
function check(source: string, ast: Comparison, catalogue: MetricCatalogue): { issues: ExpressionIssue[]; dimension: MetricDimension | undefined } {
  const issues: ExpressionIssue[] = [];
  const text = (span: Span): string => source.slice(span.from, span.to);
  const report = (at: Span, problem: string, hint?: string): undefined => {
    issues.push(issueAt(at.from, problem, hint));
    return undefined;
  };
  const mismatch = (verb: "compare" | "add" | "subtract" | "multiply" | "divide", a: ExpressionNode, da: Dimension, b: ExpressionNode, db: Dimension): undefined => {
    const A = `${text(a)} (${DIMENSION_NAMES[da]})`;
    const B = `${text(b)} (${DIMENSION_NAMES[db]})`;
    const phrase = { compare: `compare ${A} with ${B}`, add: `add ${B} to ${A}`, subtract: `subtract ${B} from ${A}`, multiply: `multiply ${A} by ${B}`, divide: `divide ${A} by ${B}` };
    return report(b, `cannot ${phrase[verb]}`);
  };

  /** Both sides of a comparison, sum or difference must measure the same thing. */
  const alike = (verb: "compare" | "add" | "subtract", a: ExpressionNode, da: Dimension, b: ExpressionNode, db: Dimension): Dimension | undefined => {
    if (da === db) return da;
    if (da === "scalar" || db === "scalar") {
      const [bare, other, dOther] = da === "scalar" ? [a, b, db] : [b, a, da];
      // A count, a rate or a plain number has no unit to forget; zero is zero in any unit.
      if (dOther !== "duration" && dOther !== "ratio") return dOther;
      if (isZero(bare)) return dOther;
      return report(bare, `${text(bare)} has no unit but ${text(other)} is ${DIMENSION_NAMES[dOther]}`, unitHint(bare, dOther));
    }
    if (dimensionless(da) && dimensionless(db)) return "number";
    return mismatch(verb, a, da, b, db);
  };

  const dimensionOf = (node: ExpressionNode): Dimension | undefined => {
    switch (node.kind) {
      case "number":
        if (Number.isNaN(node.value)) return undefined;
        return node.unit === undefined ? "scalar" : node.unit === "%" ? "ratio" : "duration";
      case "metric": {
        const info = lookupMetric(node.name, catalogue);
        if (info === undefined) return report(node, `unknown metric "${node.written}"`, unknownMetricHint(node.written, node.name, catalogue));
        return info.dimension;
      }
      case "negate":
        return dimensionOf(node.operand);
      case "binary": {
        const { op, left, right } = node;
        const dl = dimensionOf(left);
        const dr = dimensionOf(right);
        if (op === "/" && isZero(right)) return report(right, "division by zero");
        if (dl === undefined || dr === undefined) return undefined;
        switch (op) {
          case "+":
            return alike("add", left, dl, right, dr);
          case "-":
            return alike("subtract", left, dl, right, dr);
          case "*":
            if (dl === "scalar") return dr;
            if (dr === "scalar") return dl;
            if (dimensionless(dl) && dimensionless(dr)) return dl === dr ? dl : "number";
            if (dimensionless(dl)) return dr;
            if (dimensionless(dr)) return dl;
            return mismatch("multiply", left, dl, right, dr);
          case "/":
            if (dr === "scalar") return dl;
            // A quotient of like quantities (candidate.p99 / production.p99) is a plain factor.
            if (dl === dr) return "number";
            if (dimensionless(dr)) return dl === "scalar" ? "number" : dl;
            return mismatch("divide", left, dl, right, dr);
        }
      }
    }
  };

  const { left, right } = ast;
  const dl = dimensionOf(left);
  const dr = dimensionOf(right);
  const compared = dl !== undefined && dr !== undefined ? alike("compare", left, dl, right, dr) : undefined;
  if (metricsOf(left).length + metricsOf(right).length === 0) {
    report({ from: 0, to: source.length }, "the expression reads no metric", "compare a metric with a limit, such as candidate.p99 < 250ms");
  }
  return { issues, dimension: compared === "scalar" ? "number" : compared };
}

function isZero(node: ExpressionNode): boolean {
  return (node.kind === "number" && node.value === 0) || (node.kind === "negate" && isZero(node.operand));
}

/** How to give a bare number the unit the other side needs: `write 250ms`, `write 1%`. */
function unitHint(node: ExpressionNode, needed: "duration" | "ratio"): string {
  const sign = node.kind === "negate" ? "-" : "";
  const literal = node.kind === "number" ? node : node.kind === "negate" && node.operand.kind === "number" ? node.operand : undefined;
  if (needed === "duration") return literal === undefined ? "give its numbers a unit: us, ms or s" : `write ${sign}${literal.digits}ms`;
  if (literal === undefined) return "give its numbers the unit %";
  const percent = `write ${sign}${literal.digits}%`;
  // `0.5` next to a ratio is most likely half a percent, but might be meant as the fraction.
  return literal.value <= 1 ? `${percent}, or ${sign}${scaled(literal.digits, 2)}% for the fraction ${sign}${literal.digits}` : percent;
}
