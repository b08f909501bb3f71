// FileDescriptorProtos, as server reflection sends them, to a protobufjs Root shaped like the one
// loadProtos builds from the same .proto files.
//
// Not protobufjs/ext/descriptor's Root.fromDescriptor, which is lossy for us: it keeps the proto
// field and oneof names where loadProtos (keepCase: false) camel-cases them, so decoded responses
// would read `model_name` where recordings say `modelName`; it leaves map fields as repeated
// `...Entry` messages, which proto3 JSON writes as `[{key, value}]` rather than an object; and it
// misreads proto3 `optional`. It does keep `idempotency_level`; here that option is carried over
// explicitly, under the name `option idempotency_level = ...` gives it in a parsed .proto.

import { createRequire } from "node:module";
import protobuf from "protobufjs";
import { protocJsonName } from "./proto3-json.js";

/** `google.protobuf.FileDescriptorProto` as protobufjs' `toObject` gives it (enums by name, repeated fields always arrays). */
export interface FileDescriptor {
  readonly name?: string;
  readonly package?: string;
  readonly dependency: readonly string[];
  readonly messageType: readonly MessageDescriptor[];
  readonly enumType: readonly EnumDescriptor[];
  readonly service: readonly ServiceDescriptor[];
  readonly extension: readonly FieldDescriptor[];
  readonly syntax?: string;
  readonly edition?: string | number;
}

interface MessageDescriptor {
  readonly name?: string;
  readonly field: readonly FieldDescriptor[];
  readonly extension: readonly FieldDescriptor[];
  readonly nestedType: readonly MessageDescriptor[];
  readonly enumType: readonly EnumDescriptor[];
  readonly oneofDecl: ReadonlyArray<{ readonly name?: string }>;
  readonly options?: { readonly mapEntry?: boolean };
}

interface FieldDescriptor {
  readonly name?: string;
  readonly number?: number;
  readonly label?: string | number;
  readonly type?: string | number;
  readonly typeName?: string;
  readonly extendee?: string;
  readonly defaultValue?: string;
  readonly oneofIndex?: number;
  readonly proto3Optional?: boolean;
  /** protoc fills it in for every field; only one that differs from protoc's default was declared. */
  readonly jsonName?: string;
  readonly options?: { readonly packed?: boolean };
}

interface EnumDescriptor {
  readonly name?: string;
  readonly value: ReadonlyArray<{ readonly name?: string; readonly number?: number }>;
  readonly options?: { readonly allowAlias?: boolean };
}

interface ServiceDescriptor {
  readonly name?: string;
  readonly method: readonly MethodDescriptor[];
}

interface MethodDescriptor {
  readonly name?: string;
  readonly inputType?: string;
  readonly outputType?: string;
  readonly clientStreaming?: boolean;
  readonly serverStreaming?: boolean;
  readonly options?: { readonly deprecated?: boolean; readonly idempotencyLevel?: string | number };
}

// protobufjs' JSON descriptor, with the `edition` key its fromJSON reads but its typings omit.
type Options = Record<string, unknown>;
interface FieldJson { type: string; id: number; rule?: string; keyType?: string; extend?: string; options?: Options; edition?: string }
interface TypeJson { fields: Record<string, FieldJson>; oneofs?: Record<string, { oneof: string[] }>; nested?: Record<string, NestedJson>; group?: true; edition?: string }
interface EnumJson { values: Record<string, number>; options?: Options; edition?: string }
interface MethodJson { requestType: string; responseType: string; requestStream?: true; responseStream?: true; options?: Options }
interface ServiceJson { methods: Record<string, MethodJson>; edition?: string }
type NestedJson = TypeJson | EnumJson | ServiceJson | FieldJson;

const require = createRequire(import.meta.url);
/** The descriptor messages, as protobufjs ships them (the same file ext/descriptor reads). */
const DESCRIPTOR_JSON = require("protobufjs/google/protobuf/descriptor.json") as protobuf.INamespace;
const FileDescriptorProto = protobuf.Root.fromJSON(DESCRIPTOR_JSON).lookupType("google.protobuf.FileDescriptorProto");

/** Throws on bytes that are no FileDescriptorProto. */
export function decodeFileDescriptor(bytes: Uint8Array): FileDescriptor {
  // The schema fixes the shape the interfaces above describe.
  return FileDescriptorProto.toObject(FileDescriptorProto.decode(bytes), { enums: String, longs: String, arrays: true }) as FileDescriptor;
}

/** Files protobufjs bundles, for well-known imports a server may not send. */
const WELL_KNOWN: readonly protobuf.INamespace[] = [
  ...["any", "duration", "empty", "field_mask", "struct", "timestamp", "wrappers"].map((name) => protobuf.common.get(`google/protobuf/${name}.proto`)),
  DESCRIPTOR_JSON,
].filter((json): json is protobuf.INamespace => json !== null);

const SCALARS: Readonly<Record<string, string>> = Object.freeze({
  TYPE_DOUBLE: "double",
  TYPE_FLOAT: "float",
  TYPE_INT64: "int64",
  TYPE_UINT64: "uint64",
  TYPE_INT32: "int32",
  TYPE_FIXED64: "fixed64",
  TYPE_FIXED32: "fixed32",
  TYPE_BOOL: "bool",
  TYPE_STRING: "string",
  TYPE_BYTES: "bytes",
  TYPE_UINT32: "uint32",
  TYPE_SFIXED32: "sfixed32",
  TYPE_SFIXED64: "sfixed64",
  TYPE_SINT32: "sint32",
  TYPE_SINT64: "sint64",
});

/**
 * One Root from every file (dependencies included), with the well-known types the files refer to
 * but no file defines added from protobufjs' copies, resolved. Throws protobufjs' error when a
 * reference does not resolve or a name is defined twice.
 */
export function rootFromDescriptors(files: readonly FileDescriptor[]): protobuf.Root {
  const root = new protobuf.Root();
  for (const file of files) {
    const edition = editionOf(file);
    const scope = file.package ? `.${file.package}` : "";
    const nested: Record<string, NestedJson> = {};
    for (const message of file.messageType) nested[nameOf(message)] = { ...typeJson(message, `${scope}.${nameOf(message)}`), edition };
    for (const enumType of file.enumType) nested[nameOf(enumType)] = { ...enumJson(enumType), edition };
    for (const service of file.service) nested[nameOf(service)] = { ...serviceJson(service), edition };
    for (const extension of file.extension) nested[camelCase(nameOf(extension))] = { ...fieldJson(extension), edition };
    (file.package ? root.define(file.package) : root).addJSON(nested as NonNullable<protobuf.INamespace["nested"]>);
    if (file.name) root.files.push(file.name);
  }
  addWellKnownTypes(root, files);
  root.resolveAll();
  return root;
}

function editionOf(file: FileDescriptor): string {
  if (file.syntax === "proto3") return "proto3";
  // `EDITION_2023` → "2023", as a parsed `edition = "2023";` gives it; protobufjs refuses editions it does not know.
  if (file.syntax === "editions") return String(file.edition).replace(/^EDITION_/, "");
  return "proto2";
}

function nameOf(descriptor: { readonly name?: string }): string {
  if (!descriptor.name) throw new Error("a descriptor without a name");
  return descriptor.name;
}

/** As protobufjs' parser names fields and oneofs when keepCase is off (util.camelCase). */
function camelCase(name: string): string {
  return protobuf.util.camelCase(name);
}

function typeJson(message: MessageDescriptor, fullName: string): TypeJson {
  // Map fields refer to a nested `...Entry` message: fully qualified (protoc), or by its bare
  // name (@grpc/reflection, from protobufjs, whose entries are named after the field).
  const entries = new Map(message.nestedType.filter((n) => n.options?.mapEntry).map((n) => [nameOf(n), n]));
  const entryOf = (field: FieldDescriptor): MessageDescriptor | undefined => {
    if (field.label !== "LABEL_REPEATED" || field.type !== "TYPE_MESSAGE" || !field.typeName) return undefined;
    const prefix = [`${fullName}.`, `${fullName.slice(1)}.`].find((p) => field.typeName?.startsWith(p)) ?? "";
    return entries.get(field.typeName.slice(prefix.length));
  };
  const groups = new Set(message.field.filter((f) => f.type === "TYPE_GROUP" && f.typeName).map((f) => (f.typeName as string).split(".").pop()));

  const fields: Record<string, FieldJson> = {};
  const oneofs: Record<string, { oneof: string[] }> = {};
  for (const field of message.field) {
    const name = camelCase(nameOf(field));
    const entry = entryOf(field);
    if (entry !== undefined) {
      const key = entry.field.find((f) => f.number === 1);
      const value = entry.field.find((f) => f.number === 2);
      if (key === undefined || value === undefined) throw new Error(`map entry ${fullName}.${nameOf(entry)} has no key or value field`);
      fields[name] = { keyType: typeOf(key), type: typeOf(value), id: idOf(field) };
      continue;
    }
    fields[name] = fieldJson(field);
    if (field.oneofIndex !== undefined) {
      const oneofName = camelCase(nameOf(message.oneofDecl[field.oneofIndex] ?? {}));
      (oneofs[oneofName] ??= { oneof: [] }).oneof.push(name);
    }
  }
  const nested: Record<string, NestedJson> = {};
  for (const type of message.nestedType) {
    const name = nameOf(type);
    if (entries.has(name)) continue;
    nested[name] = groups.has(name) ? { ...typeJson(type, `${fullName}.${name}`), group: true } : typeJson(type, `${fullName}.${name}`);
  }
  for (const enumType of message.enumType) nested[nameOf(enumType)] = enumJson(enumType);
  for (const extension of message.extension) nested[camelCase(nameOf(extension))] = fieldJson(extension);
  return { fields, ...(Object.keys(oneofs).length > 0 && { oneofs }), ...(Object.keys(nested).length > 0 && { nested }) };
}

function fieldJson(field: FieldDescriptor): FieldJson {
  const json: FieldJson = { type: typeOf(field), id: idOf(field) };
  if (field.label === "LABEL_REPEATED") json.rule = "repeated";
  else if (field.label === "LABEL_REQUIRED") json.rule = "required";
  if (field.extendee) json.extend = field.extendee;
  const options: Options = {};
  if (field.options?.packed !== undefined) options["packed"] = field.options.packed;
  if (field.proto3Optional) options["proto3_optional"] = true;
  if (field.jsonName !== undefined && field.jsonName !== protocJsonName(nameOf(field))) options["json_name"] = field.jsonName;
  if (field.defaultValue !== undefined) {
    const value = defaultOf(field, field.defaultValue);
    if (value !== undefined) options["default"] = value;
  }
  if (Object.keys(options).length > 0) json.options = options;
  return json;
}

function typeOf(field: FieldDescriptor): string {
  if (field.type === "TYPE_MESSAGE" || field.type === "TYPE_ENUM" || field.type === "TYPE_GROUP" || (field.type === undefined && field.typeName)) {
    if (!field.typeName) throw new Error(`field ${nameOf(field)} has no type name`);
    return field.typeName;
  }
  const scalar = SCALARS[String(field.type)];
  if (scalar === undefined) throw new Error(`field ${nameOf(field)} has an unknown type ${String(field.type)}`);
  return scalar;
}

function idOf(field: FieldDescriptor): number {
  if (field.number === undefined) throw new Error(`field ${nameOf(field)} has no number`);
  return field.number;
}

/** A proto2 `[default = ...]` as the parser would give it; bytes defaults (C-escaped) are left out. */
function defaultOf(field: FieldDescriptor, text: string): unknown {
  switch (field.type) {
    case "TYPE_BOOL":
      return text === "true";
    case "TYPE_STRING":
    case "TYPE_ENUM":
      return text;
    case "TYPE_BYTES":
      return undefined;
    case "TYPE_DOUBLE":
    case "TYPE_FLOAT":
      return text === "inf" ? Infinity : text === "-inf" ? -Infinity : text === "nan" ? NaN : Number(text);
    default:
      // 64-bit values stay strings: protobufjs reads them with Long, without losing digits.
      return /64$/.test(String(field.type)) ? text : Number(text);
  }
}

function enumJson(enumType: EnumDescriptor): EnumJson {
  const values: Record<string, number> = {};
  for (const value of enumType.value) values[nameOf(value)] = value.number ?? 0;
  return enumType.options?.allowAlias ? { values, options: { allow_alias: true } } : { values };
}

const IDEMPOTENCY_LEVELS: ReadonlySet<unknown> = new Set(["NO_SIDE_EFFECTS", "IDEMPOTENT"]);

function serviceJson(service: ServiceDescriptor): ServiceJson {
  const methods: Record<string, MethodJson> = {};
  for (const method of service.method) {
    if (!method.inputType || !method.outputType) throw new Error(`method ${nameOf(service)}.${nameOf(method)} has no request or response type`);
    const json: MethodJson = { requestType: method.inputType, responseType: method.outputType };
    if (method.clientStreaming) json.requestStream = true;
    if (method.serverStreaming) json.responseStream = true;
    // Field 34 of MethodOptions, under the name protobufjs' parser gives `option idempotency_level`.
    const options: Options = {};
    if (method.options?.deprecated) options["deprecated"] = true;
    if (IDEMPOTENCY_LEVELS.has(method.options?.idempotencyLevel)) options["idempotency_level"] = method.options?.idempotencyLevel;
    if (Object.keys(options).length > 0) json.options = options;
    methods[nameOf(method)] = json;
  }
  return { methods };
}

/**
 * Well-known types (google/protobuf/*.proto) that some reference names but no file defines: a
 * server may leave them out, or name them only in `dependency`. protobufjs has its own copies,
 * as it does when it loads .proto files.
 */
function addWellKnownTypes(root: protobuf.Root, files: readonly FileDescriptor[]): void {
  const references = new Set<string>();
  const note = (...names: Array<string | undefined>) => {
    for (const name of names) {
      const at = name?.indexOf("google.protobuf.") ?? -1;
      if (name !== undefined && at >= 0) references.add(name.slice(at + "google.protobuf.".length).split(".")[0] as string);
    }
  };
  const visit = (message: MessageDescriptor) => {
    for (const field of [...message.field, ...message.extension]) note(field.typeName, field.extendee);
    message.nestedType.forEach(visit);
  };
  for (const file of files) {
    file.messageType.forEach(visit);
    for (const field of file.extension) note(field.typeName, field.extendee);
    for (const method of file.service.flatMap((s) => s.method)) note(method.inputType, method.outputType);
  }
  if (references.size === 0) return;
  for (const json of WELL_KNOWN) {
    const types = (json.nested?.["google"] as protobuf.INamespace | undefined)?.nested?.["protobuf"] as protobuf.INamespace | undefined;
    const defined = root.lookup(".google.protobuf") as protobuf.Namespace | null;
    const missing = Object.entries(types?.nested ?? {}).filter(([name]) => defined?.get(name) == null);
    // A file's types go in together: they refer to one another.
    if (!missing.some(([name]) => references.has(name))) continue;
    root.define("google.protobuf").addJSON(Object.fromEntries(missing));
  }
}

/** Removes every service not named; returns the named ones the root does not define. */
export function keepServices(root: protobuf.Root, names: readonly string[]): string[] {
  const wanted = new Set(names);
  const found = new Set<string>();
  const services: protobuf.Service[] = [];
  const visit = (namespace: protobuf.NamespaceBase) => {
    for (const object of namespace.nestedArray) {
      if (object instanceof protobuf.Service) services.push(object);
      else if (object instanceof protobuf.Namespace) visit(object);
    }
  };
  visit(root);
  for (const service of services) {
    const name = service.fullName.slice(1);
    if (wanted.has(name)) found.add(name);
    else service.parent?.remove(service);
  }
  return names.filter((name) => !found.has(name));
}
