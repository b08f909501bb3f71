import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DiffGroup, RunResult } from "@parallax/protocol";
import { renderMarkdown } from "../src/index.js";
import { LABEL_GROUP, NOISE_GROUP, fixtureResult } from "./fixture.js";

function lines(md: string): string[] {
  return md.split("\n");
}

/** Every numeric leaf of a value with its key, skipping the opaque histogram strings. */
function numbers(value: unknown, key = ""): Array<[string, number]> {
  if (typeof value === "number") return [[key, value]];
  if (Array.isArray(value)) return value.flatMap((v) => numbers(v, key));
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => numbers(v, k));
  return [];
}

describe("renderMarkdown", () => {
  const result = fixtureResult();
  const md = renderMarkdown(result);
  const all = lines(md);

  it("opens with the verdict and its reasons", () => {
    assert.equal(all[0], "## ❌ FAIL: diff rate 2.38% > 1%; candidate p99 178.559 ms > 150 ms");
    const passing: RunResult = { ...result, verdict: { pass: true, reasons: [], checks: [] } };
    assert.equal(lines(renderMarkdown(passing))[0], "## ✅ PASS: no thresholds set");
    const checked: RunResult = { ...result, verdict: { pass: true, reasons: [], checks: [{ name: "diff rate", observed: 0, limit: 0.1, pass: true }] } };
    assert.equal(lines(renderMarkdown(checked))[0], "## ✅ PASS: every check passed");
  });

  it("lists the run facts", () => {
    for (const row of [
      "| Run | `run-7f3a` |",
      "| Scenario | iris canary (`scenarios/iris.yaml`) |",
      "| Mode | nats |",
      "| Status | degraded |",
      "| Planned requests | 2000 (each sent to every target) |",
      "| Load | constant 1000/s for 2s |",
      "| Traffic | `traffic/iris.jsonl` (parallax-jsonl, 2011 requests) |",
      "| Duration | 2.345 s |",
    ]) {
      assert.ok(all.includes(row), `missing row ${row}`);
    }
  });

  it("has one row per target with counts, error rate, every latency figure and the status codes", () => {
    for (const [name, t] of Object.entries(result.targets)) {
      const row = all.find((l) => l.startsWith(`| ${name} |`));
      assert.ok(row, `no row for ${name}`);
      const l = t.latencyMs;
      const errorRate = `${((t.errors / t.requests) * 100).toFixed(2)}%`;
      const figures = [t.requests, t.responses].map(String).concat([errorRate], [l.p50, l.p90, l.p99, l.p999, l.max, l.mean].map(String));
      for (const f of figures) assert.ok(row.includes(` ${f} |`), `${name}: ${f} not in ${row}`);
      for (const [status, n] of Object.entries(t.statusCodes)) assert.ok(row.includes(`${status}: ${n}`), `${name}: status ${status}`);
    }
    assert.ok(all.includes(
      `| production | 1991 | 1987 | 7 (transport 4: timeout: 3, ECONNREFUSED: 1) | 0.35% | ${[60.031, 100.031, 109.055, 109.951, 110.015, 60.001].join(" | ")} | 200: 1984, 503: 3 |`,
    ));
  });

  it("summarises the diffs with the not-comparable reasons and the rate", () => {
    assert.ok(all.includes("| 1973 | 1909 | 47 | 17 | 13 | 2.38% |"));
    assert.ok(all.includes("Not comparable: candidate ECONNREFUSED: 10, production timeout: 3."));
    assert.ok(all.includes("Noise method: binomial test against the secondary (alpha 0.01)."));
  });

  it("shows real diff groups first, largest first, each with one exemplar, then the cancelled noise groups collapsed", () => {
    const first = all.findIndex((l) => l.startsWith("**1. `POST /v1/models/{m}:predict` · `$.predictions[*].label` · changed**: 42 pairs (2.11%"));
    const second = all.findIndex((l) => l.startsWith("**2. `GET /health` · `$` · status**: 5 pairs (1.25%"));
    const noiseLine = all.indexOf("1 noise group cancelled (production differs from the secondary there as often as from the candidate; not counted).");
    const details = all.indexOf("<details><summary>Noise groups (1)</summary>");
    assert.ok(first > 0 && second > first && noiseLine > second && details > noiseLine, `order ${first} ${second} ${noiseLine} ${details}`);
    assert.match(all[first] ?? "", /secondary 1 \(0\.05%\), p-value 0\.0001$/);
    assert.ok(all.includes("Example: `POST /v1/models/iris:predict`"));
    assert.ok(all.includes("| `$` | status | `200` | `503` |"));
    assert.ok(all.includes("| `POST /v1/models/{m}:predict · $.model_version · changed` | 17 | 0.85% | 16 | 0.80% | 0.61 |"));
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

  it("lists skipped requests, verdict checks, agents and events", () => {
    assert.ok(all.includes("9 requests were not sent to any target."));
    assert.ok(all.includes("| body too large | 3 |"));
    assert.ok(all.includes("| diff rate | 0.0238 | 0.01 | ❌ fail |"));
    assert.ok(all.includes("| candidate p99 ms | 178.559 | 150 | ❌ fail |"));
    assert.ok(all.includes("| candidate error rate | 0.0055 | 0.02 | ✅ pass |"));
    assert.ok(all.includes("| `agent-a` | completed | 0:1/2 | 1000 | 994 | 3 | 12.5 | 3 |"));
    assert.ok(all.includes("| `agent-b` | lost | 1/2:1 | 1001 | 997 | 0 | 4.25 | 2 |"));
    assert.ok(all.includes("| 2026-03-01T10:00:01.900Z | agent-lost | `agent-b` | agent-b missed 3 heartbeats |"));
    const quiet = renderMarkdown({ ...result, run: { ...result.run, events: [] } });
    assert.ok(!quiet.includes("### Events"));
  });

  it("contains every number of the result", () => {
    for (const [key, n] of numbers(result)) {
      if (key === "schemaVersion") continue;
      // Shares (rate, secondaryRate) are shown as percentages; everything else as written.
      const shown = /rate$/i.test(key) ? `${(n * 100).toFixed(2)}%` : String(n);
      assert.ok(md.includes(shown), `${key} = ${n} (shown as ${shown}) not in the markdown`);
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

describe("renderMarkdown warnings and noise paths", () => {
  it("warns when the generator sent many requests late, and not otherwise", () => {
    const result = fixtureResult();
    assert.ok(!renderMarkdown(result).includes("could not keep the schedule"), "3 late of 1991 is under 1%");
    const late: RunResult = { ...result, run: { ...result.run, agents: result.run.agents.map((a) => ({ ...a, late: 100, maxLagMs: 250 })) } };
    assert.match(renderMarkdown(late), /> ⚠️ 200 of 1991 requests left more than 10 ms after their intended time \(max lag 250 ms\)/);
  });

  it("shows a dash, not 0 ms, for a target that never answered", () => {
    const result = fixtureResult();
    const silent: RunResult = { ...result, targets: { ...result.targets, candidate: { ...result.targets.candidate, responses: 0 } } };
    const row = lines(renderMarkdown(silent)).find((l) => l.startsWith("| candidate |"));
    assert.match(row ?? "", /^\| candidate \| 1989 \| 0 \| 11 \| 0\.55% \| – \| – \| – \| – \| – \| – \|/);
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
