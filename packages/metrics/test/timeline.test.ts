import assert from "node:assert/strict";
import { it } from "node:test";
import { LatencyTimeline, createLatencyHistogram, decodeHistogram, formatIntervalLog, type LatencyHistogram, type LoggedInterval } from "../src/index.js";

function histogram(...micros: number[]): LatencyHistogram {
  const h = createLatencyHistogram();
  for (const v of micros) h.record(v);
  return h;
}

const count = (i: LoggedInterval) => ("encoded" in i.histogram ? decodeHistogram(i.histogram.encoded).totalCount : i.histogram.totalCount);

it("merges agents' deltas into the second their window ends in, and keeps old seconds encoded", () => {
  const timeline = new LatencyTimeline();
  timeline.add(1000, histogram(10, 20)); // agent a, second 0
  timeline.add(950, histogram(30)); // agent b, second 0
  timeline.add(1990, histogram(40)); // second 1
  for (let s = 2; s < 12; s++) timeline.add(s * 1000 + 10, histogram(s)); // seconds 2..11
  timeline.add(999, histogram(50)); // a straggler for second 0, long sealed
  timeline.add(12_000, createLatencyHistogram()); // an idle delta adds no interval
  const intervals = timeline.intervals();
  assert.deepEqual(
    intervals.map((i) => [i.startMs, count(i)]),
    [[0, 4], [1000, 1], ...Array.from({ length: 10 }, (_, k) => [(k + 2) * 1000, 1])],
  );
  assert.ok(intervals.every((i) => "encoded" in i.histogram));
  // The encoded form writes the same log line as the histogram it came from.
  const log = formatIntervalLog(intervals.slice(1, 2), { startTimeMs: 0 });
  assert.equal(log, formatIntervalLog([{ startMs: 1000, durationMs: 1000, histogram: histogram(40) }], { startTimeMs: 0 }));
});
