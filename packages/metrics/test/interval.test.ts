import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  IntervalHistogram,
  addHistogram,
  createLatencyHistogram,
  decodeHistogram,
  emptyHistogramEncoded,
  encodeHistogram,
  latencySummaryMs,
  valueAtPercentileMs,
} from "../src/index.js";

/** Deterministic latencies spread over six decades (1 µs .. ~2 s), so many buckets of many widths are hit. */
function* latencies(n: number): Generator<number> {
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield Math.floor(10 ** ((x / 2 ** 31) * 6.3));
  }
}

describe("IntervalHistogram", () => {
  it("ships only what was recorded since the last delta, then starts empty", () => {
    const interval = new IntervalHistogram();
    // Below 2048 µs every value has its own bucket, so min and max are exact.
    for (const v of [100, 200, 300]) interval.record(v);
    assert.equal(interval.count, 3);
    const first = decodeHistogram(interval.takeDelta());
    assert.equal(interval.count, 0);
    interval.record(500);
    interval.record(700);
    const second = decodeHistogram(interval.takeDelta());
    assert.equal(first.totalCount, 3);
    assert.deepEqual([latencySummaryMs(first).min, latencySummaryMs(first).max], [0.1, 0.3]);
    assert.equal(second.totalCount, 2);
    assert.deepEqual([latencySummaryMs(second).min, latencySummaryMs(second).max], [0.5, 0.7]);
    assert.equal(interval.takeDelta(), emptyHistogramEncoded());
  });

  it("clamps like LatencyHistogram and never throws on record", () => {
    const interval = new IntervalHistogram();
    interval.record(-1);
    interval.record(1e15);
    const d = decodeHistogram(interval.takeDelta());
    assert.deepEqual([latencySummaryMs(d).min, latencySummaryMs(d).max], [0.001, 3_600_809.983]);
  });

  it("merged decoded deltas equal recording everything in one histogram", () => {
    const interval = new IntervalHistogram();
    const whole = createLatencyHistogram();
    const merged = createLatencyHistogram();
    let n = 0;
    for (const v of latencies(20_000)) {
      interval.record(v);
      whole.record(v);
      // Irregular interval lengths, as real seconds would have.
      if (++n % 1_777 === 0) addHistogram(merged, decodeHistogram(interval.takeDelta()));
    }
    addHistogram(merged, decodeHistogram(interval.takeDelta()));
    assert.equal(merged.totalCount, 20_000);
    assert.deepEqual(latencySummaryMs(merged), latencySummaryMs(whole));
    for (let p = 0; p <= 100; p += 0.5) assert.equal(valueAtPercentileMs(merged, p), valueAtPercentileMs(whole, p), `p${p}`);
    for (const p of [99.9, 99.99, 99.999]) assert.equal(valueAtPercentileMs(merged, p), valueAtPercentileMs(whole, p), `p${p}`);
    // Bucket for bucket identical: the encodings match byte for byte.
    assert.equal(encodeHistogram(merged), encodeHistogram(whole));
  });
});
