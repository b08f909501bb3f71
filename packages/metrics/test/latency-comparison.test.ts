import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareLatency, createLatencyHistogram, minSamplesFor, valueAtPercentileMs, type LatencyHistogram, type QuantileComparison } from "../src/index.js";

/** mulberry32: the tests' own seeded generator, independent of the one under test. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 2 ** 32;
  };
}

/** Lognormal latencies in µs with the given median (ms) and log-scale spread. */
function lognormalMicros(seed: number, n: number, medianMs: number, sigma: number): number[] {
  const uniform = mulberry32(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    out.push(medianMs * 1000 * Math.exp(sigma * z));
  }
  return out;
}

function histogramOf(micros: readonly number[], into: LatencyHistogram = createLatencyHistogram()): LatencyHistogram {
  into.reset();
  for (const v of micros) into.record(v);
  return into;
}

function byQuantile(quantiles: readonly QuantileComparison[], q: QuantileComparison["quantile"]): QuantileComparison {
  const found = quantiles.find((x) => x.quantile === q);
  assert.ok(found, `no ${q} in the result`);
  return found;
}

const Z = { p50: 0, p90: 1.2815515655446004, p99: 2.3263478740408408 } as const;

describe("compareLatency", () => {
  it("finds nothing between histograms of the same values", () => {
    const values = lognormalMicros(1, 3000, 40, 0.4);
    const result = compareLatency(histogramOf(values), histogramOf(values));
    assert.ok(result);
    assert.deepEqual(result.n, { production: 3000, candidate: 3000 });
    assert.deepEqual(
      result.quantiles.map((q) => q.quantile),
      ["p50", "p90", "p99"],
    );
    for (const q of result.quantiles) {
      assert.equal(q.deltaMs, 0, q.quantile);
      assert.equal(q.relative, 0, q.quantile);
      assert.equal(q.productionMs, q.candidateMs);
      assert.ok(q.intervalMs[0] < 0 && q.intervalMs[1] > 0, `${q.quantile} interval ${q.intervalMs.join("..")} contains 0 strictly`);
      assert.equal(q.significant, false);
      assert.equal(q.regression, false);
      assert.equal(q.improvement, false);
    }
    assert.equal(result.regression, false);
  });

  it("reports the same point estimates as valueAtPercentileMs, and the defaults", () => {
    const production = histogramOf(lognormalMicros(2, 1001, 30, 0.6));
    const candidate = histogramOf(lognormalMicros(3, 777, 31, 0.6));
    const result = compareLatency(production, candidate);
    assert.ok(result);
    for (const [q, p] of [["p50", 50], ["p90", 90], ["p99", 99]] as const) {
      const c = byQuantile(result.quantiles, q);
      assert.equal(c.productionMs, valueAtPercentileMs(production, p));
      assert.equal(c.candidateMs, valueAtPercentileMs(candidate, p));
      assert.equal(c.deltaMs, Math.round((c.candidateMs - c.productionMs) * 1000) / 1000);
      assert.ok(c.intervalMs[0] <= c.intervalMs[1]);
      for (const x of [c.productionMs, c.candidateMs, c.deltaMs, ...c.intervalMs]) assert.equal(Math.round(x * 1000) / 1000, x, "µs resolution");
    }
    assert.deepEqual(result.n, { production: 1001, candidate: 777 });
    assert.equal(result.confidence, 0.95);
    assert.deepEqual(result.minEffect, { relative: 0.1, absoluteMs: 2 });
    assert.equal(result.method, "bootstrap over the histograms (2000 replicates, Beta order statistics), 95 % percentile interval");
  });

  it("is deterministic for a seed, and the seed matters", () => {
    const production = histogramOf(lognormalMicros(4, 500, 20, 0.5));
    const candidate = histogramOf(lognormalMicros(5, 500, 20, 0.5));
    const a = compareLatency(production, candidate, { seed: 7 });
    assert.deepEqual(compareLatency(production, candidate, { seed: 7 }), a);
    assert.notDeepEqual(compareLatency(production, candidate, { seed: 8 }), a);
    // A quantile's interval does not depend on which other quantiles were asked for.
    const p90 = compareLatency(production, candidate, { seed: 7, quantiles: ["p90"] });
    assert.ok(a && p90);
    assert.deepEqual(p90.quantiles, [byQuantile(a.quantiles, "p90")]);
  });

  it("flags a 20 % slowdown at p50 and p90, with an interval around the true delta", () => {
    const values = lognormalMicros(6, 5000, 50, 0.3);
    const result = compareLatency(histogramOf(values), histogramOf(values.map((v) => v * 1.2)));
    assert.ok(result);
    assert.equal(result.regression, true);
    for (const q of ["p50", "p90"] as const) {
      const c = byQuantile(result.quantiles, q);
      // The samples' true delta is 20 % of production's quantile (give or take a 0.1 % bucket).
      const truth = 0.2 * c.productionMs;
      assert.ok(Math.abs((c.relative ?? 0) - 0.2) < 0.003, `${q} relative ${c.relative}`);
      assert.ok(c.intervalMs[0] > 0, `${q} interval ${c.intervalMs.join("..")} excludes 0`);
      assert.ok(c.intervalMs[0] <= truth && truth <= c.intervalMs[1], `${q} interval ${c.intervalMs.join("..")} contains ${truth}`);
      assert.equal(c.significant, true);
      assert.equal(c.regression, true);
      assert.equal(c.improvement, false);
    }
  });

  it("brackets the population's delta for independent samples of a 20 % slower distribution", () => {
    const result = compareLatency(
      histogramOf(lognormalMicros(7, 5000, 50, 0.3)),
      histogramOf(lognormalMicros(8, 5000, 50, 0.3).map((v) => v * 1.2)),
    );
    assert.ok(result);
    for (const q of ["p50", "p90"] as const) {
      const c = byQuantile(result.quantiles, q);
      const truth = 0.2 * 50 * Math.exp(0.3 * Z[q]);
      assert.ok(c.intervalMs[0] > 0 && c.intervalMs[0] <= truth && truth <= c.intervalMs[1], `${q} interval ${c.intervalMs.join("..")} vs ${truth}`);
      assert.equal(c.regression, true, q);
    }
  });

  it("flags a 20 % speed-up as an improvement, not a regression", () => {
    const values = lognormalMicros(9, 5000, 50, 0.3);
    const result = compareLatency(histogramOf(values), histogramOf(values.map((v) => v * 0.8)));
    assert.ok(result);
    assert.equal(result.regression, false);
    for (const c of result.quantiles.filter((x) => x.quantile !== "p99")) {
      assert.ok(c.intervalMs[1] < 0, `${c.quantile} interval ${c.intervalMs.join("..")}`);
      assert.equal(c.improvement, true, c.quantile);
      assert.equal(c.regression, false, c.quantile);
    }
  });

  it("does not call a significant 0.5 ms slowdown at 1 ms a regression: it is below the 2 ms floor", () => {
    const uniform = mulberry32(10);
    const values = Array.from({ length: 2000 }, () => 900 + 200 * uniform());
    const production = histogramOf(values);
    const candidate = histogramOf(values.map((v) => v + 500));
    const result = compareLatency(production, candidate);
    assert.ok(result);
    for (const c of result.quantiles) {
      assert.ok(Math.abs(c.deltaMs - 0.5) <= 0.002, `${c.quantile} delta ${c.deltaMs}`);
      assert.ok((c.relative ?? 0) > 0.4, `${c.quantile} relative ${c.relative}`);
      assert.equal(c.significant, true, c.quantile);
      assert.equal(c.regression, false, c.quantile);
    }
    assert.equal(result.regression, false);
    // The floor is what holds it back: lowered below the delta, every quantile regresses.
    const lowered = compareLatency(production, candidate, { minEffect: { absoluteMs: 0.1 } });
    assert.ok(lowered);
    assert.deepEqual(lowered.minEffect, { relative: 0.1, absoluteMs: 0.1 });
    assert.deepEqual(
      lowered.quantiles.map((c) => c.regression),
      [true, true, true],
    );
    // So is the relative floor.
    const relative = compareLatency(production, candidate, { minEffect: { absoluteMs: 0.1, relative: 0.6 } });
    assert.equal(relative?.regression, false);
  });

  it("finds no regression between two samples of the same distribution", () => {
    let significant = 0;
    for (let seed = 100; seed < 110; seed++) {
      const result = compareLatency(histogramOf(lognormalMicros(seed, 2000, 50, 0.3)), histogramOf(lognormalMicros(seed + 1000, 2000, 50, 0.3)), { seed });
      assert.ok(result);
      for (const c of result.quantiles) {
        assert.equal(c.regression, false, `seed ${seed} ${c.quantile}: ${JSON.stringify(c)}`);
        assert.equal(c.improvement, false, `seed ${seed} ${c.quantile}: ${JSON.stringify(c)}`);
        if (c.significant) significant++;
      }
      assert.equal(result.regression, false);
    }
    // Without the floors, about 5 % of the 30 intervals would exclude 0 by chance; far more means miscalibration.
    assert.ok(significant <= 5, `${significant} of 30 intervals excluded 0`);
  });

  it("covers the true p50 delta (0) in about 95 % of trials", () => {
    const trials = 200;
    const production = createLatencyHistogram();
    const candidate = createLatencyHistogram();
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      histogramOf(lognormalMicros(2 * t + 1, 500, 20, 0.5), production);
      histogramOf(lognormalMicros(2 * t + 2, 500, 20, 0.5), candidate);
      const result = compareLatency(production, candidate, { quantiles: ["p50"], seed: t });
      assert.ok(result);
      const [low, high] = result.quantiles[0]?.intervalMs ?? [NaN, NaN];
      if (low <= 0 && 0 <= high) covered++;
    }
    assert.ok(covered >= 180 && covered <= 198, `covered ${covered} of ${trials}`);
  });

  it("is undefined when either side has no responses", () => {
    const full = histogramOf([1000, 2000, 3000]);
    assert.equal(compareLatency(createLatencyHistogram(), full), undefined);
    assert.equal(compareLatency(full, createLatencyHistogram()), undefined);
    assert.equal(compareLatency(createLatencyHistogram(), createLatencyHistogram()), undefined);
  });

  it("gives a zero-width interval for a single repeated value", () => {
    const result = compareLatency(histogramOf([5000, 5000, 5000]), histogramOf([5000]));
    assert.ok(result);
    for (const c of result.quantiles) {
      assert.deepEqual(c.intervalMs, [0, 0]);
      assert.equal(c.significant, false);
    }
  });

  it("flags nothing from too few samples: one or two calls a side say nothing about a quantile", () => {
    // One sample each: the bootstrap's interval is the single point 20 ms, which excludes 0.
    const one = compareLatency(histogramOf([10_000]), histogramOf([30_000]));
    assert.ok(one);
    const [low, high] = byQuantile(one.quantiles, "p50").intervalMs;
    assert.ok(low === high && Math.abs(low - 20) < 0.1, `interval [${low}, ${high}]`);
    assert.equal(one.regression, false);
    assert.ok(one.quantiles.every((q) => !q.significant));
    // p50 needs 6 a side at 95 %: with 6 the same 3x slowdown is flagged at p50, not at p90 (36) or p99 (368).
    const six = compareLatency(histogramOf(Array(6).fill(10_000)), histogramOf(Array(6).fill(30_000)));
    assert.ok(six);
    assert.deepEqual(
      six.quantiles.map((q) => [q.quantile, q.regression]),
      [["p50", true], ["p90", false], ["p99", false]],
    );
    assert.deepEqual([minSamplesFor(0.5, 0.05), minSamplesFor(0.9, 0.05), minSamplesFor(0.99, 0.05)], [6, 36, 368]);
  });

  it("rejects invalid options with a RangeError naming each", () => {
    const h = histogramOf([1000]);
    for (const confidence of [0, 1, 1.5, -0.1, NaN]) {
      assert.throws(() => compareLatency(h, h, { confidence }), {
        name: "RangeError",
        message: `invalid latency comparison options: confidence must be within (0, 1) exclusive, e.g. 0.95, got ${confidence}`,
      });
    }
    // Checked before the histograms, so an empty side does not hide a bad option.
    assert.throws(() => compareLatency(createLatencyHistogram(), h, { confidence: 95 }), RangeError);
    assert.throws(
      () =>
        compareLatency(h, h, {
          minEffect: { relative: -1, absoluteMs: Infinity },
          replicates: 10.5,
          seed: 1.5,
          quantiles: ["p50", "p50", "p75" as "p50"],
        }),
      (error: unknown) => {
        assert.ok(error instanceof RangeError);
        for (const name of ["minEffect.relative", "minEffect.absoluteMs", "replicates", "seed", "quantiles[1] repeats p50", "quantiles[2]"]) {
          assert.ok(error.message.includes(name), `${error.message} names ${name}`);
        }
        return true;
      },
    );
    assert.throws(() => compareLatency(h, h, { quantiles: [] }), /quantiles must name at least one/);
  });
});
