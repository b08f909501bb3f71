import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  METRIC_CATALOGUE,
  canonicalMetricName,
  evaluateExpression,
  formatExpression,
  formatQuantity,
  knownMetricNames,
  lookupMetric,
  parseExpression,
  type Comparison,
  type ExpressionNode,
  type MetricCatalogue,
  type MetricDimension,
  type ThresholdExpression,
} from "../src/expressions.js";

function parsed(source: string, catalogue?: MetricCatalogue): ThresholdExpression {
  const result = parseExpression(source, catalogue);
  if (!result.ok) assert.fail(`${source}: ${result.issues.map((i) => i.message).join("; ")}`);
  return result.expression;
}

function issuesOf(source: string): { column: number; message: string }[] {
  const result = parseExpression(source);
  if (result.ok) assert.fail(`${source} parsed as ${formatExpression(result.expression)}`);
  return result.issues.map(({ column, message }) => ({ column, message }));
}

function resolver(values: Readonly<Record<string, number>>): (metric: string) => number | undefined {
  return (metric) => values[metric];
}

/** The tree without source offsets, to compare structures parsed from different texts. */
function shape(node: ExpressionNode): unknown {
  switch (node.kind) {
    case "number":
      return [node.value, node.unit ?? null];
    case "metric":
      return node.name;
    case "negate":
      return ["neg", shape(node.operand)];
    case "binary":
      return [node.op, shape(node.left), shape(node.right)];
  }
}

const shapeOf = (ast: Comparison): unknown => [ast.op, shape(ast.left), shape(ast.right)];

describe("parseExpression: what users write", () => {
  const cases: [source: string, canonical: string, metrics: string[], dimension: MetricDimension][] = [
    ["candidate.p99 < 1.1 * production.p99", "candidate.p99 < 1.1 * production.p99", ["candidate.p99", "production.p99"], "duration"],
    ["diff.rate < 0.5%", "diff.rate < 0.5%", ["diff.rate"], "ratio"],
    ["candidate.errors.rate < 1%", "candidate.errors.rate < 1%", ["candidate.errors.rate"], "ratio"],
    ["p99 < 250ms", "candidate.p99 < 250ms", ["candidate.p99"], "duration"],
    ["candidate.p90 < 120ms", "candidate.p90 < 120ms", ["candidate.p90"], "duration"],
    ["label.agreement > 99%", "label.agreement > 99%", ["label.agreement"], "ratio"],
    ["production.errors.rate > 5%", "production.errors.rate > 5%", ["production.errors.rate"], "ratio"],
    ["candidate.requests >= 1000", "candidate.requests >= 1000", ["candidate.requests"], "count"],
    ["diff.count == 0", "diff.count == 0", ["diff.count"], "count"],
    ["candidate.p99 <= production.p99 + 20ms", "candidate.p99 <= production.p99 + 20ms", ["candidate.p99", "production.p99"], "duration"],
    // Spellings and forms beyond the examples.
    ["errors.rate<1%", "candidate.errors.rate < 1%", ["candidate.errors.rate"], "ratio"],
    ["p99.9 < 1s", "candidate.p999 < 1s", ["candidate.p999"], "duration"],
    ["secondary.p99.9 != secondary.p999", "secondary.p999 != secondary.p999", ["secondary.p999"], "duration"],
    ["p50 < 250µs", "candidate.p50 < 250us", ["candidate.p50"], "duration"],
    ["p50 < 250μs", "candidate.p50 < 250us", ["candidate.p50"], "duration"],
    ["250ms > p99", "candidate.p99 < 250ms", ["candidate.p99"], "duration"],
    ["1000 <= requests", "candidate.requests >= 1000", ["candidate.requests"], "count"],
    ["candidate.p99 / production.p99 < 1.1", "candidate.p99 / production.p99 < 1.1", ["candidate.p99", "production.p99"], "number"],
    ["candidate.p99 / production.p99 < 110%", "candidate.p99 / production.p99 < 110%", ["candidate.p99", "production.p99"], "number"],
    ["p99 <= production.p99 * 110%", "candidate.p99 <= production.p99 * 110%", ["candidate.p99", "production.p99"], "duration"],
    ["diff.count / diff.compared < 1%", "diff.count / diff.compared < 1%", ["diff.count", "diff.compared"], "number"],
    ["p99 - production.p99 < -(5ms + 1ms)", "candidate.p99 - production.p99 < -(5ms + 1ms)", ["candidate.p99", "production.p99"], "duration"],
    ["(p99 - p50) * 2 < (max)", "(candidate.p99 - candidate.p50) * 2 < candidate.max", ["candidate.p99", "candidate.p50", "candidate.max"], "duration"],
    ["p99 - (p90 - p50) > 0", "candidate.p99 - (candidate.p90 - candidate.p50) > 0", ["candidate.p99", "candidate.p90", "candidate.p50"], "duration"],
    ["rps >= 99.5", "candidate.rps >= 99.5", ["candidate.rps"], "rate"],
    ["scores.maxAbsDiff < 0.01", "scores.maxAbsDiff < 0.01", ["scores.maxAbsDiff"], "number"],
    ["drift.psi < 0.2", "drift.psi < 0.2", ["drift.psi"], "number"],
    ["tensor.mismatchRate <= 0.1%", "tensor.mismatchRate <= 0.1%", ["tensor.mismatchRate"], "ratio"],
    ["scores.topkOverlap >= 95%", "scores.topkOverlap >= 95%", ["scores.topkOverlap"], "ratio"],
    ["p99 > 0", "candidate.p99 > 0", ["candidate.p99"], "duration"],
  ];
  for (const [source, canonical, metrics, dimension] of cases) {
    it(source, () => {
      const expression = parsed(source);
      assert.equal(expression.source, source);
      assert.equal(formatExpression(expression), canonical);
      assert.deepEqual(expression.metrics, metrics);
      assert.equal(expression.dimension, dimension);
      // The canonical text is itself an expression with the same tree.
      assert.deepEqual(shapeOf(parsed(canonical).ast), shapeOf(expression.ast));
    });
  }

  it("builds the exact tree, with source offsets", () => {
    assert.deepEqual(parsed("candidate.p99 < 1.1 * production.p99").ast, {
      op: "<",
      left: { kind: "metric", name: "candidate.p99", written: "candidate.p99", from: 0, to: 13 },
      right: {
        kind: "binary",
        op: "*",
        left: { kind: "number", value: 1.1, digits: "1.1", unit: undefined, from: 16, to: 19 },
        right: { kind: "metric", name: "production.p99", written: "production.p99", from: 22, to: 36 },
        from: 16,
        to: 36,
      },
    });
  });

  it("binds * tighter than + and groups to the left", () => {
    assert.deepEqual(shapeOf(parsed("p99 < 1ms + 2 * 3ms - 4ms").ast), ["<", "candidate.p99", ["-", ["+", [1, "ms"], ["*", [2, null], [3, "ms"]]], [4, "ms"]]]);
    assert.deepEqual(shapeOf(parsed("p99 < 8ms / 2 / 2").ast), ["<", "candidate.p99", ["/", ["/", [8, "ms"], [2, null]], [2, null]]]);
    assert.deepEqual(shapeOf(parsed("p99 < 8ms / (2 / 2)").ast), ["<", "candidate.p99", ["/", [8, "ms"], ["/", [2, null], [2, null]]]]);
  });
});

describe("parseExpression: units", () => {
  const limits: [literal: string, value: number][] = [
    ["250ms", 250],
    ["1.5s", 1500],
    ["2s", 2000],
    ["0.25ms", 0.25],
    ["250us", 0.25],
    ["250µs", 0.25],
    ["1us", 0.001],
    ["0ms", 0],
  ];
  for (const [literal, value] of limits) {
    it(`durations are milliseconds: ${literal} is ${value}`, () => {
      const { right } = parsed(`p99 < ${literal}`).ast;
      assert.equal(right.kind === "number" ? right.value : undefined, value);
    });
  }
  const percents: [literal: string, value: number][] = [
    ["0.5%", 0.005],
    ["1%", 0.01],
    ["1.1%", 0.011],
    ["99%", 0.99],
    ["99.95%", 0.9995],
    ["100%", 1],
  ];
  for (const [literal, value] of percents) {
    it(`percentages are fractions: ${literal} is ${value}`, () => {
      const { right } = parsed(`diff.rate < ${literal}`).ast;
      assert.equal(right.kind === "number" ? right.value : undefined, value);
    });
  }
});

describe("parseExpression: mistakes", () => {
  const cases: [source: string, issues: [column: number, message: string][]][] = [
    ["", [[1, "empty expression at column 1 (write a comparison such as candidate.p99 < 250ms)"]]],
    ["   ", [[1, "empty expression at column 1 (write a comparison such as candidate.p99 < 250ms)"]]],
    ["candidate.p99", [[14, 'expected a comparison (<, <=, >, >=, ==, !=) after "candidate.p99" at column 14']]],
    ["candidate.p99 250ms", [[15, 'expected a comparison (<, <=, >, >=, ==, !=) after "candidate.p99" at column 15']]],
    ["candidate.p99 <", [[16, 'expected a metric, a number or "(" after "<" at column 16']]],
    ["p99 < 1ms +", [[12, 'expected a metric, a number or "(" after "+" at column 12']]],
    ["p99 < * 2", [[7, 'expected a metric, a number or "(" after "<" at column 7']]],
    ["< 250ms", [[1, 'expected a metric, a number or "(" at column 1']]],
    ["p99 < 1 < 2", [[9, 'expected the end of the expression after "p99 < 1" at column 9 (one comparison per rule: write two rules)']]],
    ["p99 < 1ms p50", [[11, 'expected the end of the expression after "p99 < 1ms" at column 11']]],
    ["p99 = 250ms", [[5, 'unexpected character "=" at column 5 (write == to test equality)']]],
    ["p99 ≤ 250ms", [[5, 'unexpected character "≤" at column 5 (write <=)']]],
    ["p99 < 250ms;", [[12, 'unexpected character ";" at column 12']]],
    ["p99 < .5ms", [[7, 'unexpected character "." at column 7 (write a digit before the point: 0.5)']]],
    ["p99 < 1.ms", [[9, 'expected digits after "1." at column 9']]],
    ["candidate. < 1ms", [[11, 'expected a name after "candidate." at column 11']]],
    ["p99 < 250 ms", [[11, 'unexpected "ms" at column 11 (write the unit right after the number: 250ms)']]],
    ["diff.rate < 0.5 %", [[17, 'unexpected "%" at column 17 (write the unit right after the number: 0.5%)']]],
    // Parentheses.
    ["(candidate.p99 < 250ms", [[16, 'expected ")" after "(candidate.p99" at column 16 (to close the "(" at column 1)']]],
    ["p99 < 2 * (1ms + 2ms", [[21, 'expected ")" after "(1ms + 2ms" at column 21 (to close the "(" at column 11)']]],
    ["candidate.p99 < 250ms)", [[22, 'unmatched ")" at column 22']]],
    ["candidate.p99) < 250ms", [[14, 'unmatched ")" at column 14']]],
    ["p99 < ()", [[8, 'expected a metric, a number or "(" after "(" at column 8']]],
    // Names.
    ["candidate.p98 < 1ms", [[1, 'unknown metric "candidate.p98" at column 1 (known quantiles: p50, p90, p95, p99, p999)']]],
    ["p98 < 1ms", [[1, 'unknown metric "p98" at column 1 (known quantiles: p50, p90, p95, p99, p999)']]],
    ["candidate.p99.99 < 1ms", [[1, 'unknown metric "candidate.p99.99" at column 1 (known quantiles: p50, p90, p95, p99, p999)']]],
    ["canidate.p99 < 1ms", [[1, 'unknown metric "canidate.p99" at column 1 (did you mean "candidate.p99"?)']]],
    ["Candidate.P99 < 1ms", [[1, 'unknown metric "Candidate.P99" at column 1 (did you mean "candidate.p99"?)']]],
    ["candidate.eror.rate < 1%", [[1, 'unknown metric "candidate.eror.rate" at column 1 (did you mean "candidate.errors.rate"?)']]],
    ["diff.rat < 1%", [[1, 'unknown metric "diff.rat" at column 1 (did you mean "diff.rate"?)']]],
    ["label.agree > 99%", [[1, 'unknown metric "label.agree" at column 1 (label metrics: label.agreement)']]],
    [
      "secondary.latency < 1ms",
      [[1, 'unknown metric "secondary.latency" at column 1 (secondary metrics: p50, p90, p95, p99, p999, max, mean, min, requests, responses, errors, errors.rate, rps)']],
    ],
    [
      "latency < 1ms",
      [[1, "unknown metric \"latency\" at column 1 (a metric without a target is the candidate's: p50, p90, p95, p99, p999, max, mean, min, requests, responses, errors, errors.rate, rps)"]],
    ],
    [
      "model.accuracy > 90%",
      [[1, 'unknown metric "model.accuracy" at column 1 (a metric is <target>.<name> with target production, candidate, secondary, or one of diff.*, label.*, scores.*, tensor.*, drift.*)']],
    ],
    // Units.
    ["p99 < 250mss", [[10, 'unknown unit "mss" at column 10 (did you mean "ms"? known units: us (or µs), ms, s, %)']]],
    ["p99 < 1min", [[8, 'unknown unit "min" at column 8 (known units: us (or µs), ms, s, %)']]],
    ["p99 < 1e3", [[8, 'unknown unit "e3" at column 8 (known units: us (or µs), ms, s, %)']]],
    // Dimensions.
    ["p99 < 250", [[7, "250 has no unit but p99 is a duration at column 7 (write 250ms)"]]],
    ["250 > candidate.p99", [[1, "250 has no unit but candidate.p99 is a duration at column 1 (write 250ms)"]]],
    ["p99 < -5", [[7, "-5 has no unit but p99 is a duration at column 7 (write -5ms)"]]],
    ["p99 < 200 + 50", [[7, "200 + 50 has no unit but p99 is a duration at column 7 (give its numbers a unit: us, ms or s)"]]],
    ["candidate.p99 <= production.p99 + 20", [[35, "20 has no unit but production.p99 is a duration at column 35 (write 20ms)"]]],
    ["diff.rate < 0.5", [[13, "0.5 has no unit but diff.rate is a ratio at column 13 (write 0.5%, or 50% for the fraction 0.5)"]]],
    ["errors.rate < 5", [[15, "5 has no unit but errors.rate is a ratio at column 15 (write 5%)"]]],
    ["candidate.errors.rate < 250ms", [[25, "cannot compare candidate.errors.rate (a ratio) with 250ms (a duration) at column 25"]]],
    ["candidate.p99 < 10%", [[17, "cannot compare candidate.p99 (a duration) with 10% (a ratio) at column 17"]]],
    ["candidate.requests > 1s", [[22, "cannot compare candidate.requests (a count) with 1s (a duration) at column 22"]]],
    ["rps > requests", [[7, "cannot compare rps (a rate per second) with requests (a count) at column 7"]]],
    ["p99 + diff.rate > 1ms", [[7, "cannot add diff.rate (a ratio) to p99 (a duration) at column 7"]]],
    ["p99 - requests > 1ms", [[7, "cannot subtract requests (a count) from p99 (a duration) at column 7"]]],
    ["p99 * p50 < 1ms", [[7, "cannot multiply p99 (a duration) by p50 (a duration) at column 7"]]],
    ["requests / p99 > 1", [[12, "cannot divide requests (a count) by p99 (a duration) at column 12"]]],
    ["p99 / 0 < 1ms", [[7, "division by zero at column 7"]]],
    ["p99 / 0ms < 1", [[7, "division by zero at column 7"]]],
    ["1 < 2", [[1, "the expression reads no metric at column 1 (compare a metric with a limit, such as candidate.p99 < 250ms)"]]],
    // Every problem the check finds is listed, in column order.
    [
      "p98 + 1mss < p99 * p50",
      [
        [1, 'unknown metric "p98" at column 1 (known quantiles: p50, p90, p95, p99, p999)'],
        [8, 'unknown unit "mss" at column 8 (did you mean "ms"? known units: us (or µs), ms, s, %)'],
        [20, "cannot multiply p99 (a duration) by p50 (a duration) at column 20"],
      ],
    ],
  ];
  for (const [source, expected] of cases) {
    it(JSON.stringify(source), () => {
      assert.deepEqual(
        issuesOf(source),
        expected.map(([column, message]) => ({ column, message })),
      );
    });
  }
});

describe("evaluateExpression", () => {
  const measured = resolver({
    "production.p99": 150,
    "production.p999": 400,
    "candidate.p50": 40,
    "candidate.p90": 110,
    "candidate.p99": 180,
    "candidate.requests": 1200,
    "candidate.errors.rate": 0.004,
    "production.errors.rate": 0.06,
    "diff.rate": 0.005,
    "diff.count": 0,
    "diff.compared": 1000,
    "label.agreement": 0.995,
  });
  const cases: [source: string, pass: boolean, observed: number, limit: number][] = [
    ["candidate.p99 < 1.1 * production.p99", false, 180, 165],
    ["diff.rate < 0.5%", false, 0.005, 0.005],
    ["diff.rate <= 0.5%", true, 0.005, 0.005],
    ["candidate.errors.rate < 1%", true, 0.004, 0.01],
    ["p99 < 250ms", true, 180, 250],
    ["candidate.p90 < 120ms", true, 110, 120],
    ["label.agreement > 99%", true, 0.995, 0.99],
    ["production.errors.rate > 5%", true, 0.06, 0.05],
    ["candidate.requests >= 1000", true, 1200, 1000],
    ["diff.count == 0", true, 0, 0],
    ["diff.count != 0", false, 0, 0],
    ["candidate.p99 <= production.p99 + 20ms", false, 180, 170],
    ["candidate.p99 <= production.p99 + 30ms", true, 180, 180],
    ["candidate.p99 / production.p99 < 1.2", false, 1.2, 1.2],
    ["candidate.p99 <= production.p99 * 120%", true, 180, 180],
    ["candidate.p99 - production.p99 < 0.5s / 10", true, 30, 50],
    ["p99 < -(1ms - 2ms) * 200", true, 180, 200],
    ["250ms > p99", true, 180, 250],
  ];
  for (const [source, pass, observed, limit] of cases) {
    it(`${source} → ${pass ? "pass" : "fail"}`, () => {
      assert.deepEqual(evaluateExpression(parsed(source), measured), { pass, observed, limit });
    });
  }

  it("scales by a decimal literal with one rounding, so a limit on the boundary is exact", () => {
    const cases: [source: string, values: Record<string, number>, pass: boolean, observed: number, limit: number][] = [
      // 1.1 * 100 is 110.00000000000001 in two roundings.
      ["candidate.p99 < 1.1 * production.p99", { "candidate.p99": 110, "production.p99": 100 }, false, 110, 110],
      // 1.15 * 200 is 229.99999999999997 in two roundings.
      ["candidate.p99 <= production.p99 * 1.15", { "candidate.p99": 230, "production.p99": 200 }, true, 230, 230],
      ["candidate.p99 <= production.p99 * 115%", { "candidate.p99": 230, "production.p99": 200 }, true, 230, 230],
      ["candidate.rps >= production.rps / 0.1", { "candidate.rps": 30, "production.rps": 3 }, true, 30, 30],
    ];
    for (const [source, values, pass, observed, limit] of cases) {
      assert.deepEqual(evaluateExpression(parsed(source), resolver(values)), { pass, observed, limit }, source);
    }
  });

  it("reads the default target's metric for a bare name and p99.9 as p999", () => {
    const asked: string[] = [];
    const result = evaluateExpression(parsed("p99.9 < production.p99.9"), (m) => {
      asked.push(m);
      return m === "candidate.p999" ? 420 : m === "production.p999" ? 400 : undefined;
    });
    assert.deepEqual(asked, ["candidate.p999", "production.p999"]);
    assert.deepEqual(result, { pass: false, observed: 420, limit: 400 });
  });

  it("asks for each metric once", () => {
    const asked: string[] = [];
    evaluateExpression(parsed("p99 + p99 < 3 * p99 - p50"), (m) => {
      asked.push(m);
      return 1;
    });
    assert.deepEqual(asked, ["candidate.p99", "candidate.p50"]);
  });

  it("does not decide when a metric was not measured, and says which", () => {
    assert.deepEqual(evaluateExpression(parsed("candidate.p99 < 1.1 * production.p99"), resolver({ "candidate.p99": 180 })), {
      pass: undefined,
      observed: 180,
      limit: undefined,
      missing: ["production.p99"],
      reason: "not measured: production.p99",
    });
    assert.deepEqual(evaluateExpression(parsed("label.agreement > 99%"), resolver({})), {
      pass: undefined,
      observed: undefined,
      limit: 0.99,
      missing: ["label.agreement"],
      reason: "not measured: label.agreement",
    });
    assert.deepEqual(evaluateExpression(parsed("p95 - p50 < p99 - p90"), resolver({ "candidate.p50": 1, "candidate.p99": 3 })), {
      pass: undefined,
      observed: undefined,
      limit: undefined,
      missing: ["candidate.p95", "candidate.p90"],
      reason: "not measured: candidate.p95, candidate.p90",
    });
  });

  it("counts a non-finite value as not measured", () => {
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const result = evaluateExpression(parsed("p99 < 250ms"), () => bad);
      assert.deepEqual(result, { pass: undefined, observed: undefined, limit: 250, missing: ["candidate.p99"], reason: "not measured: candidate.p99" });
    }
  });

  it("does not decide when a divisor is 0, and names it", () => {
    const result = evaluateExpression(parsed("candidate.p99 / production.p99 < 1.1"), resolver({ "candidate.p99": 180, "production.p99": 0 }));
    assert.deepEqual(result, {
      pass: undefined,
      observed: undefined,
      limit: 1.1,
      missing: [],
      reason: "production.p99 is 0, so candidate.p99 / production.p99 has no value",
    });
    const nested = evaluateExpression(parsed("diff.count / (diff.compared - diff.count) < 1%"), resolver({ "diff.count": 5, "diff.compared": 5 }));
    assert.equal(nested.pass, undefined);
    assert.equal(nested.pass === undefined ? nested.reason : "", "diff.compared - diff.count is 0, so diff.count / (diff.compared - diff.count) has no value");
  });

  it("compares == exactly", () => {
    assert.equal(evaluateExpression(parsed("diff.count == 0"), () => 1e-12).pass, false);
    assert.equal(evaluateExpression(parsed("diff.count == 0"), () => 0).pass, true);
  });
});

describe("formatExpression", () => {
  it("keeps the parentheses the tree needs and drops the others", () => {
    const cases: [string, string][] = [
      ["(p99) < ((250ms))", "candidate.p99 < 250ms"],
      ["p99 < (1ms + 2ms) * 3", "candidate.p99 < (1ms + 2ms) * 3"],
      ["p99 < 1ms + (2ms * 3)", "candidate.p99 < 1ms + 2ms * 3"],
      ["p99 < 10ms - (2ms + 3ms)", "candidate.p99 < 10ms - (2ms + 3ms)"],
      ["p99 < (10ms - 2ms) + 3ms", "candidate.p99 < 10ms - 2ms + 3ms"],
      ["p99 < 12ms / (2 * 3)", "candidate.p99 < 12ms / (2 * 3)"],
      ["p99 < -(1ms) - -2ms", "candidate.p99 < -1ms - -2ms"],
    ];
    for (const [source, canonical] of cases) {
      const expression = parsed(source);
      assert.equal(formatExpression(expression), canonical, source);
      assert.deepEqual(shapeOf(parsed(canonical).ast), shapeOf(expression.ast), source);
    }
  });
});

describe("formatQuantity", () => {
  it("writes values the way expressions write them", () => {
    const cases: [number, MetricDimension, string][] = [
      [180, "duration", "180ms"],
      [165.00000000000003, "duration", "165ms"],
      [0.25, "duration", "0.25ms"],
      [0.005, "ratio", "0.5%"],
      [0.011000000000000001, "ratio", "1.1%"],
      [0.99, "ratio", "99%"],
      [1000, "count", "1000"],
      [12.345, "rate", "12.35/s"],
      [1.2, "number", "1.2"],
    ];
    for (const [value, dimension, text] of cases) assert.equal(formatQuantity(value, dimension), text);
  });
});

describe("metric catalogue", () => {
  const literal: Readonly<Record<MetricDimension, string>> = { duration: "1ms", ratio: "1%", count: "1", rate: "1", number: "1" };

  it("covers every metric of the brief, for every target", () => {
    const names = knownMetricNames();
    for (const target of ["production", "candidate", "secondary"]) {
      for (const q of ["p50", "p90", "p95", "p99", "p999", "max", "mean", "min"]) assert.equal(lookupMetric(`${target}.${q}`)?.dimension, "duration");
      for (const c of ["requests", "responses", "errors"]) assert.equal(lookupMetric(`${target}.${c}`)?.dimension, "count");
      assert.equal(lookupMetric(`${target}.errors.rate`)?.dimension, "ratio");
      assert.equal(lookupMetric(`${target}.rps`)?.dimension, "rate");
    }
    const others: [string, MetricDimension][] = [
      ["diff.rate", "ratio"],
      ["diff.count", "count"],
      ["diff.compared", "count"],
      ["label.agreement", "ratio"],
      ["scores.maxAbsDiff", "number"],
      ["scores.meanAbsDiff", "number"],
      ["scores.topkOverlap", "ratio"],
      ["tensor.mismatchRate", "ratio"],
      ["tensor.elementMismatchRate", "ratio"],
      ["drift.psi", "number"],
      ["drift.ks", "number"],
    ];
    for (const [name, dimension] of others) assert.equal(lookupMetric(name)?.dimension, dimension, name);
    assert.equal(names.length, 13 * 3 + others.length);
  });

  it("accepts every name it knows, compared with a limit of its dimension", () => {
    for (const name of knownMetricNames()) {
      const info = lookupMetric(name);
      assert.ok(info !== undefined, name);
      const expression = parsed(`${name} > ${literal[info.dimension]}`);
      assert.deepEqual(expression.metrics, [name]);
      assert.equal(expression.dimension, info.dimension, name);
    }
  });

  it("knows nothing outside it", () => {
    for (const name of ["candidate.p98", "diff.p99", "label.rate", "candidate", "tertiary.p99", "candidate.errors.rate.x", "<target>.p99"]) {
      assert.equal(lookupMetric(name), undefined, name);
    }
  });

  it("adds the default target only to names outside the targets and namespaces", () => {
    assert.equal(canonicalMetricName("p99"), "candidate.p99");
    assert.equal(canonicalMetricName("errors.rate"), "candidate.errors.rate");
    assert.equal(canonicalMetricName("p99.9"), "candidate.p999");
    assert.equal(canonicalMetricName("production.p99.9"), "production.p999");
    assert.equal(canonicalMetricName("diff.rate"), "diff.rate");
    assert.equal(canonicalMetricName("drift.psi"), "drift.psi");
    assert.equal(canonicalMetricName("secondary.rps"), "secondary.rps");
  });

  it("takes more metrics from a comparator as data", () => {
    const catalogue: MetricCatalogue = {
      ...METRIC_CATALOGUE,
      "text.bleu": { dimension: "number", description: "BLEU of candidate against production" },
      uptime: { dimension: "ratio", description: "a single-segment name" },
      "<target>.ttfb": { dimension: "duration", description: "time to first byte" },
    };
    assert.deepEqual(parsed("text.bleu > 0.8", catalogue).metrics, ["text.bleu"]);
    assert.deepEqual(parsed("uptime > 99.9%", catalogue).metrics, ["uptime"]);
    assert.deepEqual(parsed("ttfb < production.ttfb", catalogue).metrics, ["candidate.ttfb", "production.ttfb"]);
    assert.equal(lookupMetric("candidate", catalogue), undefined);
    assert.deepEqual(issuesOf("text.bleu > 0.8"), [
      {
        column: 1,
        message: 'unknown metric "text.bleu" at column 1 (a metric is <target>.<name> with target production, candidate, secondary, or one of diff.*, label.*, scores.*, tensor.*, drift.*)',
      },
    ]);
  });
});
