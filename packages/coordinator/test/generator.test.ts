// When is the load generator, not the target, judged the bottleneck? Exact inputs, exact verdicts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLatencyHistogram } from "@parallax/metrics";
import { generatorHealth, type GeneratorProgress } from "../src/index.js";

/** A generator that made `dispatched` sends, `lateMs` holding the lag of each late one (the rest left on time). */
function progress(dispatched: number, lateMs: readonly number[], loopDelayMs: readonly number[] = []): GeneratorProgress {
  const lag = createLatencyHistogram();
  for (let i = 0; i < dispatched - lateMs.length; i++) lag.record(100);
  for (const ms of lateMs) lag.record(ms * 1000);
  const loopDelay = createLatencyHistogram();
  for (let i = 0; i < 200 - loopDelayMs.length; i++) loopDelay.record(500);
  for (const ms of loopDelayMs) loopDelay.record(ms * 1000);
  return { dispatched, lag, loopDelay, cpuMicros: 0, wallMs: 0, cpuPeak: 0 };
}

describe("generator health", () => {
  it("does not judge an isolated late send, even when it is 10 % of a short run, but still shows it", () => {
    const health = generatorHealth(progress(10, [40]), 1, 0);
    // 40 ms as HDR reports it: the highest value equivalent to 40,000 µs at 3 significant digits.
    assert.deepEqual([health.bottleneck, health.reasons, health.late, health.schedulerLagMs.max], [false, [], 1, 40.031]);
    assert.equal(generatorHealth(progress(1000, [40, 40]), 2, 0).bottleneck, false);
  });

  it("judges late sends that recur above 1 % of sends", () => {
    const health = generatorHealth(progress(100, [20, 30, 40]), 3, 0);
    assert.deepEqual([health.bottleneck, health.reasons], [true, ["3 of 100 sends left more than 10 ms late"]]);
    // 3 of 1000 is 0.3 %: a loaded host's noise, and p99 lag stays under 10 ms.
    assert.equal(generatorHealth(progress(1000, [20, 30, 40]), 3, 0).bottleneck, false);
  });

  it("judges an event loop delayed by more than 50 ms at p99", () => {
    const health = generatorHealth(progress(100, [], [80, 80, 80]), 0, 0);
    assert.deepEqual([health.bottleneck, health.reasons], [true, ["event-loop delay p99 80.063 ms"]]);
    assert.equal(generatorHealth(progress(100, [], [80]), 0, 0).bottleneck, false);
  });
});
