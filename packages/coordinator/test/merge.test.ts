import assert from "node:assert/strict";
import { it } from "node:test";
import { createTally } from "@parallax/diff";
import { IntervalHistogram, decodeHistogram } from "@parallax/metrics";
import type { Snapshot } from "@parallax/protocol";
import { SnapshotMerger } from "../src/index.js";

function snapshot(agentId: string, seq: number, latenciesMicros: number[], extra: Partial<Snapshot> = {}): Snapshot {
  const h = new IntervalHistogram();
  for (const v of latenciesMicros) h.record(v);
  const diff = createTally();
  diff.compared = latenciesMicros.length;
  diff.identical = latenciesMicros.length;
  return {
    runId: "r",
    agentId,
    epoch: 1,
    seq,
    final: false,
    done: (seq + 1) * latenciesMicros.length,
    planned: 100,
    targets: {
      candidate: { requests: latenciesMicros.length, responses: latenciesMicros.length, errors: 1, transportErrors: 0, errorKinds: {}, statusCodes: { "200": latenciesMicros.length - 1, "503": 1 }, histogram: h.takeDelta() },
    },
    diff,
    skipped: { "unsafe method POST not allowed on production": 2 },
    scheduler: { late: 1, maxLagMs: seq + 0.5 },
    ...extra,
  };
}

it("sums snapshots from several agents and merges histograms losslessly", () => {
  const merger = new SnapshotMerger("r", 1, { exemplars: 3 });
  assert.equal(merger.add(snapshot("a", 0, [1000, 2000])), true);
  assert.equal(merger.add(snapshot("b", 0, [3000])), true);
  assert.equal(merger.add(snapshot("a", 1, [4000, 5000, 6000], { final: true })), true);
  const candidate = merger.targets.get("candidate");
  assert.equal(candidate?.requests, 6);
  assert.equal(candidate?.latency.totalCount, 6);
  assert.deepEqual(candidate?.statusCodes, { "200": 3, "503": 3 });
  assert.equal(candidate?.errors, 3);
  assert.equal(merger.diff.compared, 6);
  assert.deepEqual(merger.skipped, { "unsafe method POST not allowed on production": 6 });
  const { generator, ...progress } = merger.agents.get("a") ?? assert.fail("agent a merged");
  assert.deepEqual(progress, { agentId: "a", done: 6, planned: 100, late: 2, maxLagMs: 1.5, snapshots: 2, lastSeq: 1, final: true });
  assert.equal(generator.dispatched, 0, "these snapshots predate lag reporting");
  assert.equal(merger.done, 7);
});

it("ignores redelivered snapshots and those of another run or epoch, so nothing counts twice", () => {
  const merger = new SnapshotMerger("r", 1, { exemplars: 3 });
  const s = snapshot("a", 0, [1000]);
  assert.equal(merger.add(s), true);
  assert.equal(merger.add(s), false);
  assert.equal(merger.add({ ...s, seq: 1, epoch: 2 }), false);
  assert.equal(merger.add({ ...s, seq: 1, runId: "other" }), false);
  assert.equal(merger.duplicates, 1);
  assert.equal(merger.targets.get("candidate")?.requests, 1);
});

it("changes nothing when a snapshot cannot be decoded, and knows when an agent's snapshots are complete", () => {
  const merger = new SnapshotMerger("r", 1, { exemplars: 3 });
  const bad = snapshot("a", 0, [1000]);
  const broken: Snapshot = { ...bad, targets: { ...bad.targets, production: { ...(bad.targets.candidate as NonNullable<Snapshot["targets"]["candidate"]>), histogram: "not-a-histogram" } } };
  assert.throws(() => merger.add(broken));
  assert.equal(merger.targets.size, 0);
  assert.equal(merger.add(bad), true, "the same seq, well formed, is still accepted");
  assert.equal(merger.complete("a"), false);
  merger.add(snapshot("a", 2, [1], { final: true }));
  assert.equal(merger.complete("a"), false, "seq 1 is missing");
  merger.add(snapshot("a", 1, [1]));
  assert.equal(merger.complete("a"), true);
});

it("merges service time, capacity steps, the per-second timeline and generator health exactly", () => {
  const encoded = (values: number[]) => {
    const h = new IntervalHistogram();
    for (const v of values) h.record(v);
    return h.takeDelta();
  };
  const merger = new SnapshotMerger("r", 1, { exemplars: 3 });
  const step = (requests: number, latencies: number[], completed: number) => ({
    requests,
    responses: latencies.length,
    errors: 0,
    completed,
    latencySumMicros: latencies.reduce((a, b) => a + b, 0),
    histogram: encoded(latencies),
  });
  const base = snapshot("a", 0, [1000, 2000]);
  merger.add({
    ...base,
    targets: { candidate: { ...(base.targets.candidate as NonNullable<Snapshot["targets"]["candidate"]>), service: encoded([500, 600]) } },
    window: { fromMs: 0, toMs: 1000 },
    phases: { "0": { candidate: step(3, [1000, 2000], 2) } },
    scheduler: { late: 0, maxLagMs: 0.2, dispatched: 2, lag: encoded([100, 200]) },
    generator: { eventLoopDelay: encoded([50]), cpuMicros: 500_000, wallMs: 1000 },
  });
  merger.add({
    ...snapshot("b", 0, [3000]),
    window: { fromMs: 0, toMs: 1900 },
    phases: { "0": { candidate: step(1, [], 0) }, "1": { candidate: step(2, [3000], 1) } },
    generator: { eventLoopDelay: encoded([70]), cpuMicros: 900_000, wallMs: 1000 },
  });
  const candidate = merger.targets.get("candidate");
  assert.equal(candidate?.service.totalCount, 2, "only agent a reported service times");
  assert.deepEqual(
    candidate?.timeline.intervals().map((i) => [i.startMs, "encoded" in i.histogram ? decodeHistogram(i.histogram.encoded).totalCount : i.histogram.totalCount]),
    [
      [0, 2],
      [1000, 1],
    ],
  );
  const phase0 = merger.phases.get(0)?.get("candidate");
  assert.deepEqual({ ...phase0, latency: phase0?.latency.totalCount }, { requests: 4, responses: 2, errors: 0, completed: 2, latencySumMicros: 3000, latency: 2 });
  assert.equal(merger.phases.get(1)?.get("candidate")?.completed, 1);
  const a = merger.agents.get("a")?.generator;
  assert.equal(a?.dispatched, 2);
  assert.equal(a?.lag.totalCount, 2);
  assert.equal(a?.cpuPeak, 0.5);
  assert.equal(merger.agents.get("b")?.generator.cpuPeak, 0.9);
});
