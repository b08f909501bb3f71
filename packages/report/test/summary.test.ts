import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DiffGroup, RunResult } from "@parallax/protocol";
import { formatProgress, renderSummary } from "../src/index.js";
import { LABEL_GROUP, capacityResult, closedResult, fixtureResult, shadowResult } from "./fixture.js";

// eslint-disable-next-line no-control-regex -- matching ANSI escapes is the point
const ANSI = /\u001b\[\d+m/g;

describe("renderSummary", () => {
  const result = fixtureResult();

  it("is compact: verdict, one line per target, regressions, diff counts, top groups, model outputs, skipped, thresholds", () => {
    const text = renderSummary(result);
    const lines = text.trimEnd().split("\n");
    assert.ok(lines.length >= 10 && lines.length <= 25, `${lines.length} lines`);
    assert.equal(lines[0], "✘ FAIL  diff rate 2.38% > 1%; candidate p99 178.559 ms > 150 ms");
    assert.equal(lines[1], "run run-7f3a · nats · degraded · 2000 planned · constant 1000/s for 2s · 2.345 s");
    assert.ok(lines.includes("candidate   1989 req  11 err (0.55 %)  p50 100.031  p90 164.095  p99 178.559  p99.9 179.967  max 180.095 ms"));
    assert.ok(lines.includes("diffs  1973 compared · 1909 identical · 47 different (2.38 %) · 17 noise · 13 not comparable"));
    assert.ok(lines.includes("       42   2.11 %  POST /v1/models/{m}:predict · $.predictions[*].label · changed"));
    assert.ok(lines.includes("1 noise group cancelled"));
    assert.ok(lines.includes("skipped 9: held back | unsafe method: 6, body too large: 3"));
    assert.ok(lines.includes("  ✗ diff.rate < 1%  observed 2.38 %, limit 1 %"));
    assert.ok(!lines.some((l) => l.includes("candidate.errors < 20")), "passing thresholds are only counted");
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
    const passing: RunResult = { ...result, verdict: { pass: true, reasons: [], checks: [], warnings: [], thresholds: [] } };
    assert.ok(renderSummary(passing, { color: true }).startsWith("\u001b[1m\u001b[32m✔ PASS\u001b[39m\u001b[22m  no thresholds set\n"));
  });
});

describe("renderSummary thresholds", () => {
  const result = fixtureResult();

  it("counts the thresholds, then lists each failing one with observed and limit, or why it was not evaluated, in red", () => {
    const lines = renderSummary(result).split("\n");
    const at = lines.indexOf("thresholds  3 of 6 failed, 3 passed");
    assert.ok(at > 0);
    assert.deepEqual(lines.slice(at + 1, at + 4), [
      "  ✗ candidate.p99 < 150ms  observed 178.559 ms, limit 150 ms",
      "  ✗ diff.rate < 1%  observed 2.38 %, limit 1 %",
      "  ✗ [POST /v2/classify] label.agreement > 99%  not evaluated: no request matched endpoint POST /v2/classify",
    ]);
    assert.ok(renderSummary(result, { color: true }).includes("\u001b[31m  ✗ candidate.p99 < 150ms  observed 178.559 ms, limit 150 ms\u001b[39m\n"));
  });

  it("says all passed in one line, and nothing when none are set", () => {
    const passing = result.verdict.thresholds.filter((t) => t.pass);
    const lines = renderSummary({ ...result, verdict: { ...result.verdict, thresholds: passing } }).split("\n");
    assert.ok(lines.includes("thresholds  all 3 passed"));
    assert.ok(!lines.some((l) => l.startsWith("  ✗")));
    assert.ok(!renderSummary({ ...result, verdict: { ...result.verdict, thresholds: [] } }).includes("thresholds"));
  });
});

describe("renderSummary warnings, step and closed runs", () => {
  const BOTTLENECK =
    "the load generator on agent agent-a was the bottleneck (scheduler lag p99 40 ms > 10 ms): latency figures include its delay and are not trustworthy; lower the rate or add agents";

  it("puts the verdict's warnings right after the verdict, before the latency lines, in yellow", () => {
    const result = fixtureResult();
    const warned: RunResult = { ...result, verdict: { ...result.verdict, warnings: [BOTTLENECK, "second warning"] } };
    const lines = renderSummary(warned).split("\n");
    assert.deepEqual(lines.slice(1, 3), [`⚠ ${BOTTLENECK}`, "⚠ second warning"]);
    assert.ok(lines[4]?.startsWith("production  1991 req"));
    assert.ok(renderSummary(warned, { color: true }).includes(`\u001b[33m⚠ ${BOTTLENECK}\u001b[39m\n`));
  });

  it("computes no warning of its own", () => {
    const result = fixtureResult();
    const late: RunResult = { ...result, run: { ...result.run, agents: result.run.agents.map((a) => ({ ...a, late: 500, maxLagMs: 250 })) } };
    assert.ok(!renderSummary(late).includes("⚠"));
  });

  it("gives a step run's knee per target and the ratio", () => {
    const lines = renderSummary(capacityResult()).split("\n");
    const at = lines.indexOf("capacity  SLO p99 ≤ 50 ms and error rate ≤ 1.00 % · every target broke its SLO, so the remaining steps were skipped");
    assert.ok(at > 0);
    assert.deepEqual(lines.slice(at + 1, at + 4), ["  production  knee 400/s", "  candidate   knee 200/s", "  knee ratio candidate/production 0.5 (the candidate holds less load)"]);
    assert.ok(!renderSummary(fixtureResult()).includes("knee"), "no capacity lines for other runs");
  });

  it("gives a closed run's throughput per target and no diff counts", () => {
    const text = renderSummary(closedResult());
    const lines = text.split("\n");
    assert.ok(lines.includes("production  1991 req  847.335 rps  7 err (0.35 %)  p50 60.031  p90 100.031  p99 109.055  p99.9 109.951  max 110.015 ms"));
    assert.ok(lines.includes("candidate   1989 req  848.188 rps  11 err (0.55 %)  p50 100.031  p90 164.095  p99 178.559  p99.9 179.967  max 180.095 ms"));
    assert.ok(lines.includes("diffs  none: responses are not paired in the closed model"));
    assert.ok(!text.includes("compared"));
    assert.ok(!renderSummary(fixtureResult()).includes(" rps "), "open runs keep their lines");
  });
});

describe("formatProgress", () => {
  it("is one line with elapsed time, progress, rate, errors and diffs", () => {
    assert.equal(formatProgress({ elapsedMs: 12_345, done: 1500, planned: 2000, rps: 812.4, errors: 3, diffs: 12 }), "12.3s  1500/2000 (75 %)  812 req/s  3 errors  12 diffs");
  });

  it("leaves out the share when nothing is planned", () => {
    assert.equal(formatProgress({ elapsedMs: 0, done: 0, planned: 0, rps: 0, errors: 0, diffs: 0 }), "0.0s  0/0  0 req/s  0 errors  0 diffs");
  });
});

describe("renderSummary for a shadow run", () => {
  it("adds a line of stream accounting after the run line, and the latest threshold change", () => {
    const lines = renderSummary(shadowResult()).split("\n");
    assert.equal(lines[1], "run run-7f3a · shadow · degraded · 1999 sent · live traffic from stream traffic, 50 % sampled · 2.345 s");
    assert.equal(
      lines[2],
      "shadow  traffic · 2011 received: 1990 compared, 9 held back, 10 sampled out, 2 malformed · 3 duplicates of 5 redelivered · backlog 12 waiting, 4 in flight · sample 50 %",
    );
    assert.equal(lines[3], "threshold events  2; latest: [POST /v1/models/{m}:predict] candidate.errors.rate < 0.5% holds in the window from 2026-03-01T10:00:00.000Z");
  });

  it("has no shadow line for other runs, and no events line without events", () => {
    assert.ok(!renderSummary(fixtureResult()).includes("shadow  "));
    const base = shadowResult();
    const quiet = renderSummary({ ...base, shadow: { ...base.shadow!, events: [], sample: 1 } }).split("\n");
    assert.ok(quiet[2]?.endsWith("backlog 12 waiting, 4 in flight"));
    assert.ok(!quiet.some((l) => l.startsWith("threshold events")));
  });
});
