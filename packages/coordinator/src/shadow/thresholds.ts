import { thresholdKey, thresholdMeasured, type ShadowThresholdEvent, type ThresholdResult } from "@parallax/protocol";

/**
 * Each threshold's state as of the last window that could evaluate it. A window that could not
 * (no traffic, no request at its endpoint) leaves the state as it was: an idle minute is not a
 * failure and then a recovery. The first evaluation is a change (from unknown), so the events
 * start with every threshold's initial state.
 */
export class ThresholdStates {
  readonly #last = new Map<string, "pass" | "fail">();

  /** The events of one window's evaluation, in the thresholds' order. */
  update(results: readonly ThresholdResult[], window: string, at: string): ShadowThresholdEvent[] {
    const events: ShadowThresholdEvent[] = [];
    for (const r of results) {
      if (!thresholdMeasured(r)) continue;
      const key = thresholdKey(r);
      const state = r.pass ? "pass" : "fail";
      if (this.#last.get(key) === state) continue;
      this.#last.set(key, state);
      events.push({ at, window, expression: r.expression, ...(r.endpoint === undefined ? {} : { endpoint: r.endpoint }), state, observed: r.observed, limit: r.limit });
    }
    return events;
  }
}

/**
 * Trims `events` (oldest first) to `max` in place, dropping the oldest, but never a threshold's latest
 * event: it is that threshold's current state (`parallax_window_threshold_pass` reads it), and a
 * threshold failing steadily since the first window has no other. Returns how many were dropped.
 */
export function dropOldestButLatest(events: ShadowThresholdEvent[], max: number): number {
  const latest = new Map<string, ShadowThresholdEvent>();
  for (const e of events) latest.set(thresholdKey(e), e);
  let excess = events.length - max;
  const kept = events.filter((e) => {
    if (excess <= 0 || latest.get(thresholdKey(e)) === e) return true;
    excess--;
    return false;
  });
  const dropped = events.length - kept.length;
  events.splice(0, events.length, ...kept);
  return dropped;
}

