import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ComparisonReport } from "@parallax/protocol";
import { renderMarkdown, renderSummary } from "../src/index.js";
import { COMPARISONS, LABEL_COMPARISON, PREDICT, fixtureResult } from "./fixture.js";

/** The lines of report.md from `#### <heading>` to the next heading. */
function block(md: string, heading: string): string[] {
  const all = md.split("\n");
  const start = all.indexOf(heading);
  assert.ok(start >= 0, `no ${heading}`);
  const end = all.findIndex((l, i) => i > start && l.startsWith("#"));
  return all.slice(start, end < 0 ? undefined : end);
}

function markdownOf(comparisons: readonly ComparisonReport[]): string {
  return renderMarkdown({ ...fixtureResult(), comparisons });
}

const [, SCORES, TENSOR, DRIFT] = COMPARISONS;
assert.ok(SCORES && TENSOR && DRIFT);

describe("model outputs in report.md", () => {
  const md = renderMarkdown(fixtureResult());

  it("has a Model outputs section after the diff groups", () => {
    const all = md.split("\n");
    const at = all.indexOf("### Model outputs");
    assert.ok(at > all.indexOf("### Top diff groups") && at < all.indexOf("### Skipped requests"));
    assert.equal(md.match(/^#### /gm)?.length, 4);
  });

  it("shows a label comparison's figures beside the secondary's, and its confusion matrix", () => {
    assert.deepEqual(block(md, "#### `POST /v1/models/{m}:predict` · `$.predictions[*].label` · label"), [
      "#### `POST /v1/models/{m}:predict` · `$.predictions[*].label` · label",
      "",
      "| figure | production vs candidate | production vs secondary (noise baseline) |",
      "|---|---:|---:|",
      "| compared | 800 | 800 |",
      "| agreement | 98.5 % (788 of 800) | 99.88 % (799 of 800) |",
      "| flips | 12 | 1 |",
      "| length mismatches | 1 | 0 |",
      "| unpaired | 2 | 0 |",
      "",
      "Confusion matrix, production vs candidate: one row per production label, one column per candidate label.",
      "",
      "| production ↓ candidate → | setosa | versicolor | virginica |",
      "|---|---:|---:|---:|",
      "| setosa | 270 | 2 | 0 |",
      "| versicolor | 0 | 260 | 6 |",
      "| virginica | 0 | 4 | 258 |",
      "",
    ]);
  });

  it("shows scores, tensor and drift figures", () => {
    assert.deepEqual(block(md, "#### `POST /v1/models/{m}:predict` · `$.predictions[*].scores` · scores").slice(2, -1), [
      "| figure | production vs candidate |",
      "|---|---:|",
      "| compared | 800 |",
      "| max abs diff | 0.0412 |",
      "| mean abs diff | 0.00318 |",
      "| top-3 overlap | 99.25 % |",
      "| out of tolerance | 14 (1.75 %) |",
      "| length mismatches | 0 |",
      "| incomparable | 1 |",
    ]);
    assert.deepEqual(block(md, "#### `POST /v2/models/{m}/infer` · `$.outputs` · tensor").slice(4, -1), [
      "| compared | 400 |",
      "| value mismatches | 3 (0.75 %) |",
      "| elements mismatched | 12 of 102400 (0.01 %) |",
      "| max abs diff | 0.5 |",
      "| shape mismatches | 1 |",
      "| dtype mismatches | 0 |",
      "| missing outputs | 0 |",
      "| extra outputs | 2 |",
      "| malformed outputs | 0 |",
    ]);
    const drift = block(md, "#### `POST /v1/models/{m}:predict` · `$.predictions[*].confidence` · drift");
    assert.deepEqual(drift.slice(4, 10), [
      "| values | 800 → 798 |",
      "| mean | 0.9123 → 0.8871 |",
      "| ignored (not numbers) | 0 → 2 |",
      "| PSI | 0.0415 |",
      "| KS | 0.0625 |",
      "| PSI bins | 10 |",
    ]);
    assert.match(drift[11] ?? "", /^Values, mean, ignored: production → the other side\. PSI: population stability index/);
  });

  it("shows a dash where nothing was comparable", () => {
    const empty: ComparisonReport = { ...SCORES, compared: 0, maxAbsDiff: null, meanAbsDiff: null, topKOverlap: null, outOfTolerance: 0 };
    const noLabels: ComparisonReport = { endpoint: PREDICT, path: "$.label", kind: "label", compared: 0, agreement: null, agreed: 0, confusion: {}, production: {}, candidate: {}, lengthMismatches: 0, unpaired: 3 };
    const text = markdownOf([empty, noLabels]);
    const scores = block(text, "#### `POST /v1/models/{m}:predict` · `$.predictions[*].scores` · scores");
    assert.ok(scores.includes("| max abs diff | – |") && scores.includes("| top-3 overlap | – |") && scores.includes("| out of tolerance | 0 |"));
    const label = block(text, "#### `POST /v1/models/{m}:predict` · `$.label` · label");
    assert.ok(label.includes("| agreement | – |"));
    assert.ok(!text.includes("Confusion matrix"), "no matrix without labels");
  });

  it("folds a matrix beyond 12 labels into (other), keeping the most frequent, without losing a count", () => {
    // 15 labels, label lNN seen 100 - NN times on the diagonal, plus 3 flips from l00 to l14.
    const names = Array.from({ length: 15 }, (_, i) => `l${String(i).padStart(2, "0")}`);
    const confusion: Record<string, Record<string, number>> = Object.fromEntries(names.map((n, i) => [n, { [n]: 100 - i }]));
    confusion.l00 = { l00: 100, l14: 3 };
    const { secondary: _secondary, ...withoutSecondary } = LABEL_COMPARISON;
    const lines = block(markdownOf([{ ...withoutSecondary, confusion }]), "#### `POST /v1/models/{m}:predict` · `$.predictions[*].label` · label");
    const header = lines.find((l) => l.startsWith("| production ↓ candidate → |"));
    // Weights (row plus column): l00 203, then 2 × (100 − i); l14 175 outranks l13 174, but both are folded.
    assert.equal(header, `| production ↓ candidate → | ${names.slice(0, 11).join(" | ")} | (other) |`);
    assert.ok(lines.includes(`| l00 | 100 | ${"0 | ".repeat(10)}3 |`));
    assert.ok(lines.includes(`| (other) | ${"0 | ".repeat(11)}350 |`), "l11..l14: 89 + 88 + 87 + 86");
    const cells = lines.filter((l) => /^\| (l\d\d|\(other\)) \|/.test(l)).flatMap((l) => l.split("|").slice(2, -1).map(Number));
    assert.equal(cells.length, 12 * 12);
    assert.equal(cells.reduce((a, b) => a + b, 0), 1398, "every count kept");
    assert.ok(lines.includes("4 less frequent labels folded into (other) (all in report.json)."));
  });

  it("keeps an (other) the diff package already folded into, last", () => {
    const confusion = { "(other)": { "(other)": 5, a: 1 }, a: { a: 7 }, b: { "(other)": 2 } };
    const lines = block(markdownOf([{ ...LABEL_COMPARISON, confusion }]), "#### `POST /v1/models/{m}:predict` · `$.predictions[*].label` · label");
    assert.ok(lines.includes("| production ↓ candidate → | a | b | (other) |"));
    assert.ok(lines.includes("| (other) | 1 | 0 | 5 |"));
    assert.ok(lines.includes("| b | 0 | 0 | 2 |"));
    assert.ok(!lines.some((l) => l.includes("folded")));
  });

  it("shows a kind it does not know field by field", () => {
    const future = { endpoint: PREDICT, path: "$.embedding", kind: "cosine", compared: 10, meanCosine: 0.99812, note: "text is not shown" } as unknown as ComparisonReport;
    const lines = block(markdownOf([future]), "#### `POST /v1/models/{m}:predict` · `$.embedding` · cosine");
    assert.deepEqual(lines.slice(2, 6), ["| figure | production vs candidate |", "|---|---:|", "| compared | 10 |", "| meanCosine | 0.9981 |"]);
  });

  it("shows at most 20 comparisons and counts the rest; none, no section", () => {
    const many = Array.from({ length: 23 }, (_, i): ComparisonReport => ({ ...SCORES, path: `$.s${i}` }));
    const text = markdownOf(many);
    assert.equal(text.match(/^#### /gm)?.length, 20);
    assert.ok(text.includes("\n…and 3 more comparisons (all in report.json).\n"));
    assert.ok(!markdownOf([]).includes("### Model outputs"));
  });
});

describe("model outputs in the terminal summary", () => {
  it("gives one line per comparison with its key figures, and the secondary's after it", () => {
    const lines = renderSummary(fixtureResult()).split("\n");
    const at = lines.indexOf("model outputs");
    assert.ok(at > 0);
    assert.deepEqual(lines.slice(at + 1, at + 5), [
      "  POST /v1/models/{m}:predict · $.predictions[*].label  label agreement 98.5 % (12 flips of 800); secondary: agreement 99.88 % (1 flip of 800)",
      "  POST /v1/models/{m}:predict · $.predictions[*].scores  scores max abs diff 0.0412, mean abs diff 0.00318, top-3 overlap 99.25 %, 14 of 800 out of tolerance",
      "  POST /v2/models/{m}/infer · $.outputs  tensor 3 value mismatches of 400 (12 of 102400 elements), max abs diff 0.5, 1 shape mismatch, 2 extra outputs",
      "  POST /v1/models/{m}:predict · $.predictions[*].confidence  drift PSI 0.0415, KS 0.0625, mean 0.9123 → 0.8871",
    ]);
  });

  it("says when nothing was compared, shows at most 5 and counts the rest", () => {
    const nothing: ComparisonReport[] = [
      { ...LABEL_COMPARISON, compared: 0, agreement: null, agreed: 0, secondary: { compared: 0, agreement: null, agreed: 0 } },
      { ...SCORES, compared: 0, maxAbsDiff: null, meanAbsDiff: null, topKOverlap: null },
      { ...TENSOR, compared: 0 },
      { ...DRIFT, psi: null, ks: null },
      SCORES,
      SCORES,
      SCORES,
    ];
    const lines = renderSummary({ ...fixtureResult(), comparisons: nothing }).split("\n");
    const at = lines.indexOf("model outputs");
    assert.deepEqual(lines.slice(at + 1, at + 5), [
      "  POST /v1/models/{m}:predict · $.predictions[*].label  label nothing compared; secondary: nothing compared",
      "  POST /v1/models/{m}:predict · $.predictions[*].scores  scores nothing compared",
      "  POST /v2/models/{m}/infer · $.outputs  tensor nothing compared",
      "  POST /v1/models/{m}:predict · $.predictions[*].confidence  drift nothing compared (a side has no values)",
    ]);
    assert.equal(lines[at + 6], "  …and 2 more");
    assert.ok(!renderSummary({ ...fixtureResult(), comparisons: [] }).includes("model outputs"));
  });
});
