import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Fraction } from "@parallax/protocol";
import { formatSegment, segmentIndices, segmentSize, splitEvenly, type Segment } from "../src/index.js";

function assertPartition(segments: readonly Segment[], total: number): void {
  const owner = new Array<number>(total).fill(-1);
  let sizes = 0;
  segments.forEach((segment, k) => {
    const indices = [...segmentIndices(segment, total)];
    assert.equal(indices.length, segmentSize(segment, total), `size of ${formatSegment(segment)} in ${total}`);
    for (let j = 1; j < indices.length; j++) assert.ok((indices[j] ?? 0) > (indices[j - 1] ?? 0), "ascending");
    for (const i of indices) {
      assert.ok(i >= 0 && i < total, `index ${i} in range`);
      assert.equal(owner[i], -1, `item ${i} claimed by ${formatSegment(segment)} and segment ${owner[i]}`);
      owner[i] = k;
    }
    sizes += indices.length;
  });
  assert.equal(sizes, total);
  assert.equal(owner.indexOf(-1), -1, "every item has an owner");
}

const seg = (from: Fraction, to: Fraction): Segment => ({ from, to });

describe("splitEvenly", () => {
  it("writes fractions in lowest terms", () => {
    assert.deepEqual(splitEvenly(1), [seg([0, 1], [1, 1])]);
    assert.deepEqual(splitEvenly(4).map(formatSegment), ["0:1/4", "1/4:1/2", "1/2:3/4", "3/4:1"]);
    assert.equal(formatSegment(splitEvenly(3)[1] ?? seg([0, 1], [1, 1])), "1/3:2/3");
    assert.throws(() => splitEvenly(0), RangeError);
    assert.throws(() => splitEvenly(1.5), RangeError);
  });

  it("partitions the sequence exactly, for many agent counts and totals", () => {
    for (let n = 1; n <= 13; n++) {
      for (const total of [0, 1, n - 1, n, n + 1, 2 * n + 3, 97, 360, 1001]) {
        assertPartition(splitEvenly(n), total);
      }
    }
  });

  it("stripes: with three agents agent k sends the items i ≡ k (mod 3)", () => {
    splitEvenly(3).forEach((segment, k) => {
      assert.deepEqual([...segmentIndices(segment, 10)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((i) => i % 3 === k));
    });
  });

  it("gives every agent its share of every period, not one time slice", () => {
    for (const segment of splitEvenly(6)) {
      const indices = [...segmentIndices(segment, 60)];
      for (let window = 0; window < 60; window += 6) {
        assert.equal(indices.filter((i) => i >= window && i < window + 6).length, 1, `${formatSegment(segment)} in window ${window}`);
      }
    }
  });
});

describe("explicit segments", () => {
  it("partition when uneven and written in lowest terms", () => {
    const split = [seg([0, 1], [1, 2]), seg([1, 2], [3, 4]), seg([3, 4], [1, 1])];
    for (const total of [0, 1, 2, 3, 4, 5, 7, 100, 1003]) assertPartition(split, total);
    assert.deepEqual(split.map((s) => segmentSize(s, 8)), [4, 2, 2]);
  });

  it("partition when written over one common denominator", () => {
    const split = [seg([0, 6], [2, 6]), seg([2, 6], [3, 6]), seg([3, 6], [6, 6])];
    for (const total of [0, 5, 6, 11, 600, 601]) assertPartition(split, total);
    assert.deepEqual(split.map((s) => segmentSize(s, 600)), [200, 100, 300]);
  });

  it("are the same items whatever multiple of the denominator they are written with", () => {
    assert.deepEqual([...segmentIndices(seg([0, 4], [2, 4]), 40)], [...segmentIndices(seg([0, 1], [1, 2]), 40)]);
    assert.deepEqual([...segmentIndices(seg([3, 6], [6, 6]), 40)], [...segmentIndices(seg([1, 2], [1, 1]), 40)]);
  });

  it("count exactly without iterating the sequence", () => {
    assert.equal(segmentSize(seg([0, 1], [1, 3]), 1e12), 333_333_333_334);
    assert.equal(segmentSize(seg([2, 3], [1, 1]), 1e12 + 2), 333_333_333_334);
  });

  it("refuse malformed bounds", () => {
    assert.throws(() => segmentSize(seg([1, 2], [1, 2]), 10), RangeError);
    assert.throws(() => segmentSize(seg([1, 2], [1, 3]), 10), RangeError);
    assert.throws(() => segmentSize(seg([0, 1], [3, 2]), 10), RangeError);
    assert.throws(() => segmentSize(seg([0, 0], [1, 1]), 10), RangeError);
    assert.throws(() => segmentSize(seg([0, 1], [1, 1]), -1), RangeError);
    assert.throws(() => segmentIndices(seg([1, 2], [1, 4]), 10), RangeError);
  });
});
