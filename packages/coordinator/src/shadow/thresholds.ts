import type { ShadowThresholdEvent, ThresholdResult } from "@parallax/protocol";

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
      if (r.reason !== undefined || r.observed === null) continue;
      const key = `${r.endpoint ?? ""}\u001f${r.expression}`;
      const state = r.pass ? "pass" : "fail";
      if (this.#last.get(key) === state) continue;
      this.#last.set(key, state);
      events.push({ at, window, expression: r.expression, ...(r.endpoint === undefined ? {} : { endpoint: r.endpoint }), state, observed: r.observed, limit: r.limit });
    }
    return events;
  }
}
