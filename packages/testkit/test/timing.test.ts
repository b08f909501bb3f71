import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { it } from "node:test";
import { afterAtLeast, atOrAfter } from "../src/timing.js";

it("never runs before the due instant, whatever the timers do", async () => {
  const early: number[] = [];
  await Promise.all(
    Array.from({ length: 200 }, (_, i) => {
      const due = performance.now() + (i % 20) + 0.5;
      return new Promise<void>((resolve) =>
        atOrAfter(due, () => {
          if (performance.now() < due) early.push(i);
          resolve();
        }),
      );
    }),
  );
  assert.deepEqual(early, []);
  const start = performance.now();
  await new Promise<void>((resolve) => afterAtLeast(5, resolve));
  assert.ok(performance.now() - start >= 5);
});

it("runs a due instant already past soon, never before returning, and never after a cancel", async () => {
  let ran = 0;
  const cancelPast = atOrAfter(performance.now() - 1, () => {
    // The callback may read what atOrAfter returned: it never runs before that.
    assert.equal(typeof cancelPast, "function");
    ran++;
  });
  assert.equal(ran, 0, "not synchronously");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(ran, 1);
  const cancelTimer = afterAtLeast(20, () => ran++);
  const cancelSpin = afterAtLeast(0.5, () => ran++);
  cancelTimer();
  cancelSpin();
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(ran, 1);
});
