import type { ThresholdResult } from "./result.js";

/** One key per threshold: the endpoint it is scoped to and its expression. */
export function thresholdKey(threshold: { readonly endpoint?: string | undefined; readonly expression: string }): string {
  return `${threshold.endpoint ?? ""}\u001f${threshold.expression}`;
}

/** Whether the threshold could be evaluated: a window with no traffic (or none at its endpoint) measures nothing, which is not failing. */
export function thresholdMeasured(threshold: ThresholdResult): boolean {
  return threshold.reason === undefined && threshold.observed !== null;
}
