import assert from "node:assert/strict";
import { it } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { collectGarbage } from "../src/collect-garbage.js";

it("collects garbage: an object only a WeakRef holds is gone afterwards", async () => {
  const ref = (() => new WeakRef({ payload: new Array(1000).fill(1) }))();
  // A WeakRef's target is kept alive until the task that made it ends.
  await nextTurn();
  collectGarbage();
  assert.equal(ref.deref(), undefined);
  collectGarbage(); // a second call reuses the function
});
