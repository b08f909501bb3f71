import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer as createHttp2Server } from "node:http2";
import { createServer, type AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Server, ServerCredentials, status, type ServerDuplexStream, type ServerUnaryCall, type ServiceDefinition, type sendUnaryData } from "@grpc/grpc-js";
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { InvalidInputError } from "@parallax/protocol";
import type protobuf from "protobufjs";
import { prepareGrpcCall, preparedGrpcRequest } from "../src/grpc/call.js";
import { GrpcTarget } from "../src/grpc/grpc-target.js";
import { loadProtos, type ProtoRegistry } from "../src/grpc/protos.js";
import { protosByReflection, type ReflectionOptions } from "../src/grpc/reflection.js";

const FIXTURES = resolve(fileURLToPath(new URL("./fixtures/grpc", import.meta.url)));
const IMPORTS = join(FIXTURES, "imports");
const require = createRequire(import.meta.url);
const TIMEOUT_MS = 5000;

// ---- servers ---------------------------------------------------------------------------------------

const servers: Server[] = [];
after(() => servers.forEach((server) => server.forceShutdown()));

async function listen(server: Server, credentials = ServerCredentials.createInsecure()): Promise<number> {
  servers.push(server);
  return new Promise<number>((ok, fail) => server.bindAsync("127.0.0.1:0", credentials, (error, port) => (error ? fail(error) : ok(port))));
}

/** The server side reads the protos with @grpc/proto-loader, independently of the code under test. */
function definitionOf(file: string): PackageDefinition {
  return loadSync(file, { includeDirs: [FIXTURES, IMPORTS], keepCase: true, longs: String, enums: String });
}

interface InferRequest { model_name: string; id: string; parameters: Record<string, unknown>; inputs: Array<{ shape: string[]; contents?: unknown }>; raw_input_contents: Buffer[] }

/** A model server that echoes the request, so a response has maps, int64s, enums and bytes to decode. */
async function inferenceServer(reflection: "v1 and v1alpha" | "v1alpha only" | "none", credentials?: ServerCredentials): Promise<number> {
  const definition = definitionOf("inference.proto");
  const server = new Server();
  server.addService(definition["inference.GRPCInferenceService"] as ServiceDefinition, {
    ModelInfer: (call: ServerUnaryCall<InferRequest, unknown>, callback: sendUnaryData<unknown>) => {
      const { model_name, id, parameters, inputs, raw_input_contents } = call.request;
      callback(null, { model_name, id, parameters, outputs: inputs.map((input) => ({ name: "echo", datatype: "INT64", shape: input.shape, contents: input.contents })), raw_output_contents: raw_input_contents, precision: "FP16" });
    },
  });
  const service = new ReflectionService(definition);
  if (reflection === "v1 and v1alpha") service.addToServer(server);
  if (reflection === "v1alpha only") {
    service.addToServer({
      addService: (definition, implementation) => {
        if (Object.values(definition).every((method) => method.path.startsWith("/grpc.reflection.v1alpha."))) server.addService(definition, implementation);
      },
    });
  }
  return listen(server, credentials);
}

/** Only the reflection service, over the protos of `file`. */
async function reflectionServer(file: string): Promise<number> {
  const definition = definitionOf(file);
  const server = new Server();
  new ReflectionService(definition).addToServer(server);
  return listen(server);
}

// A server that answers as grpc-go or grpc-java do from protoc's descriptors, unlike
// @grpc/reflection (which rebuilds them with protobufjs): proto field names, fully-qualified type
// names, `...Entry` map messages, proto3 `optional` flagged, imports listed in `dependency` but
// not sent along, well-known files not known at all, and the reflection service itself listed.
const descriptorTypes = require("protobufjs/ext/descriptor") as { FileDescriptorProto: protobuf.Type };
const encodeFile = (file: Record<string, unknown>) => Buffer.from(descriptorTypes.FileDescriptorProto.encode(descriptorTypes.FileDescriptorProto.fromObject(file)).finish());
const OPTIONAL = "LABEL_OPTIONAL";
const field = (name: string, number: number, type: string, more: Record<string, unknown> = {}) => ({ name, number, label: OPTIONAL, type, jsonName: name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), ...more });
const PROTOC_FILES: Readonly<Record<string, Buffer>> = {
  "catalog.proto": encodeFile({
    name: "catalog.proto",
    package: "catalog.v1",
    dependency: ["google/protobuf/empty.proto", "google/protobuf/timestamp.proto", "google/protobuf/wrappers.proto", "money/money.proto"],
    messageType: [
      { name: "GetItemRequest", field: [field("item_id", 1, "TYPE_STRING")] },
      {
        name: "Item",
        field: [
          field("item_id", 1, "TYPE_STRING"),
          field("kind", 2, "TYPE_ENUM", { typeName: ".catalog.v1.Item.Kind" }),
          field("note", 3, "TYPE_STRING", { oneofIndex: 1, proto3Optional: true }),
          field("prices", 4, "TYPE_MESSAGE", { label: "LABEL_REPEATED", typeName: ".catalog.v1.Item.PricesEntry" }),
          field("kinds_by_shelf", 5, "TYPE_MESSAGE", { label: "LABEL_REPEATED", typeName: ".catalog.v1.Item.KindsByShelfEntry" }),
          field("updated_at", 6, "TYPE_MESSAGE", { typeName: ".google.protobuf.Timestamp" }),
          field("stock", 7, "TYPE_MESSAGE", { typeName: ".google.protobuf.Int64Value" }),
          field("vendor", 8, "TYPE_STRING", { oneofIndex: 0 }),
          field("batch", 9, "TYPE_INT64", { oneofIndex: 0 }),
          field("ratings", 10, "TYPE_INT32", { label: "LABEL_REPEATED" }),
          field("display_name", 11, "TYPE_STRING", { jsonName: "title" }),
        ],
        nestedType: [
          { name: "PricesEntry", field: [field("key", 1, "TYPE_STRING"), field("value", 2, "TYPE_MESSAGE", { typeName: ".money.Money" })], options: { mapEntry: true } },
          { name: "KindsByShelfEntry", field: [field("key", 1, "TYPE_INT32"), field("value", 2, "TYPE_ENUM", { typeName: ".catalog.v1.Item.Kind" })], options: { mapEntry: true } },
        ],
        enumType: [{ name: "Kind", value: [{ name: "KIND_UNSPECIFIED", number: 0 }, { name: "BOOK", number: 1 }, { name: "GAME", number: 2 }] }],
        oneofDecl: [{ name: "source" }, { name: "_note" }],
      },
      { name: "PurgeRequest", field: [field("dry_run", 1, "TYPE_BOOL")] },
    ],
    service: [
      {
        name: "Catalog",
        method: [
          { name: "GetItem", inputType: ".catalog.v1.GetItemRequest", outputType: ".catalog.v1.Item", options: { idempotencyLevel: "NO_SIDE_EFFECTS" } },
          { name: "PutItem", inputType: ".catalog.v1.Item", outputType: ".google.protobuf.Empty", options: { idempotencyLevel: "IDEMPOTENT" } },
          { name: "Upload", inputType: ".catalog.v1.Item", outputType: ".google.protobuf.Empty", clientStreaming: true },
        ],
      },
      { name: "Admin", method: [{ name: "Purge", inputType: ".catalog.v1.PurgeRequest", outputType: ".google.protobuf.Empty" }] },
    ],
    syntax: "proto3",
  }),
  "money/money.proto": encodeFile({
    name: "money/money.proto",
    package: "money",
    messageType: [{ name: "Money", field: [field("currency_code", 1, "TYPE_STRING"), field("units", 2, "TYPE_INT64"), field("nanos", 3, "TYPE_INT32")] }],
    syntax: "proto3",
  }),
};

interface ReflectionRequestObject { listServices?: string; fileContainingSymbol?: string; fileByFilename?: string }

/**
 * Every request it was sent, as `kind:argument`; answers only with `authorization: Bearer secret`,
 * and never when silent. `alsoLists` is a service it lists but has no file for.
 */
async function protocStyleServer(behaviour: { silent?: boolean; alsoLists?: string } = {}): Promise<{ port: number; requests: string[] }> {
  const protoPath = join(dirname(require.resolve("@grpc/reflection")), "../proto/grpc/reflection/v1/reflection.proto");
  const definition = loadSync(protoPath, { keepCase: false, longs: String, enums: String, oneofs: true });
  const requests: string[] = [];
  const server = new Server();
  server.addService(definition["grpc.reflection.v1.ServerReflection"] as ServiceDefinition, {
    ServerReflectionInfo: (call: ServerDuplexStream<ReflectionRequestObject, unknown>) => {
      if (call.metadata.get("authorization")[0] !== "Bearer secret") return call.emit("error", { code: status.UNAUTHENTICATED, details: "no token" });
      call.on("end", () => call.end());
      call.on("data", (request: ReflectionRequestObject) => {
        if (behaviour.silent) return;
        const files = (...names: string[]) => call.write({ fileDescriptorResponse: { fileDescriptorProto: names.map((name) => PROTOC_FILES[name]) } });
        const notFound = (what: string) => call.write({ errorResponse: { errorCode: status.NOT_FOUND, errorMessage: `${what} not found` } });
        if (request.listServices !== undefined) {
          requests.push("list");
          const listed = ["catalog.v1.Catalog", "catalog.v1.Admin", "grpc.reflection.v1.ServerReflection", ...(behaviour.alsoLists ? [behaviour.alsoLists] : [])];
          call.write({ listServicesResponse: { service: listed.map((name) => ({ name })) } });
        } else if (request.fileContainingSymbol !== undefined) {
          requests.push(`symbol:${request.fileContainingSymbol}`);
          if (/^catalog\.v1\.(Catalog|Admin)$/.test(request.fileContainingSymbol)) files("catalog.proto");
          else notFound(request.fileContainingSymbol);
        } else if (request.fileByFilename !== undefined) {
          requests.push(`file:${request.fileByFilename}`);
          if (PROTOC_FILES[request.fileByFilename] !== undefined) files(request.fileByFilename);
          else notFound(request.fileByFilename);
        }
      });
    },
  });
  return { port: await listen(server), requests };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, "127.0.0.1", ok));
  const { port } = probe.address() as AddressInfo;
  await new Promise((ok) => probe.close(ok));
  return port;
}

// ---- helpers -----------------------------------------------------------------------------------------

const reflect = (port: number, options: Partial<ReflectionOptions> = {}) => protosByReflection({ url: `grpc://127.0.0.1:${port}`, timeoutMs: TIMEOUT_MS, location: "targets.production.url", ...options });

/** What a registry says of every method, in a stable order. */
function methodsOf(registry: ProtoRegistry): string[][] {
  return registry
    .methods()
    .map((m) => [m.name, m.path, m.kind, m.idempotency, m.requestType, m.responseType])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

function method(registry: ProtoRegistry, name: string) {
  const found = registry.lookup(name);
  assert.ok(found.ok, `${name}: ${found.ok ? "" : found.message}`);
  return found.method;
}

/** The one issue of the InvalidInputError a promise rejects with. */
async function issueOf(promise: Promise<unknown>): Promise<{ location?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, String(error));
    assert.equal(error.issues.length, 1);
    return error.issues[0] as { location?: string; message: string };
  }
  assert.fail("protosByReflection should have failed");
}

const INFER = "inference.GRPCInferenceService/ModelInfer";
const INFER_MESSAGE = {
  model_name: "adder",
  id: "req-1",
  parameters: { tenant: { string_param: "acme" }, big: { int64_param: "9007199254740993" } },
  inputs: [{ name: "a", datatype: "INT64", shape: ["2"], parameters: { p: { bool_param: true } }, contents: { int64_contents: ["1", "-2"], fp32_contents: [1.5] } }],
  raw_input_contents: ["AQID"],
};

const ITEM = {
  item_id: "sku-1",
  kind: "GAME",
  note: "",
  prices: { EUR: { currency_code: "EUR", units: "9007199254740993", nanos: 5 } },
  kinds_by_shelf: { 3: "BOOK" },
  updated_at: { seconds: "1700000000", nanos: 7 },
  stock: { value: "42" },
  batch: "12",
  ratings: [5, 4],
  display_name: "Chess",
};

/** Item as decodeResponse gives it from either registry: maps as objects, `note` present though empty, `vendor` absent. */
const ITEM_JSON = {
  itemId: "sku-1",
  kind: "GAME",
  note: "",
  prices: { EUR: { currencyCode: "EUR", units: "9007199254740993", nanos: 5 } },
  kindsByShelf: { 3: "BOOK" },
  // Well-known types in their proto3 JSON forms.
  updatedAt: "2023-11-14T22:13:20.000000007Z",
  stock: "42",
  batch: "12",
  ratings: [5, 4],
  title: "Chess",
};

const CATALOG_METHODS = [
  ["catalog.v1.Admin/Purge", "/catalog.v1.Admin/Purge", "unary", "IDEMPOTENCY_UNKNOWN", "catalog.v1.PurgeRequest", "google.protobuf.Empty"],
  ["catalog.v1.Catalog/GetItem", "/catalog.v1.Catalog/GetItem", "unary", "NO_SIDE_EFFECTS", "catalog.v1.GetItemRequest", "catalog.v1.Item"],
  ["catalog.v1.Catalog/PutItem", "/catalog.v1.Catalog/PutItem", "unary", "IDEMPOTENT", "catalog.v1.Item", "google.protobuf.Empty"],
  ["catalog.v1.Catalog/Upload", "/catalog.v1.Catalog/Upload", "client-streaming", "IDEMPOTENCY_UNKNOWN", "catalog.v1.Item", "google.protobuf.Empty"],
];

/** The reflected registry reads and writes Items exactly as the one loaded from catalog.proto. */
/**
 * `keepsJsonName` false: @grpc/reflection rebuilds descriptors with protobufjs, which does not carry
 * `json_name` ("Not supported" in protobufjs/ext/descriptor), so `title` reads as `displayName`.
 */
function assertCatalogLikeFiles(reflected: ProtoRegistry, keepsJsonName = true): void {
  const asServed = (json: unknown) => {
    if (keepsJsonName || typeof json !== "object" || json === null) return json;
    const { title, ...rest } = json as Record<string, unknown>;
    return { ...rest, displayName: title };
  };
  const files = loadProtos({ files: ["catalog.proto"], importPaths: [FIXTURES, IMPORTS] });
  assert.deepEqual(methodsOf(files), CATALOG_METHODS, "the file-loaded reference itself");
  assert.deepEqual(methodsOf(reflected), CATALOG_METHODS);
  const put = { files: method(files, "catalog.v1.Catalog/PutItem"), reflected: method(reflected, "catalog.v1.Catalog/PutItem") };
  const get = { files: method(files, "catalog.v1.Catalog/GetItem"), reflected: method(reflected, "catalog.v1.Catalog/GetItem") };
  const bytes = put.reflected.encodeRequest(ITEM);
  assert.deepEqual(bytes, put.files.encodeRequest(ITEM));
  assert.deepEqual(get.reflected.decodeResponse(bytes), asServed(get.files.decodeResponse(bytes)));
  assert.deepEqual(get.reflected.decodeResponse(bytes), asServed(ITEM_JSON));
  // Unset fields come out alike too (defaults, null messages, absent oneof members).
  assert.deepEqual(get.reflected.decodeResponse(new Uint8Array()), asServed(get.files.decodeResponse(new Uint8Array())));
  // And the same input is refused with the same words.
  for (const bad of [{ prices: [] }, { kind: "MOVIE" }, { vendor: "x", batch: "1" }, { item_id: 1 }]) {
    assert.throws(() => put.reflected.encodeRequest(bad), (error: Error) => {
      assert.throws(() => put.files.encodeRequest(bad), { message: error.message });
      return true;
    });
  }
}

// ---- tests -------------------------------------------------------------------------------------------

describe("protosByReflection", () => {
  it("lists the same services and methods as loadProtos of the same file, streaming kinds and idempotency levels included", async () => {
    const reflected = await reflect(await inferenceServer("v1 and v1alpha"));
    const files = loadProtos({ files: ["inference.proto"], importPaths: [FIXTURES, IMPORTS] });
    assert.deepEqual(reflected.services(), ["inference.GRPCInferenceService"]);
    assert.deepEqual(methodsOf(reflected), methodsOf(files));
    assert.deepEqual(Object.fromEntries(reflected.methods().map((m) => [m.method, [m.kind, m.idempotency]])), {
      ServerLive: ["unary", "NO_SIDE_EFFECTS"],
      ModelReady: ["unary", "IDEMPOTENT"],
      ModelInfer: ["unary", "IDEMPOTENCY_UNKNOWN"],
      ModelStreamInfer: ["bidi-streaming", "IDEMPOTENCY_UNKNOWN"],
      ModelWatch: ["server-streaming", "IDEMPOTENCY_UNKNOWN"],
    });
    assert.equal(reflected.unaryMethod("inference.GRPCInferenceService/ModelWatch").ok, false);
  });

  it("encodes requests to the bytes the file-loaded registry does, and a real call through it gets the same outcome", async () => {
    const port = await inferenceServer("v1 and v1alpha");
    const reflected = method(await reflect(port), INFER);
    const files = method(loadProtos({ files: ["inference.proto"], importPaths: [FIXTURES, IMPORTS] }), INFER);
    const bytes = reflected.encodeRequest(INFER_MESSAGE);
    assert.deepEqual(bytes, files.encodeRequest(INFER_MESSAGE));

    const target = new GrpcTarget({ name: "production", url: `grpc://127.0.0.1:${port}`, timeoutMs: TIMEOUT_MS, keepHeaders: [], maxBodyBytes: 1 << 20 });
    try {
      const send = (m: typeof reflected) => target.send(preparedGrpcRequest(prepareGrpcCall(m, { message: INFER_MESSAGE, metadata: {} }, { runId: "run-1" }), { index: 0, offsetMs: 0, method: "POST", path: `/${INFER}`, headers: [] }));
      const viaReflection = await send(reflected);
      assert.ok(viaReflection.ok && viaReflection.status === 200, JSON.stringify(viaReflection));
      const body = JSON.parse(new TextDecoder().decode(viaReflection.body)) as { modelName: string; parameters: unknown; outputs: Array<{ contents: { int64Contents: string[] } }> };
      assert.equal(body.modelName, "adder");
      assert.deepEqual(body.parameters, { tenant: { stringParam: "acme" }, big: { int64Param: "9007199254740993" } });
      assert.deepEqual(body.outputs[0]?.contents.int64Contents, ["1", "-2"]);
      assert.deepEqual(viaReflection, await send(files));
    } finally {
      await target.close();
    }
  });

  it("fetches imports of another package and well-known types from @grpc/reflection, and reads messages as the files do", async () => {
    const reflected = await reflect(await reflectionServer("catalog.proto"));
    assert.deepEqual(reflected.services(), ["catalog.v1.Catalog", "catalog.v1.Admin"]);
    assertCatalogLikeFiles(reflected, false);
  });

  it("asks a server that sends no imports for each by file name, and fills in well-known files it does not have", async () => {
    const { port, requests } = await protocStyleServer();
    const reflected = await reflect(port, { metadata: { Authorization: "Bearer secret" } });
    assertCatalogLikeFiles(reflected);
    assert.deepEqual(reflected.files, ["catalog.proto", "money/money.proto"]);
    // The reflection service is listed but not asked for; each import is asked for once.
    assert.deepEqual(requests, [
      "list",
      "symbol:catalog.v1.Catalog",
      "symbol:catalog.v1.Admin",
      "file:google/protobuf/empty.proto",
      "file:google/protobuf/timestamp.proto",
      "file:google/protobuf/wrappers.proto",
      "file:money/money.proto",
    ]);
  });

  it("keeps idempotency next to a custom method option, filling in google/protobuf/descriptor.proto for its extension", async () => {
    const reflected = await reflect(await reflectionServer("options.proto"));
    const now = method(reflected, "custom.Clock/Now");
    assert.equal(now.idempotency, "NO_SIDE_EFFECTS");
    assert.deepEqual(now.decodeResponse(now.encodeRequest({ seconds: "1700000000", nanos: 5 })), "2023-11-14T22:13:20.000000005Z");
  });

  it("falls back to grpc.reflection.v1alpha when v1 is UNIMPLEMENTED", async () => {
    const reflected = await reflect(await inferenceServer("v1alpha only"));
    assert.deepEqual(reflected.services(), ["inference.GRPCInferenceService"]);
    assert.equal(method(reflected, "inference.GRPCInferenceService/ServerLive").idempotency, "NO_SIDE_EFFECTS");
  });

  it("reflects over TLS to a pinned address, as the target connects", async () => {
    const cert = readFileSync(join(FIXTURES, "server.crt"));
    const port = await inferenceServer("v1 and v1alpha", ServerCredentials.createSsl(null, [{ private_key: readFileSync(join(FIXTURES, "server.key")), cert_chain: cert }], false));
    // `.test` never resolves: only the pinned address reaches the server.
    const url = `grpcs://grpc.parallax.test:${port}`;
    const reflected = await protosByReflection({ url, addresses: ["127.0.0.1"], tls: { ca: cert }, timeoutMs: TIMEOUT_MS, location: "targets.production.url" });
    assert.deepEqual(reflected.services(), ["inference.GRPCInferenceService"]);
    const untrusted = await issueOf(protosByReflection({ url, addresses: ["127.0.0.1"], timeoutMs: TIMEOUT_MS, location: "targets.production.url" }));
    assert.match(untrusted.message, new RegExp(`^could not reach ${url.replace(/\./g, "\\.")}: .+ \\(server reflection needs the target up; or give --proto\\)$`));
  });

  it("says a server without reflection does not offer it (UNIMPLEMENTED), pointing at --proto", async () => {
    const port = await inferenceServer("none");
    assert.deepEqual(await issueOf(reflect(port)), {
      location: "targets.production.url",
      message: `grpc://127.0.0.1:${port} does not offer server reflection (UNIMPLEMENTED); give the protos with --proto`,
    });
  });

  it("says a closed port could not be reached", async () => {
    const port = await freePort();
    assert.deepEqual(await issueOf(reflect(port)), {
      location: "targets.production.url",
      message: `could not reach grpc://127.0.0.1:${port}: ECONNREFUSED (server reflection needs the target up; or give --proto)`,
    });
  });

  it("says an HTTP/2 server that is no gRPC server answered with HTTP, not gRPC", async () => {
    const web = createHttp2Server((_request, response) => {
      response.statusCode = 404;
      response.end();
    });
    await new Promise<void>((ok) => web.listen(0, "127.0.0.1", ok));
    try {
      const { port } = web.address() as AddressInfo;
      assert.deepEqual(await issueOf(reflect(port)), {
        location: "targets.production.url",
        message: `grpc://127.0.0.1:${port} answered server reflection with HTTP 404, not gRPC (no gRPC server there, or a proxy that does not route reflection); give the protos with --proto`,
      });
    } finally {
      await new Promise((ok) => web.close(ok));
    }
  });

  it("says when the server refuses reflection without credentials, does not answer within the deadline, or cannot describe a service it lists", async () => {
    const { port } = await protocStyleServer();
    assert.deepEqual(await issueOf(reflect(port)), {
      location: "targets.production.url",
      message: `grpc://127.0.0.1:${port} refused server reflection (UNAUTHENTICATED: no token); check the metadata sent to it, or give the protos with --proto`,
    });
    const silent = await protocStyleServer({ silent: true });
    assert.deepEqual(await issueOf(reflect(silent.port, { timeoutMs: 200, metadata: { authorization: "Bearer secret" } })), {
      location: "targets.production.url",
      message: `server reflection on grpc://127.0.0.1:${silent.port} did not finish within 200 ms; give the protos with --proto`,
    });
    const partial = await protocStyleServer({ alsoLists: "catalog.v1.Ghost" });
    assert.deepEqual(await issueOf(reflect(partial.port, { metadata: { authorization: "Bearer secret" } })), {
      location: "targets.production.url",
      message: `server reflection on grpc://127.0.0.1:${partial.port} did not give service catalog.v1.Ghost (NOT_FOUND: catalog.v1.Ghost not found); give the protos with --proto`,
    });
  });

  it("rejects a URL that is not grpc:// or grpcs:// before connecting", async () => {
    assert.deepEqual(await issueOf(protosByReflection({ url: "http://127.0.0.1:1", timeoutMs: TIMEOUT_MS, location: "targets.production.url" })), {
      location: "targets.production.url",
      message: '"http://127.0.0.1:1" is not a gRPC URL; expected grpc://host:port or grpcs://host:port',
    });
  });
});
