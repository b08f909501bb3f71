import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeReservoirs, reservoirSlot } from "../src/index.js";
import { seeded } from "./fixtures.js";

function scripted(values: number[]): () => number {
  let i = 0;
  return () => {
    const v = values[i++];
    if (v === undefined) throw new Error("script exhausted");
    return v;
  };
}

test("Algorithm R: fill first, then keep offer n with probability size/n", () => {
  const never = (): number => {
    throw new Error("random must not be drawn while the reservoir fills");
  };
  assert.equal(reservoirSlot(0, 1, 3, never), 0);
  assert.equal(reservoirSlot(2, 3, 3, never), 2);
  // seen = 10: floor(0.25·10) = 2 < 3 → slot 2; floor(0.3·10) = 3 → rejected
  assert.equal(reservoirSlot(3, 10, 3, scripted([0.25])), 2);
  assert.equal(reservoirSlot(3, 10, 3, scripted([0.3])), -1);
  assert.equal(reservoirSlot(0, 1, 0, scripted([0])), -1, "a reservoir of size 0 keeps nothing");
});

test("Algorithm R keeps each offer with equal probability", () => {
  const random = seeded(7);
  const kept = new Array<number>(20).fill(0);
  for (let run = 0; run < 20_000; run++) {
    const sample: number[] = [];
    for (let seen = 1; seen <= 20; seen++) {
      const slot = reservoirSlot(sample.length, seen, 4, random);
      if (slot >= 0) sample[slot] = seen - 1;
    }
    assert.equal(sample.length, 4);
    for (const item of sample) kept[item] = (kept[item] ?? 0) + 1;
  }
  // Expected 20000·4/20 = 4000 each; seeded, so this is deterministic, the band is for the law.
  for (const count of kept) assert.ok(count > 3700 && count < 4300, String(count));
});

test("merge never exceeds the size and draws sides by weight", () => {
  const random = seeded(3);
  let fromA = 0;
  for (let run = 0; run < 10_000; run++) {
    const merged = mergeReservoirs(["a1", "a2", "a3", "a4"], 300, ["b1", "b2", "b3", "b4"], 100, 4, random);
    assert.equal(merged.length, 4);
    assert.equal(new Set(merged).size, 4, "drawn without replacement");
    fromA += merged.filter((x) => x.startsWith("a")).length;
  }
  // Expected share of A: 300 / 400 = 0.75 of 40000 draws.
  assert.ok(fromA > 29_400 && fromA < 30_600, String(fromA));
});

test("merge of short samples keeps everything up to the size", () => {
  const random = seeded(5);
  assert.deepEqual(mergeReservoirs([1], 1, [2], 1, 5, random).sort(), [1, 2]);
  assert.deepEqual(mergeReservoirs([], 0, [], 0, 5, random), []);
  assert.equal(mergeReservoirs([1, 2, 3], 3, [4, 5, 6], 3, 2, random).length, 2);
  // Side A is drawn but has nothing kept: the draw goes to B.
  assert.deepEqual(mergeReservoirs([], 1000, [9], 1, 1, scripted([0, 0])), [9]);
});
