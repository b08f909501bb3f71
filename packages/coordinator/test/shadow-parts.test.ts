// The shadow coordinator's small parts: counted ids, the window rule, threshold state changes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ShadowThresholdEvent, ThresholdResult } from "@parallax/protocol";
import { CountedIds, ThresholdStates, Windows, countedRetentionMs } from "../src/index.js";
import { dropOldestButLatest } from "../src/shadow/thresholds.js";
import { complete, enlistment, markMerged, merged, transition } from "../src/shadow/enlistment.js";

describe("CountedIds", () => {
  it("keeps an id at least the retention and at most one slice longer, then forgets it", () => {
    const counted = new CountedIds(8000, 8);
    assert.equal(counted.add("a", 0), true);
    assert.equal(counted.add("a", 10), false, "a recount");
    assert.equal(counted.add("b", 999), true);
    assert.equal(counted.add("c", 1000), true, "a new slice");
    counted.prune(8999);
    assert.deepEqual([counted.has("a"), counted.has("b"), counted.has("c")], [true, true, true], "nothing older than 8 s yet");
    counted.prune(9000);
    assert.deepEqual([counted.has("a"), counted.has("b"), counted.has("c")], [false, false, true], "the first slice (0..1 s) is past 8 s");
    assert.equal(counted.size, 1);
    counted.prune(10_000);
    assert.equal(counted.has("c"), false);
    assert.equal(counted.size, 0);
  });

  it("stays bounded by what the retention holds", () => {
    const counted = new CountedIds(1000, 4);
    for (let t = 0; t < 100_000; t += 10) counted.add(`id-${t}`, t);
    // 100 ids a second, kept 1 to 1.25 s.
    assert.ok(counted.size >= 100 && counted.size <= 126, String(counted.size));
    assert.equal(counted.has("id-99990"), true);
    assert.equal(counted.has("id-98000"), false);
  });

  it("keeps ids ten ack waits, and at least two windows", () => {
    assert.equal(countedRetentionMs(30_000, 60_000), 300_000);
    assert.equal(countedRetentionMs(1000, 60_000), 120_000);
  });
});

describe("Windows", () => {
  const make = () => new Windows<{ n: number }>(1_000_000, 60_000, 2000, () => ({ n: 0 }));

  it("places a snapshot by where its interval ended, never later than its arrival", () => {
    const w = make();
    assert.equal(w.indexAt(999_000), 0, "before the origin: the first window");
    assert.equal(w.place(1_000_500, 1_001_000).slot.index, 0);
    assert.equal(w.place(1_059_999, 1_061_000).slot.index, 0, "arrived in window 1, ended in window 0");
    assert.equal(w.place(1_130_000, 1_061_000).slot.index, 1, "an interval ending in the future counts at its arrival");
    assert.equal(w.place(undefined, 1_061_000).slot.index, 1, "no interval: its arrival");
    const slot = w.place(1_000_500, 1_001_000).slot;
    assert.deepEqual([slot.fromMs, slot.toMs], [1_000_000, 1_060_000]);
  });

  it("closes a window settleMs after its end, empty ones too, and sends late snapshots to the oldest open window", () => {
    const w = make();
    w.place(1_010_000, 1_010_000).slot.contents.n++;
    assert.deepEqual(w.takeDue(1_061_999), []);
    const due = w.takeDue(1_062_000);
    assert.deepEqual(due.map((s) => [s.index, s.contents.n]), [[0, 1]]);
    const late = w.place(1_050_000, 1_062_500);
    assert.deepEqual([late.slot.index, late.late], [1, true]);
    assert.deepEqual(w.takeDue(1_241_999).map((s) => s.index), [1, 2], "window 3 ends at 1 240 000 and settles at 1 242 000");
    assert.deepEqual(w.place(1_200_000, 1_241_999), { slot: w.place(1_239_999, 1_241_999).slot, late: false });
    assert.equal(w.place(1_200_000, 1_241_999).slot.index, 3);
  });

  it("once stopping, puts everything in the window open at the stop, which is closed last", () => {
    const w = make();
    w.stop(1_070_000);
    assert.equal(w.stopping, true);
    assert.equal(w.place(1_190_000, 1_190_000).slot.index, 1, "after the stop, everything goes to the stop window");
    assert.deepEqual(w.takeDue(1_300_000).map((s) => s.index), [0], "the stop window is never due");
    assert.deepEqual(w.takeRest().map((s) => s.index), [1]);
  });
});

describe("ThresholdStates", () => {
  const t = (expression: string, pass: boolean, observed: number | null, reason?: string): ThresholdResult => ({
    expression,
    observed,
    limit: 0.1,
    pass,
    dimension: "ratio",
    ...(reason === undefined ? {} : { reason }),
  });

  it("emits the first state, then only changes; a window that could not evaluate a threshold changes nothing", () => {
    const states = new ThresholdStates();
    assert.deepEqual(
      states.update([t("diff.rate < 10%", true, 0.01), t("candidate.p99 < 1s", false, 1.5)], "w0", "at0").map((e) => [e.expression, e.state, e.window, e.at]),
      [
        ["diff.rate < 10%", "pass", "w0", "at0"],
        ["candidate.p99 < 1s", "fail", "w0", "at0"],
      ],
    );
    assert.deepEqual(states.update([t("diff.rate < 10%", true, 0.02), t("candidate.p99 < 1s", false, 1.2)], "w1", "at1"), []);
    assert.deepEqual(states.update([t("diff.rate < 10%", false, null, "nothing compared"), t("candidate.p99 < 1s", false, null, "no responses")], "w2", "at2"), []);
    assert.deepEqual(
      states.update([t("diff.rate < 10%", false, 0.5), t("candidate.p99 < 1s", true, 0.5)], "w3", "at3").map((e) => [e.expression, e.state, e.observed, e.limit]),
      [
        ["diff.rate < 10%", "fail", 0.5, 0.1],
        ["candidate.p99 < 1s", "pass", 0.5, 0.1],
      ],
    );
  });

  it("tells thresholds of the same expression at different endpoints apart", () => {
    const states = new ThresholdStates();
    const scoped = (endpoint: string, pass: boolean): ThresholdResult => ({ expression: "candidate.errors < 1", endpoint, observed: pass ? 0 : 3, limit: 1, pass, dimension: "count" });
    states.update([scoped("GET /a", true), scoped("GET /b", true)], "w0", "at0");
    assert.deepEqual(states.update([scoped("GET /a", true), scoped("GET /b", false)], "w1", "at1").map((e) => [e.endpoint, e.state]), [["GET /b", "fail"]]);
  });
});

describe("enlistment", () => {
  it("recognises a redelivered snapshot in memory bounded by how far they arrive out of order", () => {
    const e = enlistment("a1", "a1", 7);
    assert.equal(e.key, "a1#7");
    markMerged(e, 0, false, 1);
    markMerged(e, 2, true, 2);
    assert.deepEqual([merged(e, 0), merged(e, 1), merged(e, 2)], [true, false, true]);
    assert.equal(complete(e), false, "seq 1 is missing");
    markMerged(e, 1, false, 3);
    assert.deepEqual([e.through, e.ahead.size, e.snapshots, complete(e)], [2, 0, 3, true]);
  });

  it("changes state only along its transitions", () => {
    const e = enlistment("a1", "a1", 7);
    transition(e, "running");
    assert.throws(() => transition(e, "preparing"), /illegal transition running → preparing/);
    transition(e, "lost");
    assert.throws(() => transition(e, "finished"), /illegal transition lost → finished/);
  });
});

describe("dropOldestButLatest", () => {
  const event = (expression: string, window: number, state: "pass" | "fail"): ShadowThresholdEvent => ({ at: `t${window}`, window: `w${window}`, expression, state, observed: null, limit: null });

  it("keeps a steadily failing threshold's only event while another flips every window", () => {
    const events = [event("steady < 1", 0, "fail")];
    for (let w = 1; w <= 10; w++) events.push(event("flappy < 1", w, w % 2 ? "fail" : "pass"));
    assert.equal(dropOldestButLatest(events, 4), 7);
    assert.deepEqual(events.map((e) => `${e.expression}@${e.window}`), ["steady < 1@w0", "flappy < 1@w8", "flappy < 1@w9", "flappy < 1@w10"]);
  });

  it("drops nothing within the limit, and never a latest event even past it", () => {
    const events = [event("a", 0, "fail"), event("b", 1, "fail"), event("c", 2, "pass")];
    assert.equal(dropOldestButLatest(events, 5), 0);
    assert.equal(dropOldestButLatest(events, 1), 0, "each is its threshold's latest");
    assert.equal(events.length, 3);
  });
});

