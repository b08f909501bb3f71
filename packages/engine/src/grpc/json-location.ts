// How a problem in a recorded gRPC message is located and told: the JSON path of the member and
// a short description of the value found there.
import { InvalidInputError } from "@parallax/protocol";

export function invalid(location: string, message: string): InvalidInputError {
  return new InvalidInputError([{ location, message }]);
}

/** `$.a.b`, or `$.a['x-y']` for a key that is not an identifier. */
export function member(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}['${key.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}']`;
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "object") return "an object";
  return String(value);
}
