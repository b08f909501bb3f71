import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DiffGroup, RunResult } from "@parallax/protocol";
import { formatProgress, renderSummary } from "../src/index.js";
import { LABEL_GROUP, fixtureResult } from "./fixture.js";

// eslint-disable-next-line no-control-regex -- matching ANSI escapes is the point
const ANSI = /\u001b\[\d+m/g;

describe("renderSummary", () => {
  const result = fixtureResult();

  it("is compact: verdict, one line per target, diff counts, top groups, skipped", () => {
    const text = renderSummary(result);
    const lines = text.trimEnd().split("\n");
    assert.ok(lines.length >= 10 && lines.length <= 25, `${lines.length} lines`);
    assert.equal(lines[0], "✘ FAIL  diff rate 2.38% > 1%; candidate p99 178.559 ms > 150 ms");
    assert.equal(lines[1], "run run-7f3a · nats · degraded · 2000 planned · constant 1000/s for 2s · 2.345 s");
    assert.ok(lines.includes("candidate   1989 req  11 err (0.55%)  p50 100.031  p90 164.095  p99 178.559  p99.9 179.967  max 180.095 ms"));
    assert.ok(lines.includes("diffs  1973 compared · 1909 identical · 47 different (2.38%) · 17 noise · 13 not comparable"));
    assert.ok(lines.includes("       42    2.11%  POST /v1/models/{m}:predict · $.predictions[*].label · changed"));
    assert.ok(lines.includes("1 noise group cancelled"));
    assert.ok(lines.includes("skipped 9: held back | unsafe method: 6, body too large: 3"));
    assert.ok(lines.includes("failed check diff rate: observed 0.0238, limit 0.01"));
    assert.ok(!lines.some((l) => l.includes("candidate error rate")), "passing checks are not listed");
    assert.ok(text.endsWith("\n"));
  });

  it("shows at most 5 groups", () => {
    const groups = Array.from({ length: 8 }, (_, i): DiffGroup => ({ ...LABEL_GROUP, path: `$.f${i}`, count: 50 - i }));
    const text = renderSummary({ ...result, diff: { ...result.diff, groups } });
    assert.equal(text.match(/POST \/v1\/models\/\{m\}:predict · \$\.f\d/g)?.length, 5);
    assert.ok(text.includes("  …and 3 more\n"));
  });

  it("adds ANSI colours only when asked to", () => {
    const plain = renderSummary(result);
    assert.equal(plain.match(ANSI), null);
    assert.equal(renderSummary(result, { color: false }), plain);
    const colored = renderSummary(result, { color: true });
    assert.ok(colored.includes("\u001b[31m✘ FAIL\u001b[39m"));
    assert.equal(colored.replace(ANSI, ""), plain);
    const passing: RunResult = { ...result, verdict: { pass: true, reasons: [], checks: [] } };
    assert.ok(renderSummary(passing, { color: true }).startsWith("\u001b[1m\u001b[32m✔ PASS\u001b[39m\u001b[22m  no thresholds set\n"));
  });
});

describe("formatProgress", () => {
  it("is one line with elapsed time, progress, rate, errors and diffs", () => {
    assert.equal(formatProgress({ elapsedMs: 12_345, done: 1500, planned: 2000, rps: 812.4, errors: 3, diffs: 12 }), "12.3s  1500/2000 (75%)  812 req/s  3 errors  12 diffs");
  });

  it("leaves out the share when nothing is planned", () => {
    assert.equal(formatProgress({ elapsedMs: 0, done: 0, planned: 0, rps: 0, errors: 0, diffs: 0 }), "0.0s  0/0  0 req/s  0 errors  0 diffs");
  });
});
