import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addHistogram, createLatencyHistogram, latencySummaryMs, type LatencyHistogram } from "../src/index.js";

/** The top of the range, 3_600_000_000 µs, lands in a bucket 2^21 µs wide: [3_598_712_832, 3_600_809_983]. */
const TOP_BUCKET_HIGH_MS = 3_600_809.983;

describe("LatencyHistogram", () => {
  it("counts what it records and forgets it on reset", () => {
    const h = createLatencyHistogram();
    assert.equal(h.totalCount, 0);
    h.record(1500);
    h.record(2500);
    h.record(2500);
    assert.equal(h.totalCount, 3);
    h.reset();
    assert.equal(h.totalCount, 0);
    assert.deepEqual(latencySummaryMs(h), { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, min: 0 });
  });

  it("records values below 1 µs, negatives and NaN as 1 µs without throwing", () => {
    const h = createLatencyHistogram();
    for (const v of [0, 0.4, -5, Number.NaN, Number.NEGATIVE_INFINITY]) h.record(v);
    assert.equal(h.totalCount, 5);
    assert.deepEqual(latencySummaryMs(h), { p50: 0.001, p90: 0.001, p99: 0.001, p999: 0.001, max: 0.001, mean: 0.001, min: 0.001 });
  });

  it("clamps values above 1 h to the highest trackable value without throwing", () => {
    const h = createLatencyHistogram();
    h.record(1e12);
    h.record(Number.POSITIVE_INFINITY);
    h.record(3_600_000_000);
    assert.equal(h.totalCount, 3);
    const s = latencySummaryMs(h);
    assert.equal(s.max, TOP_BUCKET_HIGH_MS);
    assert.equal(s.p50, TOP_BUCKET_HIGH_MS);
    assert.equal(s.min, 3_598_712.832);
  });

  it("rounds fractional microseconds to the nearest whole one", () => {
    const h = createLatencyHistogram();
    h.record(1.6);
    h.record(2.4);
    const s = latencySummaryMs(h);
    assert.equal(s.min, 0.002);
    assert.equal(s.max, 0.002);
  });
});

describe("addHistogram", () => {
  it("adds every count of one histogram into another", () => {
    const a = createLatencyHistogram();
    const b = createLatencyHistogram();
    for (let i = 1; i <= 10; i++) a.record(i * 100);
    for (let i = 11; i <= 20; i++) b.record(i * 100);
    addHistogram(a, b);
    assert.equal(a.totalCount, 20);
    assert.equal(b.totalCount, 10);
    const s = latencySummaryMs(a);
    assert.equal(s.min, 0.1);
    assert.equal(s.max, 2); // below 2048 µs every value has its own bucket
    assert.equal(s.p50, 1);
  });

  it("refuses objects that only look like a LatencyHistogram", () => {
    const fake: LatencyHistogram = { record() {}, totalCount: 0, reset() {} };
    assert.throws(() => addHistogram(createLatencyHistogram(), fake), { name: "TypeError", message: /not a histogram made by @parallax\/metrics/ });
  });
});
