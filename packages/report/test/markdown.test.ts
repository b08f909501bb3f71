import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DiffGroup, RunResult } from "@parallax/protocol";
import { renderMarkdown } from "../src/index.js";
import { LABEL_GROUP, NOISE_GROUP, capacityResult, closedResult, fixtureResult, shadowResult } from "./fixture.js";

function lines(md: string): string[] {
  return md.split("\n");
}

/** Every numeric leaf of a value with its path (`$.run.agents.generator.cpu.mean`, array indices left out). */
function numbers(value: unknown, path = "$"): Array<[string, number]> {
  if (typeof value === "number") return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v) => numbers(v, path));
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => numbers(v, `${path}.${k}`));
  return [];
}

/** Generator figures the Agents table leaves to report.json: it shows lag p99, loop delay p99 and CPU mean. */
const GENERATOR_DETAIL = /\.generator\.(?:(?:schedulerLagMs|eventLoopDelayMs)\.(?:p50|p90|max)|cpu\.peak|late|dropped)$/;
/**
 * Shown in their own units (thresholds in their dimension, changes as signed percentages) or left to report.json
 * (checks, per-endpoint detail, label counts); their exact rendering is tested in endpoints.test.ts,
 * model-outputs.test.ts and below.
 */
const OWN_UNITS = /^\$\.(?:verdict\.(?:checks|thresholds)|endpoints|comparisons)\./;

describe("renderMarkdown", () => {
  const result = fixtureResult();
  const md = renderMarkdown(result);
  const all = lines(md);

  it("opens with the verdict and its reasons", () => {
    assert.equal(all[0], "## ❌ FAIL: diff rate 2.38% > 1%; candidate p99 178.559 ms > 150 ms");
    const passing: RunResult = { ...result, verdict: { pass: true, reasons: [], checks: [], warnings: [], thresholds: [] } };
    assert.equal(lines(renderMarkdown(passing))[0], "## ✅ PASS: no thresholds set");
    const thresholds = [{ expression: "diff.rate < 10%", observed: 0, limit: 0.1, pass: true, dimension: "ratio" }] as const;
    const checked: RunResult = { ...result, verdict: { pass: true, reasons: [], checks: [{ name: "diff.rate < 10%", observed: 0, limit: 0.1, pass: true }], warnings: [], thresholds } };
    assert.equal(lines(renderMarkdown(checked))[0], "## ✅ PASS: every threshold passed");
  });

  it("lists the run facts", () => {
    for (const row of [
      "| Run | `run-7f3a` |",
      "| Scenario | iris canary (`scenarios/iris.yaml`) |",
      "| Mode | nats |",
      "| Status | degraded |",
      "| Planned requests | 2000 (each sent to every target) |",
      "| Load | constant 1000/s for 2s (constant model) |",
      "| Traffic | `traffic/iris.jsonl` (parallax-jsonl, 2011 requests) |",
      "| Duration | 2.345 s |",
    ]) {
      assert.ok(all.includes(row), `missing row ${row}`);
    }
  });

  it("has one row per target with counts, error rate, throughput and the status codes", () => {
    for (const [name, t] of Object.entries(result.targets)) {
      const row = all.find((l) => l.startsWith(`| ${name} | ${t.requests} |`));
      assert.ok(row, `no row for ${name}`);
      const errorRate = `${((t.errors / t.requests) * 100).toFixed(2)} %`;
      for (const f of [String(t.responses), errorRate, String(t.throughputRps)]) assert.ok(row.includes(` ${f} |`), `${name}: ${f} not in ${row}`);
      for (const [status, n] of Object.entries(t.statusCodes)) assert.ok(row.includes(`${status}: ${n}`), `${name}: status ${status}`);
    }
    assert.ok(all.includes("| production | 1991 | 1987 | 7 (transport 4: timeout: 3, ECONNREFUSED: 1) | 0.35 % | 847.335 | 200: 1984, 503: 3 |"));
    assert.ok(all.includes("| target | requests | responses | errors | error rate | throughput rps | status codes |"));
  });

  it("shows each target's service time on the row after its response time, and says which is which", () => {
    const header = all.indexOf("| target | measured | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | mean ms |");
    assert.ok(header > 0);
    const rows = all.slice(header + 2, header + 8);
    const expected = Object.entries(result.targets).flatMap(([name, t]) => [
      `| ${name} | response time | ${[t.latencyMs.p50, t.latencyMs.p90, t.latencyMs.p99, t.latencyMs.p999, t.latencyMs.max, t.latencyMs.mean].join(" | ")} |`,
      `| ${name} | service time | ${[t.serviceTimeMs.p50, t.serviceTimeMs.p90, t.serviceTimeMs.p99, t.serviceTimeMs.p999, t.serviceTimeMs.max, t.serviceTimeMs.mean].join(" | ")} |`,
    ]);
    assert.deepEqual(rows, expected);
    assert.equal(rows[0], "| production | response time | 60.031 | 100.031 | 109.055 | 109.951 | 110.015 | 60.001 |");
    assert.equal(rows[1], "| production | service time | 58.015 | 98.047 | 107.071 | 107.967 | 108.031 | 58.001 |");
    assert.match(md, /Response time runs from the intended send time to the end of the response body .*; service time from the actual send \(what the target took\)\./);
  });

  it("summarises the diffs with the not-comparable reasons and the rate", () => {
    assert.ok(all.includes("| 1973 | 1909 | 47 | 17 | 13 | 2.38 % |"));
    assert.ok(all.includes("Not comparable: candidate ECONNREFUSED: 10, production timeout: 3."));
    assert.ok(all.includes("Noise method: binomial test against the secondary (alpha 0.01)."));
  });

  it("shows real diff groups first, largest first, each with one exemplar, then the cancelled noise groups collapsed", () => {
    const first = all.findIndex((l) => l.startsWith("**1. `POST /v1/models/{m}:predict` · `$.predictions[*].label` · changed**: 42 pairs (2.11 %"));
    const second = all.findIndex((l) => l.startsWith("**2. `GET /health` · `$` · status**: 5 pairs (1.25 %"));
    const noiseLine = all.indexOf("1 noise group cancelled (production differs from the secondary there as often as from the candidate; not counted).");
    const details = all.indexOf("<details><summary>Noise groups (1)</summary>");
    assert.ok(first > 0 && second > first && noiseLine > second && details > noiseLine, `order ${first} ${second} ${noiseLine} ${details}`);
    assert.match(all[first] ?? "", /secondary 1 \(0\.05 %\), p-value 0\.0001$/);
    assert.ok(all.includes("Example: `POST /v1/models/iris:predict`"));
    assert.ok(all.includes("| `$` | status | `200` | `503` |"));
    assert.ok(all.includes("| `POST /v1/models/{m}:predict · $.model_version · changed` | 17 | 0.85 % | 16 | 0.80 % | 0.61 |"));
    assert.equal(md.match(/^Example: /gm)?.length, 2, "one exemplar per real group, none for noise");
    assert.ok(md.indexOf("</details>") > details);
  });

  it("truncates long exemplar values", () => {
    const row = all.find((l) => l.startsWith("| `$.predictions[0].scores` |"));
    assert.ok(row);
    assert.ok(row.includes(`\`"${"x".repeat(78)}…\``), row);
    assert.ok(!row.includes("x".repeat(80)));
    assert.ok(row.endsWith("| `[0.25,0.75]` |"));
  });

  it("escapes | in table cells", () => {
    assert.ok(all.includes('| `$.predictions[0].label` | changed | `"setosa"` | `"versi\\|color"` |'));
    assert.ok(all.includes("| held back \\| unsafe method | 6 |"));
    // Every table row has exactly its columns: no stray unescaped pipe split a cell.
    for (const table of md.split("\n\n").filter((block) => block.startsWith("|"))) {
      const widths = lines(table).filter((l) => l !== "").map((l) => l.replace(/\\\|/g, "").split("|").length);
      assert.equal(new Set(widths).size, 1, table);
    }
  });

  it("keeps code spans intact around backticks and newlines", () => {
    const tricky: DiffGroup = { ...LABEL_GROUP, endpoint: "GET /a`b", examples: [{ ...LABEL_GROUP.examples[0]!, differences: [{ path: "$.x", kind: "changed", production: "line1\nline2", candidate: "`" }] }] };
    const text = renderMarkdown({ ...result, diff: { ...result.diff, groups: [tricky] } });
    assert.ok(text.includes("**1. ``GET /a`b`` · "), "endpoint with a backtick");
    assert.ok(text.includes('| `$.x` | changed | `"line1\\nline2"` | ``"`"`` |'));
  });

  it("lists skipped requests, agents and events, and no longer the checks (the thresholds replace them)", () => {
    assert.ok(all.includes("9 requests were not sent to any target."));
    assert.ok(all.includes("| body too large | 3 |"));
    assert.ok(!md.includes("### Verdict checks"));
    assert.ok(all.includes("| agent | state | segment | planned | requests | late | max lag ms | snapshots | lag p99 ms | loop delay p99 ms | CPU mean | bottleneck |"));
    assert.ok(all.includes("| `agent-a` | completed | 0:1/2 | 1000 | 994 | 3 | 12.5 | 3 | 9.215 | 14.305 | 0.41 | no |"));
    assert.ok(all.includes("| `agent-b` | lost | 1/2:1 | 1001 | 997 | 0 | 4.25 | 2 | – | – | – | – |"), "no generator report: dashes");
    assert.ok(all.includes("| 2026-03-01T10:00:01.900Z | agent-lost | `agent-b` | agent-b missed 3 heartbeats |"));
    const quiet = renderMarkdown({ ...result, run: { ...result.run, events: [] } });
    assert.ok(!quiet.includes("### Events"));
  });

  it("contains every number of the result", () => {
    for (const [path, n] of numbers(result)) {
      if (path === "$.schemaVersion" || GENERATOR_DETAIL.test(path) || OWN_UNITS.test(path)) continue;
      // Shares (rate, secondaryRate) are shown as percentages; everything else as written.
      const shown = /rate$/i.test(path) ? `${(n * 100).toFixed(2)} %` : String(n);
      assert.ok(md.includes(shown), `${path} = ${n} (shown as ${shown}) not in the markdown`);
    }
  });

  it("shows at most 10 diff groups and counts the rest", () => {
    const many = Array.from({ length: 13 }, (_, i): DiffGroup => ({ ...LABEL_GROUP, path: `$.field${i}`, count: 100 - i }));
    const text = renderMarkdown({ ...result, diff: { ...result.diff, groups: [...many, NOISE_GROUP] } });
    assert.equal(text.match(/^\*\*\d+\. /gm)?.length, 10);
    assert.ok(text.includes("**10. `POST /v1/models/{m}:predict` · `$.field9` · changed**: 91 pairs"));
    assert.ok(!text.includes("$.field10`"));
    assert.ok(text.includes("…and 3 more diff groups (all in report.json)."));
  });
});

describe("renderMarkdown thresholds", () => {
  const result = fixtureResult();

  it("puts a Thresholds table right after the verdict: scope, both sides in their unit, and why one was not evaluated", () => {
    const all = lines(renderMarkdown(result));
    const start = all.indexOf("### Thresholds");
    assert.ok(start > 0 && start < all.indexOf("### Run"));
    assert.ok(all.slice(1, start).every((l) => l === "" || l.startsWith("**⚠ Latency regressions:**")), "only the regressions line in between");
    assert.deepEqual(all.slice(start, start + 11), [
      "### Thresholds",
      "",
      "| threshold | scope | observed | limit | pass |",
      "|---|---|---:|---:|---|",
      "| `candidate.p99 < 150ms` | whole run | 178.559 ms | 150 ms | ✗ |",
      "| `diff.rate < 1%` | whole run | 2.38 % | 1 % | ✗ |",
      "| `candidate.errors.rate < 0.5%` | `POST /v1/models/{m}:predict` | 0.375 % | 0.5 % | ✓ |",
      "| `candidate.errors < 20` | whole run | 11 | 20 | ✓ |",
      "| `candidate.rps > 500` | whole run | 848.19/s | 500/s | ✓ |",
      "| `label.agreement > 99%` | `POST /v2/classify` | – | – | ✗ not evaluated: no request matched endpoint POST /v2/classify |",
      "",
    ]);
  });

  it("shows numbers in plain form, and a failure without a reason as a bare ✗", () => {
    const thresholds = [
      { expression: "drift.psi < 0.2", observed: 0.2345678, limit: 0.2, pass: false, dimension: "number" },
      { expression: "p50 < 1s", observed: 0.0004, limit: 1000, pass: true, dimension: "duration" },
      { expression: "candidate.errors.rate < 0.01%", observed: 0.0000001, limit: 0.0001, pass: true, dimension: "ratio" },
    ] as const;
    const all = lines(renderMarkdown({ ...result, verdict: { ...result.verdict, thresholds } }));
    assert.ok(all.includes("| `drift.psi < 0.2` | whole run | 0.234568 | 0.2 | ✗ |"));
    assert.ok(all.includes("| `p50 < 1s` | whole run | 0 ms | 1000 ms | ✓ |"));
    assert.ok(all.includes("| `candidate.errors.rate < 0.01%` | whole run | <0.0001 % | 0.01 % | ✓ |"), "a tiny share does not read as 0");
  });

  it("says when no thresholds are set", () => {
    const md = renderMarkdown({ ...result, verdict: { ...result.verdict, thresholds: [] } });
    assert.ok(md.includes("\n### Thresholds\n\nNo thresholds set.\n"));
  });
});

describe("renderMarkdown warnings and noise paths", () => {
  const BOTTLENECK =
    "the load generator on agent agent-a was the bottleneck (event-loop delay p99 80 ms > 50 ms): latency figures include its delay and are not trustworthy; lower the rate or add agents";

  it("renders the verdict's warnings under the verdict, and points to them from the latency table", () => {
    const result = fixtureResult();
    const warned: RunResult = { ...result, verdict: { ...result.verdict, warnings: [BOTTLENECK, "a | second"] } };
    const all = lines(renderMarkdown(warned));
    assert.deepEqual(all.slice(0, 9), [
      "## ❌ FAIL: diff rate 2.38% > 1%; candidate p99 178.559 ms > 150 ms",
      "",
      `> ⚠️ **Warning:** ${BOTTLENECK}`,
      "",
      "> ⚠️ **Warning:** a \\| second",
      "",
      "**⚠ Latency regressions:** `POST /v1/models/{m}:predict` p90 +11.75 ms (+14.8 %) [8.2, 15.1], p99 +69.4 ms (+63.8 %) [61.2, 77.9]",
      "",
      "### Thresholds",
    ]);
    const pointer = all.indexOf("> ⚠️ The 2 warnings at the top of this report apply to these figures.");
    assert.equal(all[pointer - 2], "### Latency");
    assert.equal(all[pointer + 2], "| target | measured | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | mean ms |");
    const one = renderMarkdown({ ...result, verdict: { ...result.verdict, warnings: [BOTTLENECK] } });
    assert.ok(one.includes("\n> ⚠️ The warning at the top of this report applies to these figures.\n"));
  });

  it("computes no warning of its own: late sends without a verdict warning show none", () => {
    const result = fixtureResult();
    const late: RunResult = { ...result, run: { ...result.run, agents: result.run.agents.map((a) => ({ ...a, late: 500, maxLagMs: 250 })) } };
    const md = renderMarkdown(late);
    assert.ok(!md.includes("⚠️"), "warnings are the coordinator's to decide");
  });

  it("marks an agent whose generator was the bottleneck, and leaves CPU blank when not measured", () => {
    const result = fixtureResult();
    const [a, b] = result.run.agents;
    assert.ok(a?.generator && b);
    const { cpu: _cpu, ...noCpu } = a.generator;
    const agents = [{ ...a, generator: { ...noCpu, bottleneck: true, reasons: ["event-loop delay p99 80 ms > 50 ms"] } }, b];
    const md = renderMarkdown({ ...result, run: { ...result.run, agents } });
    assert.ok(lines(md).includes("| `agent-a` | completed | 0:1/2 | 1000 | 994 | 3 | 12.5 | 3 | 9.215 | 14.305 | – | ⚠️ yes |"));
  });

  it("shows a dash, not 0 ms, for a target that never answered", () => {
    const result = fixtureResult();
    const silent: RunResult = { ...result, targets: { ...result.targets, candidate: { ...result.targets.candidate, responses: 0 } } };
    const all = lines(renderMarkdown(silent));
    assert.ok(all.includes("| candidate | response time | – | – | – | – | – | – |"));
    assert.ok(all.includes("| candidate | service time | – | – | – | – | – | – |"));
  });

  it("leaves the noise paths out of an exemplar and says how many", () => {
    const result = fixtureResult();
    const example = LABEL_GROUP.examples[0];
    assert.ok(example);
    const withNoise: DiffGroup = {
      ...LABEL_GROUP,
      examples: [{ ...example, differences: [...example.differences, { path: "$.model_version", kind: "changed", production: "v1", candidate: "v2" }] }],
    };
    const md = renderMarkdown({ ...result, diff: { ...result.diff, groups: [NOISE_GROUP, withNoise] } });
    assert.ok(!md.includes('`"v2"`'), "the noise path's value is not shown");
    assert.match(md, /\(1 differing path at noise signatures not shown\.\)/);
  });
});

describe("renderMarkdown for a step run", () => {
  const result = capacityResult();
  const md = renderMarkdown(result);
  const all = lines(md);

  it("has a Capacity section after the latency table: SLO, why it stopped, one row per step", () => {
    const start = all.indexOf("### Capacity");
    assert.ok(start > all.indexOf("### Latency") && start < all.indexOf("### Diffs"));
    assert.equal(all[start + 2], "SLO: p99 ≤ 50 ms and error rate ≤ 1.00 %. Stopped: every target broke its SLO, so the remaining steps were skipped.");
    assert.deepEqual(all.slice(start + 4, start + 10), [
      "| offered rps | production rps | production p99 ms | production error rate | production SLO | candidate rps | candidate p99 ms | candidate error rate | candidate SLO |",
      "|---:|---:|---:|---:|---|---:|---:|---:|---|",
      "| 100 | 99.9 | 12.5 | 0.00 % | ✓ | 99.8 | 14.1 | 0.00 % | ✓ |",
      "| 200 | 199.7 | 31.2 | 0.20 % | ✓ | 199.5 | 44.9 | 0.40 % | ✓ |",
      "| 400 | 398.2 | 48.7 | 0.50 % | ✓ | 341.6 | 212.3 | 3.10 % | ✗ |",
      "| 800 (partial, 4200 ms) | 512.4 | 390.6 | 12.00 % | ✗ | 300.2 | – | 100.00 % | ✗ |",
    ]);
    assert.ok(all.includes("(partial) The run stopped during this step: it is shown, but does not count for the knee or the fit."));
  });

  it("gives the knee per target, the ratio and the USL fit with what it means", () => {
    assert.ok(all.includes("Knee (the highest offered rate whose step met the SLO, before the first complete step that did not): production 400/s · candidate 200/s."));
    assert.ok(all.includes("Knee ratio candidate / production: 0.5 (the candidate holds less load)."));
    const header = all.indexOf("| target | σ | κ | peak rps | r² | fitted on |");
    assert.ok(header > 0);
    assert.deepEqual(all.slice(header + 2, header + 4), [
      "| production | 0.021 | 0.00012 | 812.6 | 0.991 | 3 steps |",
      "| candidate | 0.08 | 0 | 1265 (ceiling, κ = 0) | 0.874 | 3 steps |",
    ]);
    assert.match(all[header + 5] ?? "", /^Universal Scalability Law fit .*σ is contention .*κ is coherency .*r² near 1/);
  });

  it("marks a knee that is only a lower bound, and the ratio it bounds", () => {
    const capacity = result.capacity;
    assert.ok(capacity);
    const bounded = (kneeAtLeast: Record<string, boolean>) => lines(renderMarkdown({ ...result, capacity: { ...capacity, kneeAtLeast } }));
    const production = bounded({ production: true, candidate: false });
    assert.ok(production.includes("Knee (the highest offered rate whose step met the SLO, before the first complete step that did not): production ≥ 400/s (never broke the SLO) · candidate 200/s."));
    assert.ok(production.includes("Knee ratio candidate / production: at most 0.5 (production held every rate tried)."));
    assert.ok(bounded({ production: false, candidate: true }).includes("Knee ratio candidate / production: at least 0.5 (the candidate held every rate tried)."));
    assert.ok(bounded({ production: true, candidate: true }).includes("Knee ratio candidate / production: unknown (both held every rate tried; raise the maximum rate)."));
    const both = lines(renderMarkdown({ ...result, capacity: { ...capacity, kneeAtLeast: { production: true, candidate: true }, ratio: null } }));
    assert.ok(both.includes("Knee ratio candidate / production: unknown (both held every rate tried; raise the maximum rate)."), "as report.json has it: no ratio");
  });

  it("says when there is no knee, no ratio, no fit or no limit", () => {
    const capacity = result.capacity;
    assert.ok(capacity);
    const none: RunResult = {
      ...result,
      capacity: {
        ...capacity,
        slo: {},
        knee: { production: null, candidate: 200 },
        ratio: null,
        usl: { production: null, candidate: { sigma: 0, kappa: 0, lambda: 100, peakRps: null, peakConcurrency: null, r2: 1, points: 3 } },
        stopped: "interrupted",
      },
    };
    const text = lines(renderMarkdown(none));
    assert.ok(text.includes("SLO: none (every step with responses meets it). Stopped: the run was interrupted before its last step."));
    assert.ok(text.includes("Knee (the highest offered rate whose step met the SLO, before the first complete step that did not): production none · candidate 200/s."));
    assert.ok(text.includes("Knee ratio candidate / production: n/a (a target has no knee)."));
    assert.ok(text.includes("| production | – | – | – | – | not fitted (needs 3 complete steps with distinct concurrency) |"));
    assert.ok(text.includes("| candidate | 0 | 0 | no limit (σ = κ = 0) | 1 | 3 steps |"));
  });

  it("has no Capacity section for other runs", () => {
    assert.ok(!renderMarkdown(fixtureResult()).includes("### Capacity"));
  });

  it("keeps every table row as wide as its header", () => {
    for (const table of md.split("\n\n").filter((block) => block.startsWith("|"))) {
      const widths = lines(table).filter((l) => l !== "").map((l) => l.replace(/\\\|/g, "").split("|").length);
      assert.equal(new Set(widths).size, 1, table);
    }
  });
});

describe("renderMarkdown for a closed run", () => {
  const md = renderMarkdown(closedResult());

  it("says responses are not paired, so there is no diff, and gives each target's throughput", () => {
    assert.ok(
      lines(md).includes(
        "Not paired: the closed model drives each target with its own connections as fast as it answers, so responses are not paired and there is no diff. Throughput per target: production 847.335 rps · candidate 848.188 rps · secondary 846.482 rps.",
      ),
    );
    assert.ok(lines(md).includes("| Load | closed 64 connections for 2s (closed model) |"));
    assert.ok(!md.includes("| compared | identical |"), "no diff table");
    assert.ok(!md.includes("### Top diff groups"));
  });

  it("shows no closed-model line for an open run", () => {
    assert.ok(!renderMarkdown(fixtureResult()).includes("Not paired"));
  });
});

describe("renderMarkdown for a shadow run", () => {
  const result = shadowResult();
  const md = renderMarkdown(result);
  const all = lines(md);

  it("has a Shadow section after the run facts: the stream, the window, the sample and the accounting", () => {
    const start = all.indexOf("### Shadow");
    assert.ok(start > all.indexOf("### Run") && start < all.indexOf("### Targets"));
    assert.deepEqual(all.slice(start + 2, start + 7), [
      "Stream `traffic` through the durable consumer `parallax-shadow`, from 2026-03-01T10:00:00.000Z to 2026-03-01T10:01:00.000Z (60 s). Sample: 50 % of exchanges compared, chosen by exchange id (the same choice on every agent).",
      "",
      "| received | compared | held back | sampled out | malformed | redelivered | duplicates |",
      "|---:|---:|---:|---:|---:|---:|---:|",
      "| 2011 | 1990 | 9 | 10 | 2 | 5 | 3 |",
    ]);
    assert.ok(all.includes("Backlog when written: 12 exchange(s) not yet delivered to an agent, 4 delivered and not yet acknowledged."));
  });

  it("says where each target's latency was measured", () => {
    assert.ok(
      all.includes(
        "Latency measured: production by the tap (from the request's arrival to the end of production's answer), candidate by the agent that sent the request, secondary by the agent that sent the request.",
      ),
    );
  });

  it("lists the threshold events in each threshold's unit", () => {
    const header = all.indexOf("| at | window | threshold | scope | state | observed | limit |");
    assert.ok(header > all.indexOf("### Shadow"));
    assert.deepEqual(all.slice(header + 2, header + 4), [
      "| 2026-03-01T10:01:02.000Z | 2026-03-01T10:00:00.000Z | `diff.rate < 1%` | whole window | ✗ fails | 2.38 % | 1 % |",
      "| 2026-03-01T10:01:02.000Z | 2026-03-01T10:00:00.000Z | `candidate.errors.rate < 0.5%` | `POST /v1/models/{m}:predict` | ✓ holds | 0.375 % | 0.5 % |",
    ]);
    const quiet = renderMarkdown({ ...result, shadow: { ...result.shadow!, events: [] } });
    assert.ok(quiet.includes("\nThreshold events: none.\n"));
  });

  it("calls the exchanges sent what they are, and shows every number of the stream accounting", () => {
    assert.ok(all.includes("| Exchanges sent | 1999 (to the candidate and the secondary, or held back) |"));
    assert.ok(all.includes("| Load | live traffic from stream traffic, 50 % sampled |"));
    assert.ok(all.includes("| Traffic | `stream:traffic` (tap, 2011 exchanges) |"));
    const { events: _events, window: _window, sample: _sample, ...figures } = result.shadow!;
    for (const [path, n] of numbers(figures)) assert.ok(md.includes(String(n)), `${path} = ${n} not in the markdown`);
  });

  it("has no Shadow section for other runs, and keeps every table row as wide as its header", () => {
    assert.ok(!renderMarkdown(fixtureResult()).includes("### Shadow"));
    for (const table of md.split("\n\n").filter((block) => block.startsWith("|"))) {
      const widths = lines(table).filter((l) => l !== "").map((l) => l.replace(/\\\|/g, "").split("|").length);
      assert.equal(new Set(widths).size, 1, table);
    }
  });
});
