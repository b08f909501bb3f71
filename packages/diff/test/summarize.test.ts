import assert from "node:assert/strict";
import { test } from "node:test";
import { signatureKey, type DiffKind, type DiffSummary, type DiffTally, type SignatureTally } from "@parallax/protocol";
import { classify, Comparator, createTally, DIFFY_THRESHOLDS, mcnemarPValue, NOISE_METHOD, NOISE_METHODS, summarize } from "../src/index.js";
import { ENDPOINT, ok, options, pair, seeded } from "./fixtures.js";

const NOISE = { alpha: 0.05, minEffect: 0.001 };
const DIFFY = { ...NOISE, method: "diffy" } as const;

function balanced(s: DiffSummary): void {
  assert.equal(s.compared, s.identical + s.different + s.noise);
}

function sig(path: string, candidate: number, secondary: number, both: number, kind: DiffKind = "changed"): SignatureTally {
  return { endpoint: ENDPOINT, path, kind, candidate, secondary, both, exemplars: [], exemplarsSeen: candidate };
}

const key = (path: string, kind: DiffKind = "changed"): string => signatureKey({ endpoint: ENDPOINT, path, kind });

/** An endpoint where every one of `n` compared pairs (or `compared`) had a secondary response. */
const at = (n: number, compared = n): { compared: number; comparedWithSecondary: number } => ({ compared, comparedWithSecondary: n });

test("ground truth: a random id differing everywhere is noise, 37 label changes are different", () => {
  const random = seeded(11);
  const comparator = new Comparator(options({ random }));
  const tally = createTally();
  for (let i = 0; i < 1000; i++) {
    const id = (): string => Math.floor(random() * 1e12).toString(36);
    comparator.compare(
      pair(ok(200, { id: `p${id()}`, label: "cat" }), ok(200, { id: `c${id()}`, label: i % 27 === 0 && i < 37 * 27 ? "dog" : "cat" }), ok(200, { id: `s${id()}`, label: "cat" })),
      tally,
    );
  }
  const summary = summarize(tally, NOISE);
  balanced(summary);
  assert.equal(summary.compared, 1000);
  assert.equal(summary.identical, 0);
  assert.equal(summary.different, 37);
  assert.equal(summary.noise, 963);
  assert.equal(summary.notComparable, 0);
  assert.equal(summary.noiseMethod, "mcnemar");
  assert.deepEqual(
    summary.groups.map(({ examples, ...g }) => ({ ...g, examples: examples.length })),
    [
      { endpoint: ENDPOINT, path: "$.label", kind: "changed", count: 37, rate: 0.037, noise: false, secondaryCount: 0, secondaryRate: 0, pValue: 2 ** -37, examples: 3 },
      { endpoint: ENDPOINT, path: "$.id", kind: "changed", count: 1000, rate: 1, noise: true, secondaryCount: 1000, secondaryRate: 1, pValue: 1, examples: 3 },
    ],
  );
});

test("classify: secondary never shows it → real; significant and large enough → real; else noise", () => {
  // No secondary data at all: nothing is noise, no p-value.
  assert.deepEqual(classify(sig("$.a", 10, 0, 0), at(0), NOISE), { noise: false });
  // The secondary never shows it.
  assert.deepEqual(classify(sig("$.a", 1, 0, 0), at(1000), NOISE), { noise: false, pValue: 0.5 });
  // b = 90, c = 10: p tiny, effect (100 − 20) / 1000 = 0.08 > 0.001 → real.
  const real = classify(sig("$.a", 100, 20, 10), at(1000), NOISE);
  assert.deepEqual(real, { noise: false, pValue: mcnemarPValue(90, 10) });
  assert.ok((real.pValue ?? 1) < 1e-15);
  // Same counts but the effect floor is above the excess → noise.
  assert.equal(classify(sig("$.a", 100, 20, 10), at(1000), { alpha: 0.05, minEffect: 0.08 }).noise, true);
  assert.equal(classify(sig("$.a", 100, 20, 10), at(1000), { alpha: 0.05, minEffect: 0.0799 }).noise, false);
  // b = 15, c = 10: p = P(X >= 15 | 25) ≈ 0.21 → not significant → noise.
  const close = classify(sig("$.a", 25, 20, 10), at(1000), NOISE);
  assert.equal(close.noise, true);
  assert.equal(close.pValue, mcnemarPValue(15, 10));
  // The candidate differs less often than the secondary → noise.
  assert.equal(classify(sig("$.a", 5, 50, 5), at(1000), NOISE).noise, true);
});

test("alpha is a strict bound", () => {
  // b = 8, c = 2: p = 56/1024 = 0.0546875
  const p = mcnemarPValue(8, 2);
  assert.equal(classify(sig("$.a", 8, 2, 0), at(100), { alpha: p, minEffect: 0 }).noise, true);
  assert.equal(classify(sig("$.a", 8, 2, 0), at(100), { alpha: 0.0547, minEffect: 0 }).noise, false);
});

test("pairs are different if any of their signatures is real, noise if all are noise", () => {
  const tally: DiffTally = {
    ...createTally(),
    compared: 20,
    identical: 5,
    endpoints: { [ENDPOINT]: { compared: 20, comparedWithSecondary: 20 } },
    signatures: {
      [key("$.n")]: sig("$.n", 9, 9, 9),
      [key("$.r")]: sig("$.r", 4, 0, 0),
      [key("$.s", "status")]: sig("$.s", 0, 2, 0, "status"),
    },
    combos: { [key("$.n")]: 6, [[key("$.n"), key("$.r")].join("\n")]: 3, [key("$.r")]: 1, "unknown\u001fkey\u001fbody": 2 },
    overflowPairs: 3,
  };
  const s = summarize(tally, NOISE);
  balanced(s);
  // different: 3 ($.n + $.r) + 1 ($.r) + 2 (unknown signature) + 3 overflow; noise: 6
  assert.deepEqual({ identical: s.identical, different: s.different, noise: s.noise }, { identical: 5, different: 9, noise: 6 });
  // Groups: real first, then by count; the secondary-only signature has no group.
  assert.deepEqual(
    s.groups.map((g) => [g.path, g.count, g.noise, g.rate, g.secondaryCount, g.secondaryRate]),
    [
      ["$.r", 4, false, 0.2, 0, 0],
      ["$.n", 9, true, 0.45, 9, 0.45],
    ],
  );
});

test("groups without secondary data carry no secondary fields; ties sort by endpoint, path, kind", () => {
  const tally: DiffTally = {
    ...createTally(),
    compared: 10,
    identical: 6,
    endpoints: { [ENDPOINT]: { compared: 10, comparedWithSecondary: 0 } },
    signatures: { [key("$.b")]: sig("$.b", 2, 0, 0), [key("$.a", "type")]: sig("$.a", 2, 0, 0, "type"), [key("$.a")]: sig("$.a", 2, 0, 0) },
    combos: { [key("$.b")]: 2, [[key("$.a"), key("$.a", "type")].join("\n")]: 2 },
  };
  const s = summarize(tally, NOISE);
  balanced(s);
  assert.deepEqual(s.groups, [
    { endpoint: ENDPOINT, path: "$.a", kind: "changed", count: 2, rate: 0.2, noise: false, examples: [] },
    { endpoint: ENDPOINT, path: "$.a", kind: "type", count: 2, rate: 0.2, noise: false, examples: [] },
    { endpoint: ENDPOINT, path: "$.b", kind: "changed", count: 2, rate: 0.2, noise: false, examples: [] },
  ]);
  assert.deepEqual({ different: s.different, noise: s.noise }, { different: 4, noise: 0 });
});

test("not comparable pairs are reported apart and the reasons copied", () => {
  const tally: DiffTally = { ...createTally(), notComparable: 3, notComparableReasons: { "candidate failed": 3 } };
  const s = summarize(tally, NOISE);
  assert.deepEqual(s, { compared: 0, identical: 0, different: 0, noise: 0, notComparable: 3, notComparableReasons: { "candidate failed": 3 }, noiseMethod: "mcnemar", groups: [] });
  assert.notEqual(s.notComparableReasons, tally.notComparableReasons);
});

test("ground truth with Diffy's rule: the same split, no p-values, the method named", () => {
  const random = seeded(11);
  const comparator = new Comparator(options({ random }));
  const tally = createTally();
  for (let i = 0; i < 1000; i++) {
    const id = (): string => Math.floor(random() * 1e12).toString(36);
    comparator.compare(
      pair(ok(200, { id: `p${id()}`, label: "cat" }), ok(200, { id: `c${id()}`, label: i % 27 === 0 && i < 37 * 27 ? "dog" : "cat" }), ok(200, { id: `s${id()}`, label: "cat" })),
      tally,
    );
  }
  const summary = summarize(tally, DIFFY);
  balanced(summary);
  assert.deepEqual({ different: summary.different, noise: summary.noise, noiseMethod: summary.noiseMethod }, { different: 37, noise: 963, noiseMethod: "diffy" });
  assert.deepEqual(
    summary.groups.map(({ examples: _examples, ...g }) => g),
    [
      { endpoint: ENDPOINT, path: "$.label", kind: "changed", count: 37, rate: 0.037, noise: false, secondaryCount: 0, secondaryRate: 0 },
      { endpoint: ENDPOINT, path: "$.id", kind: "changed", count: 1000, rate: 1, noise: true, secondaryCount: 1000, secondaryRate: 1 },
    ],
  );
});

test("Diffy's thresholds are its defaults: relative 20 %, absolute 0.03 %", () => {
  assert.deepEqual(DIFFY_THRESHOLDS, { relative: 0.2, absolute: 0.0003 });
  assert.equal(NOISE_METHOD, "mcnemar");
  assert.deepEqual(NOISE_METHODS, ["mcnemar", "diffy"]);
});

test("Diffy versus McNemar on crafted signatures (10 000 triples unless said)", () => {
  const both = (candidate: number, secondary: number, overlap: number, endpoint = at(10000)): [boolean, boolean] => [
    classify(sig("$.a", candidate, secondary, overlap), endpoint, NOISE).noise,
    classify(sig("$.a", candidate, secondary, overlap), endpoint, DIFFY).noise,
  ];
  // [mcnemar noise, diffy noise]
  // Far above the secondary: real for both.
  assert.deepEqual(both(100, 0, 0), [false, false]);
  assert.deepEqual(both(400, 100, 50), [false, false]);
  // The secondary never shows it, but at 3 in 10 000 (0.03 %) it is not above Diffy's absolute
  // threshold (strictly): McNemar calls it real, Diffy noise. One more pair and Diffy agrees.
  assert.deepEqual(both(3, 0, 0), [false, true]);
  assert.deepEqual(both(4, 0, 0), [false, false]);
  // 150 against 100: relative (150 − 100) / (150 + 100) = 20 %, not above 20 %: Diffy noise;
  // McNemar (b = 70, c = 20) finds it significant and 0.5 % > minEffect: real. At 151, Diffy real.
  assert.deepEqual(both(150, 100, 80), [false, true]);
  assert.deepEqual(both(151, 100, 80), [false, false]);
  // Small samples: 6 against 1 of 100 is a large rate gap for Diffy (6 % vs 1 %), but McNemar's
  // p = P(X >= 6 | 7) = 8/128 = 0.0625 is not below alpha.
  assert.deepEqual(both(6, 1, 0, at(100)), [true, false]);
  // Equal rates, or the candidate below the secondary: noise for both.
  assert.deepEqual(both(500, 500, 400), [true, true]);
  assert.deepEqual(both(10, 50, 5), [true, true]);
  // Rates, not counts: of 1000 pairs only 500 had a secondary, so 30 candidate pairs (3 %)
  // against 10 secondary triples (2 %) is exactly 20 % relative: noise. Counts over one total
  // (30 vs 10) would have called it real.
  assert.deepEqual(both(30, 10, 5, at(500, 1000)), [false, true]);
  assert.deepEqual(both(31, 10, 5, at(500, 1000)), [false, false]);
  // Without secondary data nothing is noise, and Diffy gives no p-value.
  assert.deepEqual(classify(sig("$.a", 1, 0, 0), at(0, 10000), DIFFY), { noise: false });
  assert.deepEqual(classify(sig("$.a", 500, 500, 400), at(10000), DIFFY), { noise: true });
});

test("summaries by method: same tally, exact pair counts and groups for each", () => {
  const tally: DiffTally = {
    ...createTally(),
    compared: 10000,
    identical: 9000,
    endpoints: { [ENDPOINT]: { compared: 10000, comparedWithSecondary: 10000 } },
    signatures: {
      [key("$.rare")]: sig("$.rare", 3, 0, 0),
      [key("$.gap")]: sig("$.gap", 150, 100, 80),
      [key("$.noise")]: sig("$.noise", 500, 500, 400),
      [key("$.real")]: sig("$.real", 347, 0, 0),
    },
    combos: {
      [key("$.rare")]: 3,
      [key("$.gap")]: 150,
      [key("$.noise")]: 500,
      [key("$.real")]: 300,
      [[key("$.noise"), key("$.real")].join("\n")]: 47,
    },
  };
  const mcnemar = summarize(tally, NOISE);
  const diffy = summarize(tally, DIFFY);
  balanced(mcnemar);
  balanced(diffy);
  // McNemar: rare (secondary 0) and gap are real; noise alone is noise.
  assert.deepEqual([mcnemar.noiseMethod, mcnemar.different, mcnemar.noise], ["mcnemar", 3 + 150 + 300 + 47, 500]);
  // Diffy: rare (0.03 %) and gap (20 %) are noise too.
  assert.deepEqual([diffy.noiseMethod, diffy.different, diffy.noise], ["diffy", 300 + 47, 3 + 150 + 500]);
  assert.deepEqual(
    diffy.groups.map((g) => [g.path, g.count, g.rate, g.noise, g.secondaryCount, g.secondaryRate, g.pValue]),
    [
      ["$.real", 347, 0.0347, false, 0, 0, undefined],
      ["$.noise", 500, 0.05, true, 500, 0.05, undefined],
      ["$.gap", 150, 0.015, true, 100, 0.01, undefined],
      ["$.rare", 3, 0.0003, true, 0, 0, undefined],
    ],
  );
  assert.deepEqual(
    mcnemar.groups.map((g) => [g.path, g.noise, g.pValue]),
    [
      ["$.real", false, 2 ** -347],
      ["$.gap", false, mcnemarPValue(70, 20)],
      ["$.rare", false, 2 ** -3],
      ["$.noise", true, mcnemarPValue(100, 100)],
    ],
  );
});
