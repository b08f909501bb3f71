// Field schemas shared by the scenario document and the load models.
import { z } from "zod";
import { DURATION_PATTERN, parseDuration } from "./duration.js";

const DURATION_HINT = "use e.g. 500ms, 10s, 2m";

function durationMessage(input: unknown): string {
  if (typeof input === "string") return `invalid duration ${JSON.stringify(input)} (${DURATION_HINT})`;
  if (typeof input === "number") {
    return `plain number ${input} is not a duration: write the unit, e.g. "${input}ms" or "${input}s"`;
  }
  return `expected a duration (${DURATION_HINT}), got ${describeValue(input)}`;
}

/** A duration as written (`10s`, or `0`), parsed to milliseconds. */
export const duration = z
  .union([z.string().regex(DURATION_PATTERN, { error: (iss) => durationMessage(iss.input) }), z.literal(0)], {
    error: (iss) => durationMessage(iss.input),
  })
  .transform((value) => (typeof value === "number" ? value : (parseDuration(value) ?? Number.NaN)));

/** A duration that must be more than zero; `hint` tells what to do instead. */
export function positiveDuration(hint: string): z.ZodType<number, string | 0> {
  return duration.refine((ms) => ms > 0, { error: `must be more than 0 (${hint})` });
}

/** A value as it appears in messages: strings quoted, objects named by kind. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}
