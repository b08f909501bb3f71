// The parts of the proto3 JSON mapping protobufjs leaves out: the special JSON forms of the
// well-known types (a Timestamp is "2024-05-01T12:00:00.250Z", not {seconds, nanos}) and a
// field's `json_name`. Recordings written by grpcurl, Envoy's JSON transcoder or protojson use
// them, and so do the responses Parallax compares: a diff at `$.updatedAt` then reads as a time.
//
// Both directions: `wellKnownFromJson` turns a recorded value into the message form protobufjs'
// fromObject takes; `toProto3Json` rewrites what its toObject gave into the special forms.

import { REDACTED } from "@parallax/protocol";
import protobuf from "protobufjs";
import { describe, invalid, member } from "./json-location.js";

/** Converts one recorded value of a field (scalar rules, paths in errors, `label` naming it): the caller's own. */
export type ScalarFromJson = (field: protobuf.Field, value: unknown, path: string, label?: string) => unknown;

const WRAPPERS = new Set(["DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value", "BoolValue", "StringValue", "BytesValue"].map((n) => `.google.protobuf.${n}`));
const TIMESTAMP = ".google.protobuf.Timestamp";
const DURATION = ".google.protobuf.Duration";
const FIELD_MASK = ".google.protobuf.FieldMask";
const STRUCT = ".google.protobuf.Struct";
const VALUE = ".google.protobuf.Value";
const LIST_VALUE = ".google.protobuf.ListValue";
const SPECIAL = new Set([...WRAPPERS, TIMESTAMP, DURATION, FIELD_MASK, STRUCT, VALUE, LIST_VALUE]);

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range proto3 JSON allows a Timestamp. */
const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;
/** About 10,000 years, the range of a Duration. */
const MAX_DURATION_SECONDS = 315_576_000_000n;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const DURATION_TEXT = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

// ---- recorded JSON → protobufjs' message form ------------------------------------------------------

/**
 * A recorded value of a well-known type in its special JSON form, as the message form fromObject
 * takes. A value already written in the message form (an object, as recordings made before the
 * special forms were read have it) reads too: a Timestamp or Duration checked against its range
 * here, a FieldMask or wrapper left to the caller (undefined), as is any type without a special
 * form. Struct, Value and ListValue have no other form: any JSON object, value or array.
 */
export function wellKnownFromJson(type: protobuf.Type, value: unknown, path: string, scalar: ScalarFromJson): Record<string, unknown> | undefined {
  const name = type.fullName;
  if (!SPECIAL.has(name)) return undefined;
  if (name === STRUCT) return structFromJson(value, path);
  if (name === VALUE) return valueMessage(value, path);
  if (name === LIST_VALUE) return listValueFromJson(value, path);
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return name === TIMESTAMP || name === DURATION ? secondsAndNanosFromJson(type, value as Record<string, unknown>, path, scalar) : undefined;
  }
  if (WRAPPERS.has(name)) return { value: scalar(type.fields["value"] as protobuf.Field, value, path, name.slice(1)) };
  if (typeof value !== "string") throw invalid(path, `expected ${SPECIAL_FORM[name]} for ${name.slice(1)} (got ${describe(value)})`);
  if (name === TIMESTAMP) return timestampFromText(value, path);
  if (name === DURATION) return durationFromText(value, path);
  const paths = value === "" ? [] : value.split(",");
  if (paths.some((p) => p.split(".").some((part) => part === ""))) throw invalid(path, `"${value}" is not ${SPECIAL_FORM[FIELD_MASK]}: a path or a part of one is empty`);
  return { paths: paths.map(snakeCasePath) };
}

/**
 * A Timestamp or Duration written as its message, `{"seconds": "…", "nanos": n}`, checked against
 * the ranges its JSON form has (a server rejects what is outside them); undefined when it has
 * other members, for the caller to refuse them by name.
 */
function secondsAndNanosFromJson(type: protobuf.Type, value: Record<string, unknown>, path: string, scalar: ScalarFromJson): Record<string, unknown> | undefined {
  if (Object.keys(value).some((key) => key !== "seconds" && key !== "nanos")) return undefined;
  const read = (key: "seconds" | "nanos", fallback: unknown) => (value[key] === undefined || value[key] === null ? fallback : scalar(type.fields[key] as protobuf.Field, value[key], member(path, key)));
  const seconds = BigInt(String(read("seconds", "0")));
  const nanos = Number(read("nanos", 0));
  const timestamp = type.fullName === TIMESTAMP;
  if (timestamp ? seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS : seconds < -MAX_DURATION_SECONDS || seconds > MAX_DURATION_SECONDS) {
    throw invalid(member(path, "seconds"), timestamp ? `${seconds} is outside 0001-01-01 to 9999-12-31, the range of a Timestamp` : `${seconds} is beyond ±${MAX_DURATION_SECONDS} s, the range of a Duration`);
  }
  if (timestamp ? nanos < 0 || nanos > 999_999_999 : Math.abs(nanos) > 999_999_999) {
    throw invalid(member(path, "nanos"), `${nanos} is outside ${timestamp ? "0 to 999999999" : "±999999999"}, the range of a ${timestamp ? "Timestamp" : "Duration"}'s nanos`);
  }
  if (!timestamp && ((seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0))) throw invalid(path, "a Duration's seconds and nanos must have the same sign");
  return { seconds: seconds.toString(), nanos };
}

const SPECIAL_FORM: Readonly<Record<string, string>> = Object.freeze({
  [TIMESTAMP]: 'an RFC 3339 time such as "2024-05-01T12:00:00.250Z"',
  [DURATION]: 'seconds with an "s", such as "1.5s"',
  [FIELD_MASK]: 'comma-separated paths such as "user.displayName,photo"',
});

function timestampFromText(text: string, path: string): Record<string, unknown> {
  const m = RFC3339.exec(text);
  const bad = () => invalid(path, `"${text}" is not ${SPECIAL_FORM[TIMESTAMP]}`);
  if (m === null) throw bad();
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second);
  // Date rolls 2024-02-30 over into March: a field that changed in the round trip was out of range.
  if (utc.getUTCFullYear() !== year || utc.getUTCMonth() !== month - 1 || utc.getUTCDate() !== day || utc.getUTCHours() !== hour || utc.getUTCMinutes() !== minute || utc.getUTCSeconds() !== second) throw bad();
  if (m[8] === undefined && (Number(m[10]) > 23 || Number(m[11]) > 59)) throw bad();
  const offsetSeconds = m[8] !== undefined ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 3600 + Number(m[11]) * 60);
  const seconds = BigInt(utc.getTime() / 1000 - offsetSeconds);
  if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS) throw invalid(path, `"${text}" is outside 0001-01-01 to 9999-12-31, the range of a Timestamp`);
  return { seconds: seconds.toString(), nanos: nanosOf(m[7]) };
}

function durationFromText(text: string, path: string): Record<string, unknown> {
  const m = DURATION_TEXT.exec(text);
  if (m === null) throw invalid(path, `"${text}" is not ${SPECIAL_FORM[DURATION]}`);
  const sign = m[1] === "-" ? -1n : 1n;
  const seconds = BigInt(m[2] as string);
  if (seconds > MAX_DURATION_SECONDS) throw invalid(path, `"${text}" is beyond ±${MAX_DURATION_SECONDS} s, the range of a Duration`);
  // Seconds and nanos share the sign (proto3 JSON: "-1.5s" is -1 s and -500000000 ns).
  return { seconds: (sign * seconds).toString(), nanos: Number(sign) * nanosOf(m[3]) };
}

function nanosOf(fraction: string | undefined): number {
  return fraction === undefined ? 0 : Number(fraction.padEnd(9, "0"));
}

/** FieldMask paths are lowerCamelCase in JSON, snake_case on the wire: `user.displayName` → `user.display_name`. */
function snakeCasePath(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function structFromJson(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(path, `expected a JSON object for google.protobuf.Struct (got ${describe(value)})`);
  const fields: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // A member redacted at ingest is not sent, as a redacted map entry is not.
    if (item !== REDACTED) fields[key] = valueMessage(item, member(path, key));
  }
  return { fields };
}

function listValueFromJson(value: unknown, path: string): Record<string, unknown> {
  if (!Array.isArray(value)) throw invalid(path, `expected a JSON array for google.protobuf.ListValue (got ${describe(value)})`);
  return { values: value.map((item, i) => valueMessage(item, `${path}[${i}]`)) };
}

/** Any JSON value as a google.protobuf.Value message. */
function valueMessage(value: unknown, path: string): Record<string, unknown> {
  if (value === null) return { nullValue: "NULL_VALUE" };
  if (typeof value === "number") return { numberValue: value };
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (Array.isArray(value)) return { listValue: listValueFromJson(value, path) };
  return { structValue: structFromJson(value, path) };
}

// ---- protobufjs' toObject → proto3 JSON ------------------------------------------------------------

const NEEDS_REWRITE = new WeakMap<protobuf.Type, boolean>();

/**
 * `json` (what toObject made of a message of `type`, unknown fields included) with every
 * well-known type in its special JSON form and every field under its JSON name. Returns a new
 * object for each message rewritten (a Timestamp becomes a string). Types that reach no
 * well-known type and declare no `json_name`, such as KServe's, are returned untouched without a
 * walk: a tensor of thousands of elements costs nothing here.
 */
export function toProto3Json(type: protobuf.Type, json: unknown): unknown {
  let needs = NEEDS_REWRITE.get(type);
  if (needs === undefined) NEEDS_REWRITE.set(type, (needs = reachesRewrite(type, new Set())));
  return needs ? rewrite(type, json) : json;
}

/** Whether any type reachable from `type` is special or renames a field (a depth-first search; cycles end it). */
function reachesRewrite(type: protobuf.Type, seen: Set<protobuf.Type>): boolean {
  if (SPECIAL.has(type.fullName)) return true;
  seen.add(type);
  for (const field of type.fieldsArray) {
    if (jsonNameOf(field) !== undefined) return true;
    const next = field.resolvedType;
    if (next instanceof protobuf.Type && !seen.has(next) && reachesRewrite(next, seen)) return true;
  }
  return false;
}

/**
 * A new object, members in the same order: fields under their JSON names, unknown `#N` members as
 * they are. Never renamed in place: a `json_name` may be another field's name (`a` shown as `b`
 * and `b` as `a`), and renaming one in place would overwrite the other before it was read.
 */
function rewrite(type: protobuf.Type, json: unknown): unknown {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return json;
  const message = json as Record<string, unknown>;
  const special = specialToJson(type.fullName, message);
  if (special !== NOT_SPECIAL) return special;
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(message)) {
    const field = Object.hasOwn(type.fields, key) ? type.fields[key] : undefined;
    if (field === undefined) {
      out[key] = raw;
      continue;
    }
    let value = raw;
    const inner = field.resolvedType;
    if (inner instanceof protobuf.Type && value !== null && value !== undefined) {
      if (field.map) value = mapValues(value, (item) => rewrite(inner, item));
      else if (field.repeated && Array.isArray(value)) value = value.map((item: unknown) => rewrite(inner, item));
      else value = rewrite(inner, value);
    }
    out[jsonNameOf(field) ?? field.name] = value;
  }
  return out;
}

const NOT_SPECIAL = Symbol("not a well-known type");

function specialToJson(name: string, message: Record<string, unknown>): unknown {
  if (WRAPPERS.has(name)) return message["value"];
  switch (name) {
    case TIMESTAMP:
      return timestampText(message) ?? message;
    case DURATION:
      return durationText(message) ?? message;
    case FIELD_MASK:
      return Array.isArray(message["paths"]) ? message["paths"].map((p) => protobuf.util.camelCase(String(p))).join(",") : message;
    case STRUCT:
      return structJson(message);
    case VALUE:
      return valueJson(message);
    case LIST_VALUE:
      return listJson(message);
    default:
      return NOT_SPECIAL;
  }
}

/** RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits (as protojson writes it); undefined outside the Timestamp range. */
function timestampText(message: Record<string, unknown>): string | undefined {
  const parts = secondsAndNanos(message);
  if (parts === undefined || parts.nanos < 0 || parts.seconds < MIN_TIMESTAMP_SECONDS || parts.seconds > MAX_TIMESTAMP_SECONDS) return undefined;
  const whole = new Date(Number(parts.seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}${fractionText(parts.nanos)}Z`;
}

/** Seconds with an "s", 0, 3, 6 or 9 fractional digits; undefined when seconds and nanos disagree in sign. */
function durationText(message: Record<string, unknown>): string | undefined {
  const parts = secondsAndNanos(message);
  if (parts === undefined || (parts.seconds > 0n && parts.nanos < 0) || (parts.seconds < 0n && parts.nanos > 0)) return undefined;
  const negative = parts.seconds < 0n || parts.nanos < 0;
  const seconds = parts.seconds < 0n ? -parts.seconds : parts.seconds;
  return `${negative ? "-" : ""}${seconds}${fractionText(Math.abs(parts.nanos))}s`;
}

function secondsAndNanos(message: Record<string, unknown>): { seconds: bigint; nanos: number } | undefined {
  const seconds = message["seconds"];
  const nanos = message["nanos"];
  if (typeof seconds !== "string" || !/^-?\d+$/.test(seconds) || typeof nanos !== "number" || !Number.isInteger(nanos) || Math.abs(nanos) > 999_999_999) return undefined;
  return { seconds: BigInt(seconds), nanos };
}

function fractionText(nanos: number): string {
  if (nanos === 0) return "";
  const digits = String(nanos).padStart(9, "0");
  return `.${digits.endsWith("000000") ? digits.slice(0, 3) : digits.endsWith("000") ? digits.slice(0, 6) : digits}`;
}

function structJson(message: Record<string, unknown>): unknown {
  const fields = message["fields"];
  return typeof fields === "object" && fields !== null ? mapValues(fields, (item) => valueJson(item as Record<string, unknown>)) : {};
}

function listJson(message: Record<string, unknown>): unknown[] {
  const values = message["values"];
  return Array.isArray(values) ? values.map((item: unknown) => valueJson(item as Record<string, unknown>)) : [];
}

/** A google.protobuf.Value as the JSON value it stands for; an unset one (no kind) as null. */
function valueJson(message: Record<string, unknown> | null): unknown {
  if (message === null || typeof message !== "object") return null;
  if ("numberValue" in message) return message["numberValue"];
  if ("stringValue" in message) return message["stringValue"];
  if ("boolValue" in message) return message["boolValue"];
  if ("structValue" in message) return structJson((message["structValue"] ?? {}) as Record<string, unknown>);
  if ("listValue" in message) return listJson((message["listValue"] ?? {}) as Record<string, unknown>);
  return null;
}

function mapValues(value: unknown, convert: (item: unknown) => unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, convert(item)]));
}

/**
 * A field's proto3 JSON name when it differs from the name protobufjs gives it: its declared
 * `json_name`, else protoc's default. The two defaults differ for a name with an underscore
 * before a digit: protoc writes `field_1` as `field1`, protobufjs keeps `field_1`.
 */
export function jsonNameOf(field: protobuf.Field): string | undefined {
  const declared: unknown = field.options?.["json_name"];
  const name = typeof declared === "string" ? declared : protocJsonName(field.name);
  return name !== field.name ? name : undefined;
}

/** protoc's default JSON name: each underscore dropped and the character after it upper-cased. */
export function protocJsonName(name: string): string {
  return name.replace(/_+(.?)/g, (_, next: string) => next.toUpperCase());
}
