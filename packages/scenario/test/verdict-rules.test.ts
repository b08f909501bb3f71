import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { InvalidInputError, formatIssue } from "@parallax/protocol";
import { resolveScenario, toScenarioDocument, type Scenario } from "../src/index.js";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "parallax-verdict-rules-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HEAD = "targets: { production: http://127.0.0.1:1, candidate: http://127.0.0.1:2 }\ntraffic: rec.jsonl\n";

async function load(text: string): Promise<Scenario> {
  await writeFile(join(dir, "s.yaml"), HEAD + text);
  return resolveScenario({ file: "s.yaml", env: {}, cwd: dir });
}

async function problems(text: string): Promise<string[]> {
  const error: unknown = await load(text).then(
    () => assert.fail("expected an InvalidInputError"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InvalidInputError);
  return error.issues.map(formatIssue);
}

describe("thresholds, abort rules, endpoints and compare rules", () => {
  it("reads expressions, scoped lists and abort rules; scoped endpoints join compare.endpoints", async () => {
    const s = await load(
      [
        "thresholds:",
        '  - "candidate.p99 < 1.1 * production.p99"',
        '  - endpoint: "POST /v1/models/{model}:predict"',
        '    rules: ["candidate.p90 < 120ms", "label.agreement > 99%"]',
        'abort: ["production.errors.rate > 5%"]',
        "compare:",
        '  endpoints: ["/users/{id}"]',
        "  rules:",
        '    - { path: "$.predictions[*].label", kind: label }',
        '    - { path: "$.outputs", kind: tensor, tolerance: { absolute: 1e-5, relative: 1e-3 } }',
        "",
      ].join("\n"),
    );
    assert.deepEqual(s.thresholds, [
      { expression: "candidate.p99 < 1.1 * production.p99" },
      { expression: "candidate.p90 < 120ms", endpoint: "POST /v1/models/{model}:predict" },
      { expression: "label.agreement > 99%", endpoint: "POST /v1/models/{model}:predict" },
    ]);
    assert.deepEqual(s.abort, [{ expression: "production.errors.rate > 5%" }]);
    assert.deepEqual(s.compare.endpoints, ["/users/{id}", "POST /v1/models/{model}:predict"]);
    assert.deepEqual(s.compare.rules, [
      { path: "$.predictions[*].label", kind: "label" },
      { path: "$.outputs", kind: "tensor", tolerance: { absolute: 1e-5, relative: 1e-3 } },
    ]);
    assert.deepEqual(s.compare.latency, { confidence: 0.95, minEffect: { relative: 0.1, absoluteMs: 2 } });
    assert.equal(s.compare.noise.method, "mcnemar");
    // The shipped form reads back to the same scenario.
    const again = await resolveScenario({ overrides: toScenarioDocument(s) as Record<string, unknown>, env: {}, cwd: dir });
    assert.deepEqual([again.thresholds, again.abort, again.compare], [s.thresholds, s.abort, s.compare]);
  });

  it("turns the older threshold keys into the expressions they meant", async () => {
    const s = await load("thresholds: { maxDiffRate: 0.005, maxErrorRate: 0.01, maxLatencyRatio: 1.2 }\n");
    assert.deepEqual(s.thresholds.map((t) => t.expression), ["diff.rate <= 0.5%", "candidate.errors.rate <= 1%", "candidate.p99 <= 1.2 * production.p99"]);
  });

  it("reports a bad expression, an unknown kind and an option of another kind at their line and column", async () => {
    assert.deepEqual(
      await problems(
        [
          "thresholds:",
          '  - "candidate.p98 < 250ms"',
          'abort: ["p99 < 250"]',
          "compare:",
          "  rules:",
          '    - { path: "$.x", kind: labels }',
          '    - { path: "$.y", kind: label, topK: 3 }',
          "",
        ].join("\n"),
      ),
      [
        's.yaml:4:5: thresholds[0]: "candidate.p98 < 250ms": unknown metric "candidate.p98" at column 1 (known quantiles: p50, p90, p95, p99, p999)',
        's.yaml:5:9: abort[0]: "p99 < 250": 250 has no unit but p99 is a duration at column 7 (write 250ms)',
        "s.yaml:8:28: compare.rules[0].kind: expected one of label, scores, tensor, drift, got \"labels\"",
        "s.yaml:9:41: compare.rules[1].topK: topK does not apply to kind label (it takes maxLabels)",
      ],
    );
  });

  it("refuses rules that read a figure the scenario can never produce", async () => {
    assert.deepEqual(await problems('thresholds: ["secondary.p99 < 1s", "label.agreement > 99%"]\nabort: ["drift.psi > 0.2"]\n'), [
      's.yaml:3:13: thresholds: "secondary.p99 < 1s" reads secondary.p99, but the scenario has no secondary target (add one, or --secondary)',
      "s.yaml:3:13: thresholds: \"label.agreement > 99%\" reads label.agreement, but no compare rule of kind label measures it (add one to compare.rules, or --compare 'label:<path>')",
      "s.yaml:4:8: abort: \"drift.psi > 0.2\" reads drift.psi, but no compare rule of kind drift measures it (add one to compare.rules, or --compare 'drift:<path>')",
    ]);
  });
});
