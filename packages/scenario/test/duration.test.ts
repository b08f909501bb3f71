import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, parseDuration } from "../src/index.js";

describe("parseDuration", () => {
  it("reads single and compound units", () => {
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("10s"), 10_000);
    assert.equal(parseDuration("2m"), 120_000);
    assert.equal(parseDuration("1h"), 3_600_000);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("1m30s250ms"), 90_250);
    assert.equal(parseDuration("0"), 0);
    assert.equal(parseDuration("0s"), 0);
  });

  it("reads decimals exactly", () => {
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration("0.1s"), 100);
    assert.equal(parseDuration("1.0005s"), 1000.5);
    assert.equal(parseDuration("2.5ms"), 2.5);
  });

  it("refuses what is not a duration", () => {
    for (const text of ["", "10", "10 minutes", "10sec", "s", "1.s", ".5s", "-1s", "1d", "10S", " 10s", "1h 30m"]) {
      assert.equal(parseDuration(text), undefined, text);
    }
  });
});

describe("formatDuration", () => {
  it("writes the shortest form", () => {
    assert.equal(formatDuration(0), "0s");
    assert.equal(formatDuration(250), "250ms");
    assert.equal(formatDuration(1500), "1.5s");
    assert.equal(formatDuration(10_000), "10s");
    assert.equal(formatDuration(120_000), "2m");
    assert.equal(formatDuration(5_400_000), "1h30m");
    assert.equal(formatDuration(3_723_400), "1h2m3.4s");
    assert.equal(formatDuration(0.5), "0.5ms");
  });

  it("round-trips through parseDuration", () => {
    for (const ms of [0, 1, 999, 1000, 1001, 1000.5, 59_999, 60_000, 61_500, 3_599_999, 3_600_000, 86_400_000, 0.25]) {
      assert.equal(parseDuration(formatDuration(ms)), ms, String(ms));
    }
  });

  it("rejects negative and non-finite values", () => {
    assert.throws(() => formatDuration(-1), RangeError);
    assert.throws(() => formatDuration(Number.NaN), RangeError);
    assert.throws(() => formatDuration(Infinity), RangeError);
  });
});
