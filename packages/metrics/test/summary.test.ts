import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLatencyHistogram, latencySummaryMs, percentileDistribution, valueAtPercentileMs } from "../src/index.js";

/**
 * The 3-significant-digit bucket rule, written out independently of the library: sub-buckets hold 2048
 * (2^11) values, so below 2048 µs every value is its own bucket and above it a value v shares a bucket
 * 2^(floor(log2 v) - 10) µs wide. HdrHistogram reports a percentile as the highest value of its bucket.
 */
function highestEquivalentMicros(v: number): number {
  const width = 2 ** Math.max(0, Math.floor(Math.log2(v)) - 10);
  return Math.floor(v / width) * width + width - 1;
}

function uniformMs(n: number) {
  const h = createLatencyHistogram();
  for (let i = 1; i <= n; i++) h.record(i * 1000);
  return h;
}

describe("latencySummaryMs", () => {
  it("reports each percentile as the top of the bucket holding the exact rank", () => {
    const s = latencySummaryMs(uniformMs(1000));
    // Exact ranks 500, 900, 990, 999 and 1000 of 1..1000 ms.
    assert.equal(s.p50, highestEquivalentMicros(500_000) / 1000);
    assert.equal(s.p90, highestEquivalentMicros(900_000) / 1000);
    assert.equal(s.p99, highestEquivalentMicros(990_000) / 1000);
    assert.equal(s.p999, highestEquivalentMicros(999_000) / 1000);
    assert.equal(s.max, highestEquivalentMicros(1_000_000) / 1000);
    // The same figures as literals (and as the Java reference prints them for this data).
    assert.deepEqual(s, { p50: 500.223, p90: 900.095, p99: 990.207, p999: 999.423, max: 1000.447, mean: 500.505, min: 1 });
  });

  it("is exact where buckets are 1 µs wide", () => {
    const h = createLatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i);
    assert.deepEqual(latencySummaryMs(h), { p50: 0.5, p90: 0.9, p99: 0.99, p999: 0.999, max: 1, mean: 0.501, min: 0.001 });
  });

  it("is all zeros for an empty histogram", () => {
    assert.deepEqual(latencySummaryMs(createLatencyHistogram()), { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, min: 0 });
  });
});

describe("valueAtPercentileMs", () => {
  it("reads any percentile, with 0 at the bottom of the lowest bucket and 100 at the top of the highest", () => {
    const h = uniformMs(1000);
    assert.equal(valueAtPercentileMs(h, 0), 1);
    assert.equal(valueAtPercentileMs(h, 25), highestEquivalentMicros(250_000) / 1000);
    assert.equal(valueAtPercentileMs(h, 75), highestEquivalentMicros(750_000) / 1000);
    assert.equal(valueAtPercentileMs(h, 100), 1000.447);
    assert.equal(valueAtPercentileMs(createLatencyHistogram(), 50), 0);
  });

  it("rejects percentiles outside 0..100", () => {
    const h = uniformMs(10);
    for (const p of [-1, 100.5, Number.NaN]) {
      assert.throws(() => valueAtPercentileMs(h, p), { name: "RangeError", message: /percentile must be within 0\.\.100/ });
    }
  });
});

describe("percentileDistribution", () => {
  it("prints the classic .hgrm text in milliseconds", () => {
    const h = createLatencyHistogram();
    for (const ms of [1, 2, 3, 5]) h.record(ms * 1000);
    const expected = [
      "       Value     Percentile TotalCount 1/(1-Percentile)",
      "",
      "       1.000 0.000000000000          1           1.00",
      "       1.000 0.100000000000          1           1.11",
      "       1.000 0.200000000000          1           1.25",
      "       2.000 0.300000000000          2           1.43",
      "       2.000 0.400000000000          2           1.67",
      "       2.000 0.500000000000          2           2.00",
      "       3.001 0.550000000000          3           2.22",
      "       3.001 0.600000000000          3           2.50",
      "       3.001 0.650000000000          3           2.86",
      "       3.001 0.700000000000          3           3.33",
      "       3.001 0.750000000000          3           4.00",
      "       5.003 0.775000000000          4           4.44",
      "       5.003 1.000000000000          4",
      "#[Mean    =        2.751, StdDeviation   =        1.480]",
      "#[Max     =        5.000, Total count    =            4]",
      "#[Buckets =           22, SubBuckets     =         2048]",
      "",
    ].join("\n");
    assert.equal(percentileDistribution(h), expected);
  });

  it("prints only the header and footer for an empty histogram", () => {
    const text = percentileDistribution(createLatencyHistogram());
    assert.match(text, /^ {7}Value {5}Percentile TotalCount 1\/\(1-Percentile\)\n\n#\[Mean {4}= {8}0\.000, StdDeviation {3}= {8}0\.000\]\n/);
    assert.match(text, /Total count {4}= {12}0\]/);
  });
});
