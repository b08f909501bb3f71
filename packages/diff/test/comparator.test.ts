import assert from "node:assert/strict";
import { test } from "node:test";
import { signatureKey, type DiffKind, type DiffTally } from "@parallax/protocol";
import { Comparator, createTally, type CompareOptions, type PairInput } from "../src/index.js";
import { ENDPOINT, failed, ok, options, pair, request } from "./fixtures.js";

function run(pairs: PairInput[], overrides: Partial<CompareOptions> = {}): DiffTally {
  const comparator = new Comparator(options(overrides));
  const tally = createTally();
  for (const p of pairs) comparator.compare(p, tally);
  return tally;
}

const key = (path: string, kind: DiffKind, endpoint = ENDPOINT): string => signatureKey({ endpoint, path, kind });

/** The counts of each signature, without reservoirs. */
function counts(tally: DiffTally): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  for (const [k, s] of Object.entries(tally.signatures)) out[k] = [s.candidate, s.secondary, s.both];
  return out;
}

test("identical pairs", () => {
  const body = { predictions: [{ label: "cat", score: 0.9 }] };
  const tally = run([pair(ok(200, body), ok(200, body)), pair(ok(200, body), ok(200, JSON.stringify(body, null, 2)), ok(200, body))]);
  assert.deepEqual(tally, {
    compared: 2,
    identical: 2,
    notComparable: 0,
    notComparableReasons: {},
    endpoints: { [ENDPOINT]: { compared: 2, comparedWithSecondary: 1 } },
    signatures: {},
    combos: {},
    overflowPairs: 0,
    comparisons: {},
  });
});

test("one-sided failure is not comparable and counts nothing else", () => {
  const tally = run([
    pair(failed(), ok(200, {})),
    pair(ok(200, {}), failed("ECONNREFUSED")),
    pair(ok(200, {}), failed()),
    pair(failed(), failed(), ok(200, {})),
  ]);
  assert.deepEqual(tally, {
    compared: 0,
    identical: 0,
    notComparable: 4,
    notComparableReasons: { "production failed": 1, "candidate failed": 2, "both failed": 1 },
    endpoints: {},
    signatures: {},
    combos: {},
    overflowPairs: 0,
    comparisons: {},
  });
});

test("a failed secondary leaves the pair comparable, without the noise sample", () => {
  const tally = run([pair(ok(200, { a: 1 }), ok(200, { a: 2 }), failed())]);
  assert.equal(tally.compared, 1);
  assert.deepEqual(tally.endpoints, { [ENDPOINT]: { compared: 1, comparedWithSecondary: 0 } });
  assert.deepEqual(counts(tally), { [key("$.a", "changed")]: [1, 0, 0] });
});

test("different statuses give only the status signature", () => {
  const tally = run([pair(ok(200, { a: 1 }, { "x-v": "1" }), ok(500, "oops", { "x-v": "2" }))], { headers: ["x-v"] });
  assert.deepEqual(counts(tally), { [key("status", "status")]: [1, 0, 0] });
  assert.deepEqual(tally.combos, { [key("status", "status")]: 1 });
  assert.deepEqual(tally.signatures[key("status", "status")]?.exemplars[0]?.differences, [{ path: "status", kind: "status", production: 200, candidate: 500 }]);
});

test("compared headers: names lower-cased, an absent header differs from a present one", () => {
  const tally = run(
    [
      pair(ok(200, "x", { "x-version": "1", "x-other": "a" }), ok(200, "x", { "x-version": "2", "x-other": "b" })),
      pair(ok(200, "x", { "x-version": "1" }), ok(200, "x", {})),
      pair(ok(200, "x", {}), ok(200, "x", {})),
    ],
    { headers: ["X-Version"] },
  );
  assert.deepEqual(counts(tally), { [key("header:x-version", "header")]: [2, 0, 0] });
  assert.equal(tally.identical, 1);
  assert.deepEqual(tally.signatures[key("header:x-version", "header")]?.exemplars.map((e) => e.differences), [
    [{ path: "header:x-version", kind: "header", production: "1", candidate: "2" }],
    [{ path: "header:x-version", kind: "header", production: "1" }],
  ]);
});

test("non-JSON bodies compare by bytes; JSON against non-JSON is a body difference", () => {
  const html = { "content-type": "text/html" };
  const tally = run([
    pair(ok(200, "<p>hello</p>", html), ok(200, "<p>hellp</p>", html)),
    pair(ok(200, "<p>same</p>", html), ok(200, "<p>same</p>", html)),
    pair(ok(200, { a: 1 }), ok(200, "{not json")),
  ]);
  assert.deepEqual(counts(tally), { [key("body", "body")]: [2, 0, 0] });
  assert.equal(tally.identical, 1);
  assert.deepEqual(tally.signatures[key("body", "body")]?.exemplars[0]?.differences, [{ path: "body", kind: "body" }]);
});

test("truncated bodies are not compared by content; status and headers still are", () => {
  const tally = run(
    [
      pair(ok(200, { a: 1 }, {}, true), ok(200, { a: 2 })),
      pair(ok(200, { a: 1 }), ok(200, { a: 2 }, {}, true)),
      pair(ok(200, { a: 1 }, { "x-v": "1" }, true), ok(200, { a: 2 }, { "x-v": "2" }, true)),
      pair(ok(200, { a: 1 }, {}, true), ok(404, { a: 1 }, {}, true)),
    ],
    { headers: ["x-v"] },
  );
  assert.equal(tally.compared, 4);
  assert.equal(tally.identical, 2);
  assert.deepEqual(counts(tally), { [key("header:x-v", "header")]: [1, 0, 0], [key("status", "status")]: [1, 0, 0] });
});

test("JSON bodies: signatures with [*], once per pair however many elements differ", () => {
  const production = { predictions: [{ label: "cat", score: 0.5 }, { label: "dog", score: 0.25 }, { label: "cow", score: 1 }], model: "v1" };
  const candidate = { predictions: [{ label: "cat", score: 0.75 }, { label: "cat", score: 0.5 }, { label: "cow", score: "1" }], version: 2 };
  const tally = run([pair(ok(200, production), ok(200, candidate)), pair(ok(200, production), ok(200, production))]);
  const expected = [key("$.model", "removed"), key("$.predictions[*].label", "changed"), key("$.predictions[*].score", "changed"), key("$.predictions[*].score", "type"), key("$.version", "added")];
  assert.deepEqual(Object.keys(tally.signatures).sort(), [...expected].sort());
  for (const k of expected) assert.deepEqual(counts(tally)[k], [1, 0, 0], k);
  assert.deepEqual(tally.combos, { [[...expected].sort().join("\n")]: 1 });
  assert.equal(tally.identical, 1);
  assert.equal(tally.compared, 2);
});

test("tolerance and ignore rules apply before counting", () => {
  const tally = run(
    [
      pair(ok(200, { id: "a", t: 1, s: [1, 2] }), ok(200, { id: "b", t: 2, s: [1.25, 2] })),
      pair(ok(200, { id: "a", t: 1, s: [1, 2] }), ok(200, { id: "a", t: 1, s: [1, 2.5] })),
    ],
    { ignore: ["$.id", "$.t"], tolerance: { absolute: 0.25, relative: 0 } },
  );
  assert.equal(tally.identical, 1);
  assert.deepEqual(counts(tally), { [key("$.s[*]", "changed")]: [1, 0, 0] });
  assert.deepEqual(tally.signatures[key("$.s[*]", "changed")]?.exemplars[0]?.differences, [{ path: "$.s[1]", kind: "changed", production: 2, candidate: 2.5 }]);
});

test("ignoring $ skips every body, JSON or not", () => {
  const tally = run([pair(ok(200, { a: 1 }), ok(200, { a: 2 })), pair(ok(200, "x"), ok(200, "y"))], { ignore: ["$"] });
  assert.equal(tally.identical, 2);
});

test("secondary: candidate, secondary and both counts, combos from the candidate only", () => {
  const p = { id: 1, label: "cat", extra: 0 };
  const tally = run([
    // id differs against both; label only against the candidate
    pair(ok(200, p), ok(200, { ...p, id: 2, label: "dog" }), ok(200, { ...p, id: 3 })),
    // extra differs only against the secondary: the candidate is identical
    pair(ok(200, p), ok(200, p), ok(200, { ...p, extra: 1 })),
  ]);
  assert.deepEqual(counts(tally), {
    [key("$.id", "changed")]: [1, 1, 1],
    [key("$.label", "changed")]: [1, 0, 0],
    [key("$.extra", "changed")]: [0, 1, 0],
  });
  assert.deepEqual(tally.combos, { [[key("$.id", "changed"), key("$.label", "changed")].sort().join("\n")]: 1 });
  assert.equal(tally.identical, 1);
  assert.deepEqual(tally.endpoints, { [ENDPOINT]: { compared: 2, comparedWithSecondary: 2 } });
  assert.deepEqual(tally.signatures[key("$.extra", "changed")]?.exemplars, [], "exemplars only for candidate signatures");
  assert.equal(tally.signatures[key("$.extra", "changed")]?.exemplarsSeen, 0);
});

test("signatures are per endpoint", () => {
  const tally = run([pair(ok(200, { a: 1 }), ok(200, { a: 2 }), undefined, "GET /a"), pair(ok(200, { a: 1 }), ok(200, { a: 2 }), undefined, "GET /b")]);
  assert.deepEqual(counts(tally), { [key("$.a", "changed", "GET /a")]: [1, 0, 0], [key("$.a", "changed", "GET /b")]: [1, 0, 0] });
  assert.deepEqual(tally.endpoints, { "GET /a": { compared: 1, comparedWithSecondary: 0 }, "GET /b": { compared: 1, comparedWithSecondary: 0 } });
});

test("beyond maxSignatures a pair counts as overflow, the known signatures still count", () => {
  const tally = run(
    [
      pair(ok(200, { a: 1, b: 1 }), ok(200, { a: 2, b: 2 })),
      pair(ok(200, { a: 1, c: 1 }), ok(200, { a: 2, c: 2 })),
      pair(ok(200, { a: 1 }), ok(200, { a: 2 })),
    ],
    { maxSignatures: 2 },
  );
  assert.deepEqual(counts(tally), { [key("$.a", "changed")]: [3, 0, 0], [key("$.b", "changed")]: [1, 0, 0] });
  assert.equal(tally.overflowPairs, 1);
  assert.deepEqual(tally.combos, { [[key("$.a", "changed"), key("$.b", "changed")].join("\n")]: 1, [key("$.a", "changed")]: 1 });
  assert.equal(tally.compared, tally.identical + tally.overflowPairs + Object.values(tally.combos).reduce((x, y) => x + y, 0));
});

test("beyond maxCombos a new combo counts as overflow, known combos still count", () => {
  const tally = run(
    [pair(ok(200, { a: 1 }), ok(200, { a: 2 })), pair(ok(200, { b: 1 }), ok(200, { b: 2 })), pair(ok(200, { a: 1 }), ok(200, { a: 3 }))],
    { maxCombos: 1 },
  );
  assert.deepEqual(tally.combos, { [key("$.a", "changed")]: 2 });
  assert.equal(tally.overflowPairs, 1);
  assert.deepEqual(counts(tally), { [key("$.a", "changed")]: [2, 0, 0], [key("$.b", "changed")]: [1, 0, 0] });
});

test("exemplars: bounded reservoir, truncated bodies, every response, capped differences", () => {
  const production = { v: Array.from({ length: 30 }, (_, i) => i), pad: "p".repeat(100) };
  const candidate = { v: Array.from({ length: 30 }, (_, i) => i + 1), pad: "p".repeat(100) };
  const pairs: PairInput[] = [];
  for (let i = 0; i < 50; i++) {
    pairs.push({
      endpoint: ENDPOINT,
      request: request({ index: i, headers: [["accept", "a"], ["accept", "b"]], body: new TextEncoder().encode(`{"n":${i},"text":"${"x".repeat(80)}"}`) }),
      production: ok(200, production, { "x-v": "1" }),
      candidate: ok(200, candidate, { "x-v": "1" }),
      secondary: failed("timeout"),
    });
  }
  const tally = run(pairs, { exemplars: 4, maxExemplarBodyBytes: 32, headers: ["x-v"] });
  const sig = tally.signatures[key("$.v[*]", "changed")];
  assert.ok(sig);
  assert.equal(sig.exemplarsSeen, 50);
  assert.equal(sig.exemplars.length, 4);
  const e = sig.exemplars[0];
  assert.ok(e);
  assert.equal(e.request.method, "POST");
  assert.deepEqual(e.request.headers, { accept: "a, b" });
  assert.equal(e.request.body?.length, 32);
  assert.equal(e.request.bodyTruncated, true);
  assert.deepEqual(e.responses.production, { status: 200, headers: { "x-v": "1" }, body: JSON.stringify(production).slice(0, 32), bodyTruncated: true });
  assert.deepEqual(e.responses.candidate, { status: 200, headers: { "x-v": "1" }, body: JSON.stringify(candidate).slice(0, 32), bodyTruncated: true });
  assert.deepEqual(e.responses.secondary, { error: "timeout" });
  assert.equal(e.differences.length, 20);
  assert.deepEqual(e.differences[0], { path: "$.v[0]", kind: "changed", production: 0, candidate: 1 });
  assert.deepEqual(e.differences[19], { path: "$.v[19]", kind: "changed", production: 19, candidate: 20 });
});

test("an exemplar is built only when a reservoir takes the pair", () => {
  let builds = 0;
  const base = request();
  const counted = Object.create(base, {
    headers: {
      get() {
        builds++;
        return base.headers;
      },
    },
  }) as typeof base;
  const comparator = new Comparator(options({ exemplars: 1, random: () => 0.99 }));
  const tally = createTally();
  for (let i = 0; i < 10; i++) comparator.compare({ endpoint: ENDPOINT, request: counted, production: ok(200, { a: 1, b: 1 }), candidate: ok(200, { a: 2, b: 2 }) }, tally);
  // Pair 1 fills both reservoirs with one shared exemplar; later draws floor(0.99·n) >= 1 reject.
  assert.equal(builds, 1);
  assert.equal(tally.signatures[key("$.a", "changed")]?.exemplarsSeen, 10);
  assert.equal(tally.signatures[key("$.a", "changed")]?.exemplars.length, 1);
});

test("large differing values are summarised in exemplars", () => {
  const big = Array.from({ length: 100 }, (_, i) => i);
  const tally = run([pair(ok(200, { a: big, s: "y".repeat(50) }), ok(200, { a: "text", s: "z".repeat(50) }))], { maxExemplarBodyBytes: 16 });
  assert.deepEqual(tally.signatures[key("$.a", "type")]?.exemplars[0]?.differences, [
    { path: "$.a", kind: "type", production: "<array of 100>", candidate: "text" },
    { path: "$.s", kind: "changed", production: `${"y".repeat(16)}…`, candidate: `${"z".repeat(16)}…` },
  ]);
});
