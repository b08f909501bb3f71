// Loads .proto files into a registry of gRPC methods, and converts messages between proto3 JSON
// (recordings, the diff) and the wire format.
//
// protobufjs is used directly rather than through @grpc/proto-loader: proto-loader's package
// definition keeps neither the original field names nor the reflection types, so a recorded
// message written with proto field names (`model_name`, as proto3 JSON allows) would be dropped
// field by field without an error. The method options proto-loader exposes
// (`MethodDefinition.options.idempotency_level`) come from protobufjs' `Method.options`, read here.

import { InvalidInputError, REDACTED } from "@parallax/protocol";
import { accessSync, constants } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import protobuf from "protobufjs";
import { describe, invalid, member } from "./json-location.js";
import { jsonNameOf, toProto3Json, wellKnownFromJson } from "./proto3-json.js";

export interface ProtoSources {
  /** The .proto files that define the services: absolute, or relative to an import path or else to `baseDir`. */
  readonly files: readonly string[];
  /** Where `import "..."` statements (and relative `files`) are looked up, in order, like protoc's `-I`; then the importing file's directory. */
  readonly importPaths?: readonly string[];
  /** Where relative `files` not found in an import path are looked for; default the working directory. */
  readonly baseDir?: string;
}

export type GrpcMethodKind = "unary" | "client-streaming" | "server-streaming" | "bidi-streaming";

/** `google.protobuf.MethodOptions.IdempotencyLevel`, as declared by `option idempotency_level`. */
export type IdempotencyLevel = "IDEMPOTENCY_UNKNOWN" | "NO_SIDE_EFFECTS" | "IDEMPOTENT";

/** One method of a loaded service. */
export interface GrpcMethod {
  /** `service/method`, e.g. `inference.GRPCInferenceService/ModelInfer`: the endpoint a call is tallied under. */
  readonly name: string;
  /** The HTTP/2 `:path`: `/inference.GRPCInferenceService/ModelInfer`. */
  readonly path: string;
  /** Fully-qualified service name, without a leading dot. */
  readonly service: string;
  readonly method: string;
  readonly kind: GrpcMethodKind;
  readonly idempotency: IdempotencyLevel;
  /** Fully-qualified message type names. */
  readonly requestType: string;
  readonly responseType: string;
  /**
   * A proto3 JSON request (proto, lowerCamelCase or `json_name` field names; well-known types in
   * their special JSON forms, or for Timestamp, Duration, FieldMask and wrappers also their
   * message forms) to wire bytes. Stricter than
   * protobufjs' `fromObject`, which ignores what it does not know: an unknown field, a wrong
   * type, a bad enum name, bad base64 or a 64-bit integer written as a JSON number beyond 2^53
   * throws an `InvalidInputError` whose location is the JSON path (`$.inputs[0].shape[1]`).
   *
   * A field whose value is exactly `REDACTED` (the recording's redaction replaced it, whatever its
   * type) is not sent, and neither is a map entry whose value is `REDACTED`; see `messageFromJson`.
   */
  encodeRequest(message: unknown): Buffer;
  /**
   * Wire bytes to the canonical proto3 JSON object; throws on bytes that do not decode. Fields the
   * proto does not know (a newer server's additions) are kept as `"#<number>"` members beside the
   * known ones, at any depth but inside map values; see `addUnknownFields`.
   */
  decodeResponse(bytes: Uint8Array): unknown;
}

export type GrpcMethodLookup =
  | { readonly ok: true; readonly method: GrpcMethod }
  | { readonly ok: false; readonly reason: "malformed-name" | "unknown-service" | "unknown-method" | "streaming"; readonly message: string };

/**
 * The proto3 JSON mapping, as far as protobufjs' `toObject` goes: 64-bit integers as decimal
 * strings, enums by name, bytes as base64, NaN/Infinity as strings, lowerCamelCase names, and
 * unset fields with their defaults (protojson's EmitUnpopulated; proto3 scalars have no presence,
 * so a 0 against a 1 diffs as `changed`, not as `removed`). Unset message fields are `null`;
 * unset oneof members and `optional` fields are left out. `toProto3Json` then gives well-known
 * types their special forms and fields their `json_name`.
 */
const TO_JSON: protobuf.IConversionOptions = Object.freeze({ longs: String, enums: String, bytes: String, defaults: true, json: true });

const IDEMPOTENCY: Readonly<Record<string, IdempotencyLevel>> = Object.freeze({ NO_SIDE_EFFECTS: "NO_SIDE_EFFECTS", IDEMPOTENT: "IDEMPOTENT", 1: "NO_SIDE_EFFECTS", 2: "IDEMPOTENT" });

let commonProtosAdded = false;

/** `google/protobuf/descriptor.proto` (imported by protos that declare custom options) is not bundled by protobufjs by default. */
function addCommonProtos(): void {
  if (commonProtosAdded) return;
  const require = createRequire(import.meta.url);
  const descriptor = require("protobufjs/google/protobuf/descriptor.json") as { nested: { google: { nested: { protobuf: { nested: protobuf.INamespace["nested"] } } } } };
  protobuf.common("descriptor", descriptor.nested.google.nested.protobuf.nested as Record<string, protobuf.INamespace>);
  commonProtosAdded = true;
}

/**
 * Load and resolve the protos. Every failure (a file or import not found, a syntax error, a type
 * that does not resolve, a duplicate definition) is one `InvalidInputError` with one issue that
 * names the file and, for syntax errors, the line.
 */
export function loadProtos(sources: ProtoSources): ProtoRegistry {
  addCommonProtos();
  const importPaths = sources.importPaths ?? [];
  const searched = importPaths.length ? ` (import paths: ${importPaths.join(", ")})` : " (no import paths given)";
  const files = sources.files.map((file) => {
    const found = findFile(file, importPaths) ?? findFile(file, [sources.baseDir ?? "."]);
    if (found === undefined) throw new InvalidInputError([{ file, message: `proto file not found${searched}` }]);
    return found;
  });
  if (files.length === 0) throw new InvalidInputError([{ message: "no proto files given" }]);

  const root = new protobuf.Root();
  // The file protobufjs is reading, for errors: it resolves a file's path right before reading it.
  let current = files[0] as string;
  root.resolvePath = (origin, target) => {
    const found = isAbsolute(target) ? target : (findFile(target, importPaths) ?? findFile(target, origin ? [dirname(origin)] : []));
    if (found === undefined) throw new InvalidInputError([{ file: origin || target, message: `import "${target}" not found${searched}` }]);
    current = found;
    return found;
  };
  try {
    // Parses every file, then resolves every type reference.
    root.loadSync(files, { keepCase: false });
  } catch (error) {
    throw loadError(error, current) ?? resolveError(root, error, current);
  }
  return new ProtoRegistry(files, root);
}

/**
 * The registry `ProtoRegistry.toJSON` described, as an agent rebuilds it from a bundle: plain data
 * (protobufjs' JSON descriptor), never code. Throws on anything that is not a valid descriptor.
 */
export function protosFromJSON(json: unknown): ProtoRegistry {
  addCommonProtos();
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error("the shipped protos are not a protobufjs JSON descriptor");
  const root = protobuf.Root.fromJSON(json as protobuf.INamespace);
  root.resolveAll();
  return new ProtoRegistry([], root);
}

/** The services and methods of loaded protos. */
export class ProtoRegistry {
  /** The proto files as found (import paths applied). */
  readonly files: readonly string[];
  readonly #root: protobuf.Root;
  readonly #services: ReadonlyMap<string, ReadonlyMap<string, GrpcMethod>>;

  constructor(files: readonly string[], root: protobuf.Root) {
    this.files = files;
    this.#root = root;
    const services = new Map<string, Map<string, GrpcMethod>>();
    for (const service of allServices(root)) {
      const name = service.fullName.slice(1);
      services.set(name, new Map(service.methodsArray.map((m) => [m.name, new ProtoMethod(name, m)])));
    }
    this.#services = services;
  }

  /** Every type and service with their options, as protobufjs' JSON descriptor: what agents are sent. */
  toJSON(): protobuf.INamespace {
    return this.#root.toJSON();
  }

  /** Fully-qualified service names. */
  services(): string[] {
    return [...this.#services.keys()];
  }

  /** Every method of every service, streaming ones included. */
  methods(): GrpcMethod[] {
    return [...this.#services.values()].flatMap((methods) => [...methods.values()]);
  }

  /** Find `service/method` (a leading `/`, as in an HTTP/2 path, is accepted). */
  lookup(name: string): GrpcMethodLookup {
    const slash = name.lastIndexOf("/");
    const serviceName = name.slice(name.startsWith("/") ? 1 : 0, Math.max(slash, 0));
    const methodName = name.slice(slash + 1);
    if (slash <= 0 || serviceName.length === 0 || methodName.length === 0) {
      return { ok: false, reason: "malformed-name", message: `"${name}" is not a gRPC method name; expected service/method, e.g. inference.GRPCInferenceService/ModelInfer` };
    }
    const service = this.#services.get(serviceName.replace(/^\./, ""));
    if (service === undefined) {
      return { ok: false, reason: "unknown-service", message: `unknown gRPC service "${serviceName}" (${listed("the protos define", this.services(), "the protos define no services")})` };
    }
    const method = service.get(methodName);
    if (method === undefined) {
      return { ok: false, reason: "unknown-method", message: `gRPC service ${serviceName} has no method "${methodName}" (${listed("it has", [...service.keys()], "it has no methods")})` };
    }
    return { ok: true, method };
  }

  /** `lookup` for a call that is to be replayed: a streaming method is refused too. */
  unaryMethod(name: string): GrpcMethodLookup {
    const found = this.lookup(name);
    if (!found.ok || found.method.kind === "unary") return found;
    return { ok: false, reason: "streaming", message: `${found.method.name} is a ${found.method.kind} method; only unary gRPC methods can be replayed` };
  }
}

class ProtoMethod implements GrpcMethod {
  readonly name: string;
  readonly path: string;
  readonly service: string;
  readonly method: string;
  readonly kind: GrpcMethodKind;
  readonly idempotency: IdempotencyLevel;
  readonly requestType: string;
  readonly responseType: string;
  readonly #request: protobuf.Type;
  readonly #response: protobuf.Type;

  constructor(service: string, method: protobuf.Method) {
    this.service = service;
    this.method = method.name;
    this.name = `${service}/${method.name}`;
    this.path = `/${this.name}`;
    this.kind = method.requestStream ? (method.responseStream ? "bidi-streaming" : "client-streaming") : method.responseStream ? "server-streaming" : "unary";
    const level: unknown = method.options?.["idempotency_level"];
    this.idempotency = (typeof level === "string" || typeof level === "number" ? IDEMPOTENCY[level] : undefined) ?? "IDEMPOTENCY_UNKNOWN";
    this.#request = method.resolvedRequestType as protobuf.Type;
    this.#response = method.resolvedResponseType as protobuf.Type;
    this.requestType = this.#request.fullName.slice(1);
    this.responseType = this.#response.fullName.slice(1);
  }

  encodeRequest(message: unknown): Buffer {
    const object = messageFromJson(this.#request, message, "$");
    const bytes = this.#request.encode(this.#request.fromObject(object)).finish();
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  decodeResponse(bytes: Uint8Array): unknown {
    const json = this.#response.toObject(this.#response.decode(bytes), TO_JSON);
    // protobufjs drops unknown fields while decoding; a second walk over the tags (known scalars
    // skipped by length, nothing allocated unless a tag is unknown) puts them back.
    addUnknownFields(this.#response, protobuf.Reader.create(bytes), bytes.length, json);
    return toProto3Json(this.#response, json);
  }
}

// ---- unknown fields of a response → `#<number>` members ---------------------------------------------

const UINT64_MASK = (1n << 64n) - 1n;
const ANY = ".google.protobuf.Any";

/**
 * Adds the fields of the message at `reader.pos..end` that `type` does not declare to `json` (the
 * message as `toObject` made it), and does the same inside every known message field, singular or
 * repeated (the k-th occurrence on the wire is the k-th array element). Each goes under `"#<field
 * number>"`, a key no proto3 JSON name can be, so the structural diff reports a candidate's new
 * field as `added` at `$['#12']` or `$.items[*]['#7']`. The raw wire value, since its type is
 * unknown:
 * - varint: its 64 bits as an unsigned decimal string (an int32 -1 reads "18446744073709551615",
 *   a sint64 keeps its zigzag encoding, a bool is "0" or "1");
 * - fixed64 and fixed32: their bits as an unsigned little-endian decimal string (a float's or a
 *   double's bits too, not its value);
 * - length-delimited (strings, bytes, messages, packed lists): base64 of the bytes;
 * - groups: left out.
 * A number found more than once is an array of the values, in wire order. Not looked into: map
 * values (the entry's key would have to be decoded to find the JSON member) and `Any` (its JSON
 * is the packed message's).
 */
function addUnknownFields(type: protobuf.Type, reader: protobuf.Reader, end: number, json: Record<string, unknown>): void {
  // How many elements of each repeated message field were walked; made on the first one.
  let seen: Map<number, number> | undefined;
  while (reader.pos < end) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wireType = tag & 7;
    const field = type.fieldsById[id];
    if (field === undefined) {
      addUnknownField(reader, id, wireType, json);
      continue;
    }
    const sub = field.resolvedType;
    if (wireType !== 2 || field.map || !(sub instanceof protobuf.Type) || sub.fullName === ANY) {
      reader.skipType(wireType);
      continue;
    }
    const length = reader.uint32();
    const subEnd = reader.pos + length;
    let value = json[field.name];
    if (field.repeated) {
      seen ??= new Map();
      const index = seen.get(id) ?? 0;
      seen.set(id, index + 1);
      value = Array.isArray(value) ? (value[index] as unknown) : undefined;
    }
    if (isObject(value)) addUnknownFields(sub, reader, subEnd, value);
    reader.pos = subEnd;
  }
}

function addUnknownField(reader: protobuf.Reader, id: number, wireType: number, json: Record<string, unknown>): void {
  const start = reader.pos;
  let value: string;
  switch (wireType) {
    case 0:
      reader.skipType(0);
      value = varintText(reader.buf, start, reader.pos);
      break;
    case 1:
      reader.skipType(1);
      value = littleEndianText(reader.buf, start, 8);
      break;
    case 5:
      reader.skipType(5);
      value = littleEndianText(reader.buf, start, 4);
      break;
    case 2: {
      const bytes = reader.bytes();
      value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
      break;
    }
    default:
      // A group (3); anything else (4, 6, 7) is malformed and throws, as decode would have.
      reader.skipType(wireType);
      return;
  }
  const key = `#${id}`;
  const previous = json[key];
  if (previous === undefined) json[key] = value;
  else if (Array.isArray(previous)) previous.push(value);
  else json[key] = [previous, value];
}

function varintText(buf: Uint8Array, start: number, end: number): string {
  let n = 0n;
  for (let i = start, shift = 0n; i < end; i++, shift += 7n) n |= BigInt((buf[i] ?? 0) & 0x7f) << shift;
  return (n & UINT64_MASK).toString();
}

function littleEndianText(buf: Uint8Array, start: number, size: number): string {
  let n = 0n;
  for (let i = size - 1; i >= 0; i--) n = (n << 8n) | BigInt(buf[start + i] ?? 0);
  return n.toString();
}

// ---- proto3 JSON → the object protobufjs' fromObject takes, checked on the way -------------------

function typeName(type: protobuf.ReflectionObject): string {
  return type.fullName.slice(1);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const JSON_NAMES = new WeakMap<protobuf.Type, ReadonlyMap<string, protobuf.Field>>();

/**
 * Fields by their JSON name first (a `json_name` may be another field's lowerCamelCase name, and
 * proto3 JSON means the JSON name), then by the name protobufjs keeps, then by the proto name.
 */
function fieldOf(type: protobuf.Type, key: string): protobuf.Field | undefined {
  let byJsonName = JSON_NAMES.get(type);
  if (byJsonName === undefined) JSON_NAMES.set(type, (byJsonName = new Map(type.fieldsArray.map((f) => [jsonNameOf(f) ?? f.name, f]))));
  const named = byJsonName.get(key);
  if (named !== undefined) return named;
  if (Object.hasOwn(type.fields, key)) return type.fields[key];
  const camel = protobuf.util.camelCase(key);
  return Object.hasOwn(type.fields, camel) ? type.fields[camel] : undefined;
}

/**
 * Recordings are redacted at ingest: a member named like a secret (`password`, `token`, ...) has
 * its whole value, whatever it was (a string, a number, an object, a list, a map), replaced by the
 * string `REDACTED`. Such a field is not sent at all (the server sees it unset, as a redacted
 * metadata entry is not sent) rather than refused for its type or sent as the literal text, and so
 * is a map entry whose value is `REDACTED` (its key was the secret name). A list element is never
 * redacted on its own, so one equal to `REDACTED` gets the usual type check: a string list sends
 * it as it is.
 */
function messageFromJson(type: protobuf.Type, value: unknown, path: string): Record<string, unknown> {
  const wellKnown = wellKnownFromJson(type, value, path, valueFromJson);
  if (wellKnown !== undefined) return wellKnown;
  if (!isObject(value)) throw invalid(path, `expected a JSON object for ${typeName(type)} (got ${describe(value)})`);
  // protobufjs reads `Any` in its JSON form (`@type` and the packed message's fields) itself.
  if (type.fullName === ".google.protobuf.Any") return anyFromJson(value, path);
  const object: Record<string, unknown> = {};
  const oneofs = new Map<string, string>();
  for (const [key, fieldValue] of Object.entries(value)) {
    const at = member(path, key);
    const field = fieldOf(type, key);
    if (field === undefined) throw invalid(at, `${typeName(type)} has no field "${key}"`);
    if (Object.hasOwn(object, field.name)) throw invalid(at, `field ${field.name} of ${typeName(type)} is given twice`);
    // proto3 JSON: null is the default value (but a google.protobuf.Value's null is NULL_VALUE,
    // set); REDACTED, see above.
    if ((fieldValue === null && !isValueMessage(field)) || fieldValue === REDACTED) continue;
    const oneof = field.partOf;
    if (oneof !== null && oneof.oneof.length > 1) {
      const other = oneofs.get(oneof.name);
      if (other !== undefined) throw invalid(at, `"${key}" and "${other}" are both set, but only one field of oneof ${oneof.name} can be`);
      oneofs.set(oneof.name, key);
    }
    object[field.name] = field.map ? mapFromJson(field, fieldValue, at) : field.repeated ? listFromJson(field, fieldValue, at) : valueFromJson(field, fieldValue, at);
  }
  return object;
}

/**
 * protobufjs reads an `Any` from `{"@type": ..., ...the packed message's fields}`. Proto3 JSON
 * writes a packed well-known type as `{"@type": ..., "value": <its JSON form>}`, which protobufjs
 * would take for a field named value and silently send as an empty message: refused instead.
 */
const ANY_JSON_FORM_ONLY = new Set(["Timestamp", "Duration", "FieldMask", "Struct", "Value", "ListValue"].map((n) => `google.protobuf.${n}`));

function anyFromJson(value: Record<string, unknown>, path: string): Record<string, unknown> {
  const packed = typeof value["@type"] === "string" ? value["@type"].slice(value["@type"].lastIndexOf("/") + 1) : "";
  // A wrapper's message form is {"value": ...} too, so it reads either way.
  if (ANY_JSON_FORM_ONLY.has(packed) && Object.hasOwn(value, "value")) {
    throw invalid(member(path, "value"), `an Any holding ${packed} is read in its message form here ({"@type": ..., "seconds": ..., "nanos": ...} for a Timestamp), not as {"@type": ..., "value": ...}`);
  }
  return value;
}

/** A singular google.protobuf.Value field, whose null is a value (a list's or map's null is their default). */
function isValueMessage(field: protobuf.Field): boolean {
  return !field.repeated && !field.map && field.resolvedType?.fullName === ".google.protobuf.Value";
}

function listFromJson(field: protobuf.Field, value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(path, `expected a JSON array for repeated field ${field.name} (got ${describe(value)})`);
  return value.map((item, i) => valueFromJson(field, item, `${path}[${i}]`));
}

function mapFromJson(field: protobuf.Field, value: unknown, path: string): Record<string, unknown> {
  if (!isObject(value)) throw invalid(path, `expected a JSON object for map field ${field.name} (got ${describe(value)})`);
  const keyType = (field as unknown as protobuf.MapField).keyType;
  const map: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const at = member(path, key);
    if (keyType === "bool" ? key !== "true" && key !== "false" : keyType !== "string" && !INTEGER.test(key)) throw invalid(at, `map key "${key}" is not a ${keyType}`);
    if (item === REDACTED) continue;
    map[key] = valueFromJson(field, item, at);
  }
  return map;
}

const INTEGER = /^-?\d+$/;
const BASE64 = /^[A-Za-z0-9+/]*$/;
const RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = Object.freeze({
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
});

/** One singular value (or one element of a repeated field, or one map value); `label` names it in errors. */
function valueFromJson(field: protobuf.Field, value: unknown, path: string, label = `field ${field.name}`): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return messageFromJson(resolved, value, path);
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === "string" && Object.hasOwn(resolved.values, value)) return value;
    if (typeof value === "number" && Number.isInteger(value)) return value;
    throw invalid(path, `expected a ${typeName(resolved)} value, one of ${Object.keys(resolved.values).join(", ")} (got ${describe(value)})`);
  }
  const type = field.type;
  switch (type) {
    case "string":
      if (typeof value === "string") return value;
      break;
    case "bool":
      if (typeof value === "boolean") return value;
      break;
    case "double":
    case "float":
      if (typeof value === "number") return value;
      if (typeof value === "string" && (value === "NaN" || value === "Infinity" || value === "-Infinity" || (value.trim() !== "" && Number.isFinite(Number(value))))) return Number(value);
      break;
    case "bytes":
      if (typeof value === "string") {
        // Standard or URL-safe alphabet, padding optional (proto3 JSON accepts all of them).
        const standard = value.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
        if (BASE64.test(standard) && standard.length % 4 !== 1) return standard + "=".repeat((4 - (standard.length % 4)) % 4);
        throw invalid(path, `expected base64 for bytes ${label}`);
      }
      break;
    default: {
      const range = RANGES[type];
      if (range === undefined) break;
      let n: bigint;
      if (typeof value === "number" && Number.isInteger(value)) {
        // JSON.parse has already rounded a number beyond 2^53 to the nearest double: the digits
        // the recording had are gone, so refuse it rather than send a neighbouring value.
        if (field.long && !Number.isSafeInteger(value)) throw invalid(path, `${value} is beyond 2^53 and may have been rounded; write 64-bit integers as strings (e.g. "9007199254740993")`);
        n = BigInt(value);
      } else if (typeof value === "string" && INTEGER.test(value)) {
        n = BigInt(value);
      } else {
        break;
      }
      const text = n.toString();
      if (n < range[0] || n > range[1]) throw invalid(path, `${typeof value === "string" ? value : text} is out of range for ${type} ${label}`);
      // 64-bit values stay strings: protobufjs parses them with Long, without losing digits.
      return field.long ? text : Number(text);
    }
  }
  throw invalid(path, `expected ${EXPECTED[type] ?? type} for ${label} (got ${describe(value)})`);
}

const EXPECTED: Readonly<Record<string, string>> = Object.freeze({
  string: "a string",
  bool: "true or false",
  double: "a number",
  float: "a number",
  bytes: "a base64 string",
});

// ---- loading --------------------------------------------------------------------------------------

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first readable `dir/file`, as an absolute path so one file is never loaded twice under two spellings. */
function findFile(file: string, dirs: readonly string[]): string | undefined {
  if (isAbsolute(file)) return readable(file) ? file : undefined;
  for (const dir of dirs) {
    const path = resolve(join(dir, file));
    if (readable(path)) return path;
  }
  return undefined;
}

/** Ours (a file not found), or a syntax error, which protobufjs ends with `(line N)` or `(file, line N)`. */
function loadError(error: unknown, current: string): InvalidInputError | undefined {
  if (error instanceof InvalidInputError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const at = /\s*\((?:(.+), )?line (\d+)\)$/.exec(message);
  if (at === null) return undefined;
  return new InvalidInputError([{ file: at[1] ?? current, location: at[2] as string, message: message.slice(0, at.index) }], { cause: error });
}

/**
 * Resolving names only the type it misses, not the file; find the field or method that refers to
 * it, and its file. Anything else (a duplicate name, ...) is put on the file being read.
 */
function resolveError(root: protobuf.Root, error: unknown, current: string): InvalidInputError {
  const message = error instanceof Error ? error.message : String(error);
  if (!message.startsWith("no such ")) return new InvalidInputError([{ file: current, message }], { cause: error });
  for (const object of allObjects(root)) {
    const refs: Array<protobuf.Field | protobuf.Method> = object instanceof protobuf.Type ? object.fieldsArray : object instanceof protobuf.Service ? object.methodsArray : [];
    for (const ref of refs) {
      try {
        ref.resolve();
      } catch (cause) {
        const detail = cause instanceof Error ? cause.message : String(cause);
        return new InvalidInputError([{ file: ref.filename ?? object.filename ?? current, message: `${typeName(ref)}: ${detail}` }], { cause });
      }
    }
  }
  return new InvalidInputError([{ file: current, message }], { cause: error });
}

function* allObjects(namespace: protobuf.NamespaceBase): Generator<protobuf.ReflectionObject> {
  for (const object of namespace.nestedArray) {
    yield object;
    if (object instanceof protobuf.Namespace || object instanceof protobuf.Type || object instanceof protobuf.Service) yield* allObjects(object);
  }
}

function* allServices(root: protobuf.Root): Generator<protobuf.Service> {
  for (const object of allObjects(root)) if (object instanceof protobuf.Service) yield object;
}

function listed(lead: string, names: readonly string[], none: string): string {
  if (names.length === 0) return none;
  const shown = names.slice(0, 8).join(", ");
  return `${lead} ${shown}${names.length > 8 ? `, and ${names.length - 8} more` : ""}`;
}
