import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EndpointResult, RunResult } from "@parallax/protocol";
import { renderMarkdown, renderSummary } from "../src/index.js";
import { ENDPOINTS, PREDICT, fixtureResult } from "./fixture.js";

function section(md: string, heading: string): string[] {
  const all = md.split("\n");
  const start = all.indexOf(heading);
  assert.ok(start >= 0, `no ${heading}`);
  const end = all.findIndex((l, i) => i > start && l.startsWith("### "));
  return all.slice(start, end < 0 ? undefined : end);
}

const [HEALTH, PREDICTION, METRICS] = ENDPOINTS;
assert.ok(HEALTH && PREDICTION && METRICS);

describe("endpoints in report.md", () => {
  const result = fixtureResult();
  const md = renderMarkdown(result);

  it("has an Endpoints section after Latency: one table, regressions first, then how the change is computed", () => {
    const all = md.split("\n");
    assert.ok(all.indexOf("### Endpoints") > all.indexOf("### Latency") && all.indexOf("### Endpoints") < all.indexOf("### Diffs"));
    assert.deepEqual(section(md, "### Endpoints"), [
      "### Endpoints",
      "",
      "| endpoint | requests | errors | p50 ms | p99 ms | diff rate |",
      "|---|---:|---:|---:|---:|---:|",
      "| `POST /v1/models/{m}:predict` | 789 / 787 / 785 | 4 / 11 / 0 | 50.4 / 54.5 / 51 | 108.7 / 178.1 / 110.3 | 5.38 % |",
      "| `GET /health` | 1200 / 1200 / 1200 | 3 / 0 / 0 | 30.5 / 26.1 / 30.1 | 90.2 / 88.9 / 91.4 | 0.42 % |",
      "| `GET /metrics` | 2 / 2 / – | 0 / 2 / – | 3.2 / – / – | 4.1 / – / – | n/a |",
      "",
      "Each cell: production / candidate / secondary; – where a target had no responses. Diff rate: differing pairs (noise excluded) over compared pairs of the endpoint.",
      "",
      "| endpoint | p50 change | p90 change | p99 change | n |",
      "|---|---:|---:|---:|---:|",
      "| `POST /v1/models/{m}:predict` | +4.1 ms (+8.1 %) [2.9, 5.3] | +11.75 ms (+14.8 %) [8.2, 15.1] ⚠ regression | +69.4 ms (+63.8 %) [61.2, 77.9] ⚠ regression | 788 / 787 |",
      "| `GET /health` | -4.4 ms (-14.4 %) [-5.2, -3.5] ✓ improvement | -2.85 ms (-4.7 %) [-6.1, 0.4] | -1.3 ms (-1.4 %) [-4.9, 2.6] | 1197 / 1200 |",
      "",
      "Latency change: candidate − production response time at each quantile, ms, with its 95 % confidence interval in brackets (bootstrap over the histograms (2000 replicates, Beta order statistics), 95 % percentile interval). ⚠ regression / ✓ improvement: the interval excludes 0 and the change is at least 10 % and 2 ms. n: responses behind production / candidate.",
      "",
    ]);
  });

  it("names the endpoints with a latency regression right under the verdict", () => {
    assert.equal(md.split("\n")[2], "**⚠ Latency regressions:** `POST /v1/models/{m}:predict` p90 +11.75 ms (+14.8 %) [8.2, 15.1], p99 +69.4 ms (+63.8 %) [61.2, 77.9]");
    const calm: RunResult = { ...result, endpoints: [HEALTH, METRICS] };
    assert.ok(!renderMarkdown(calm).includes("Latency regressions"));
  });

  it("names at most 5 regressed endpoints under the verdict", () => {
    const many = Array.from({ length: 7 }, (_, i): EndpointResult => ({ ...PREDICTION, endpoint: `POST /r${i}` }));
    const line = renderMarkdown({ ...result, endpoints: many }).split("\n")[2] ?? "";
    assert.equal(line.match(/`POST \/r\d`/g)?.length, 5);
    assert.ok(line.endsWith(" · …and 2 more (see Endpoints)"), line);
  });

  it("shows only the targets the endpoints had, and a relative change of n/a when production's latency is 0", () => {
    const latency = PREDICTION.latency;
    assert.ok(latency);
    const [p50] = latency.quantiles;
    assert.ok(p50);
    const quantiles = [{ ...p50, productionMs: 0, candidateMs: 4.1, relative: null, significant: true, regression: true }];
    const only: EndpointResult = {
      endpoint: PREDICT,
      targets: { production: PREDICTION.targets.production!, candidate: PREDICTION.targets.candidate! },
      diff: PREDICTION.diff,
      latency: { ...latency, quantiles, regression: true },
    };
    const lines = section(renderMarkdown({ ...result, endpoints: [only] }), "### Endpoints");
    assert.ok(lines.includes("| `POST /v1/models/{m}:predict` | 789 / 787 | 4 / 11 | 50.4 / 54.5 | 108.7 / 178.1 | 5.38 % |"));
    assert.ok(lines.some((l) => l.startsWith("Each cell: production / candidate; ")));
    assert.ok(lines.includes("| endpoint | p50 change | n |"));
    assert.ok(lines.includes("| `POST /v1/models/{m}:predict` | +4.1 ms (n/a) [2.9, 5.3] ⚠ regression | 788 / 787 |"));
  });

  it("caps the table at 50 endpoints, regressions kept, and counts the rest", () => {
    const quiet = Array.from({ length: 60 }, (_, i): EndpointResult => ({ ...METRICS, endpoint: `GET /e${String(i).padStart(2, "0")}` }));
    const lines = section(renderMarkdown({ ...result, endpoints: [...quiet, PREDICTION] }), "### Endpoints");
    const rows = lines.filter((l) => l.startsWith("| `"));
    assert.equal(rows.filter((l) => l.includes("GET /e")).length, 49);
    assert.ok(rows[0]?.startsWith("| `POST /v1/models/{m}:predict` | 789 "), "the regression leads the table");
    assert.ok(lines.includes("…and 11 more endpoints (all in report.json)."));
  });

  it("has no Endpoints section when the result has none", () => {
    const md = renderMarkdown({ ...result, endpoints: [] });
    assert.ok(!md.includes("### Endpoints"));
    assert.ok(!md.includes("Latency change"));
  });
});

describe("endpoints in the terminal summary", () => {
  const result = fixtureResult();

  it("gives each endpoint with a latency regression one line after the targets, in yellow", () => {
    const lines = renderSummary(result).split("\n");
    const at = lines.indexOf("latency regression  POST /v1/models/{m}:predict  p90 +11.75 ms (+14.8 %) [8.2, 15.1], p99 +69.4 ms (+63.8 %) [61.2, 77.9]");
    assert.ok(at > 0);
    assert.ok(lines[at - 1]?.startsWith("secondary   1985 req"));
    assert.ok(renderSummary(result, { color: true }).includes("\u001b[33mlatency regression  POST /v1/models/{m}:predict  p90"));
    assert.ok(!renderSummary({ ...result, endpoints: [HEALTH, METRICS] }).includes("latency regression"));
  });

  it("lists at most 5 and counts the rest", () => {
    const many = Array.from({ length: 8 }, (_, i): EndpointResult => ({ ...PREDICTION, endpoint: `POST /r${i}` }));
    const text = renderSummary({ ...result, endpoints: many });
    assert.equal(text.match(/^latency regression {2}POST \/r\d/gm)?.length, 5);
    assert.ok(text.includes("\n  …and 3 more endpoints with a latency regression\n"));
  });
});
