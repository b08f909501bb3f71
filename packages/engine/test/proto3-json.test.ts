// The proto3 JSON forms of well-known types and json_name, both ways, with the exact strings the
// proto3 JSON mapping specifies (https://protobuf.dev/programming-guides/json/).
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { InvalidInputError, REDACTED } from "@parallax/protocol";
import protobuf from "protobufjs";
import { toProto3Json } from "../src/grpc/proto3-json.js";
import { loadProtos, type GrpcMethod } from "../src/grpc/protos.js";

const FIXTURES = resolve(fileURLToPath(new URL("./fixtures/grpc", import.meta.url)));
const echo = (() => {
  const found = loadProtos({ files: ["wellknown.proto"], importPaths: [FIXTURES] }).unaryMethod("wk.Echo/Echo");
  assert.ok(found.ok);
  return found.method;
})();
const roundTrip = (method: GrpcMethod, message: unknown) => method.decodeResponse(method.encodeRequest(message));

/** An Everything with nothing set, as decoded: unset messages null, lists and maps empty, the string "". */
const EMPTY = {
  at: null, took: null, mask: null, attrs: null, anything: null, list: null, score: null, big: null, blob: null, flag: null,
  history: [], timeouts: {}, uid: "", child: null, nothing: null, values: [], field1: "", swapB: "", swapA: "", packed: null,
};

describe("proto3 JSON of well-known types and json_name", () => {
  it("reads and writes every special form", () => {
    // Written as protojson writes them, these come back unchanged.
    const canonical = {
      at: "1972-01-01T10:00:20.021Z",
      took: "1.000340012s",
      mask: "f.fooBar,h",
      attrs: { a: 1, b: [true, null, "x"], c: { d: 2.5 } },
      anything: "text",
      list: [1, "two", {}],
      score: 0.5,
      big: "18446744073709551615",
      blob: "AQID",
      // A wrapper that is set holds its value even when it is the default: false, not null.
      flag: false,
      history: ["1970-01-01T00:00:00Z", "2024-02-29T23:59:59.999999Z", "0001-01-01T00:00:00Z"],
      timeouts: { read: "3s", write: "-0.500s" },
      uid: "u-1",
      nothing: {},
    };
    const decoded = roundTrip(echo, { ...canonical, timeouts: { read: "3s", write: "-0.5s" }, child: { at: "2024-05-01T12:00:00+02:00", user_id: "u-2" } });
    assert.deepEqual(decoded, { ...EMPTY, ...canonical, child: { ...EMPTY, at: "2024-05-01T10:00:00Z", uid: "u-2" } });
  });

  it("writes fractions in 0, 3, 6 or 9 digits, and a negative Duration's sign once", () => {
    const at = (text: string) => (roundTrip(echo, { at: text }) as { at: unknown }).at;
    const took = (text: string) => (roundTrip(echo, { took: text }) as { took: unknown }).took;
    assert.deepEqual(["2024-01-01T00:00:00.5Z", "2024-01-01T00:00:00.1234Z", "2024-01-01T00:00:00.000000001Z", "1969-12-31T23:59:59.9Z"].map(at), [
      "2024-01-01T00:00:00.500Z",
      "2024-01-01T00:00:00.123400Z",
      "2024-01-01T00:00:00.000000001Z",
      "1969-12-31T23:59:59.900Z",
    ]);
    assert.deepEqual(["0s", "-1.5s", "-0.000001s", "315576000000s"].map(took), ["0s", "-1.500s", "-0.000001s", "315576000000s"]);
  });

  it("still reads the message forms of Timestamp, Duration, FieldMask and wrappers, and every name of a json_name field", () => {
    assert.deepEqual(roundTrip(echo, { at: { seconds: "0", nanos: 0 }, took: { seconds: 2 }, mask: { paths: ["user.display_name"] }, score: { value: 1 } }), {
      ...EMPTY,
      at: "1970-01-01T00:00:00Z",
      took: "2s",
      mask: "user.displayName",
      score: 1,
    });
    for (const name of ["uid", "user_id", "userId"]) assert.deepEqual(roundTrip(echo, { [name]: "u" }), { ...EMPTY, uid: "u" });
  });

  it("keeps every field when json_names swap two fields' names, and names field_1 field1 as protoc does", () => {
    assert.deepEqual(roundTrip(echo, { swap_a: "A", swap_b: "B", field_1: "one" }), { ...EMPTY, swapB: "A", swapA: "B", field1: "one" });
    // Recorded under their JSON names, as grpcurl writes them, they go to the same fields.
    assert.deepEqual(roundTrip(echo, { swapB: "A", swapA: "B", field1: "one" }), { ...EMPTY, swapB: "A", swapA: "B", field1: "one" });
  });

  it("takes null for a repeated Value as the empty list, and a null element as NULL_VALUE", () => {
    assert.deepEqual(roundTrip(echo, { values: null }), EMPTY);
    assert.deepEqual(roundTrip(echo, { values: [null, 1] }), { ...EMPTY, values: [null, 1] });
  });

  it("sends a google.protobuf.Value given as null as NULL_VALUE, not as unset", () => {
    assert.deepEqual(roundTrip(echo, { anything: null }), { ...EMPTY, anything: null });
    const bytes = echo.encodeRequest({ anything: null });
    assert.ok(bytes.length > 0, "the field is on the wire");
    assert.equal(echo.encodeRequest({}).length, 0);
  });

  it("leaves a Struct member redacted at ingest out, as a redacted map entry is", () => {
    assert.deepEqual(roundTrip(echo, { attrs: { token: REDACTED, user: "ann" } }), { ...EMPTY, attrs: { user: "ann" } });
  });

  it("refuses what is not the form, naming the path", () => {
    const problem = (message: unknown) => {
      try {
        echo.encodeRequest(message);
      } catch (error) {
        assert.ok(error instanceof InvalidInputError, String(error));
        return `${error.issues[0]?.location}: ${error.issues[0]?.message}`;
      }
      return "accepted";
    };
    assert.equal(problem({ at: "2024-02-30T00:00:00Z" }), '$.at: "2024-02-30T00:00:00Z" is not an RFC 3339 time such as "2024-05-01T12:00:00.250Z"');
    assert.equal(problem({ at: "2024-05-01 12:00:00Z" }), '$.at: "2024-05-01 12:00:00Z" is not an RFC 3339 time such as "2024-05-01T12:00:00.250Z"');
    assert.equal(problem({ at: 1714564800 }), '$.at: expected an RFC 3339 time such as "2024-05-01T12:00:00.250Z" for google.protobuf.Timestamp (got 1714564800)');
    assert.equal(problem({ history: ["2024-05-01T12:00:00Z", "0000-12-31T23:59:59Z"] }), '$.history[1]: "0000-12-31T23:59:59Z" is outside 0001-01-01 to 9999-12-31, the range of a Timestamp');
    assert.equal(problem({ took: "1.5" }), '$.took: "1.5" is not seconds with an "s", such as "1.5s"');
    assert.equal(problem({ took: "315576000001s" }), '$.took: "315576000001s" is beyond ±315576000000 s, the range of a Duration');
    assert.equal(problem({ timeouts: { read: "3 s" } }), '$.timeouts.read: "3 s" is not seconds with an "s", such as "1.5s"');
    assert.equal(problem({ attrs: [1] }), "$.attrs: expected a JSON object for google.protobuf.Struct (got an array)");
    assert.equal(problem({ list: { a: 1 } }), "$.list: expected a JSON array for google.protobuf.ListValue (got an object)");
    assert.equal(problem({ big: "-1" }), "$.big: -1 is out of range for uint64 google.protobuf.UInt64Value");
    assert.equal(problem({ flag: "yes" }), '$.flag: expected true or false for google.protobuf.BoolValue (got "yes")');
    assert.equal(problem({ at: "2024-05-01T12:00:00+25:99" }), '$.at: "2024-05-01T12:00:00+25:99" is not an RFC 3339 time such as "2024-05-01T12:00:00.250Z"');
    assert.equal(problem({ mask: "a,,b" }), '$.mask: "a,,b" is not comma-separated paths such as "user.displayName,photo": a path or a part of one is empty');
    // The message forms are held to the same ranges.
    assert.equal(problem({ at: { seconds: "1", nanos: -1 } }), "$.at.nanos: -1 is outside 0 to 999999999, the range of a Timestamp's nanos");
    assert.equal(problem({ at: { seconds: "-99999999999999" } }), "$.at.seconds: -99999999999999 is outside 0001-01-01 to 9999-12-31, the range of a Timestamp");
    assert.equal(problem({ took: { seconds: "1", nanos: 2000000000 } }), "$.took.nanos: 2000000000 is outside ±999999999, the range of a Duration's nanos");
    assert.equal(problem({ took: { seconds: "1", nanos: -5 } }), "$.took: a Duration's seconds and nanos must have the same sign");
    assert.equal(problem({ took: { seconds: "1", nano: 5 } }), '$.took.nano: google.protobuf.Duration has no field "nano"');
    // An Any is read with its packed message in message form; the JSON form of a packed Timestamp would be sent empty.
    const timestampUrl = "type.googleapis.com/google.protobuf.Timestamp";
    assert.match(problem({ packed: { "@type": timestampUrl, value: "2024-05-01T12:00:00Z" } }), /^\$\.packed\.value: an Any holding google\.protobuf\.Timestamp is read in its message form here/);
    assert.equal(problem({ packed: { "@type": timestampUrl, seconds: "1", nanos: 0 } }), "accepted");
    assert.equal(problem({ packed: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: "s" } }), "accepted");
  });

  it("returns a message of a type that reaches no well-known type and no renamed field as it is, without a walk", () => {
    const root = protobuf.parse('syntax = "proto3"; message Tensor { repeated float values = 1; Tensor next = 2; }').root;
    const tensor = root.lookupType("Tensor");
    // Any read of the message would throw: the walk is skipped, not merely harmless.
    const untouchable = new Proxy({}, { get: () => assert.fail("read"), ownKeys: () => assert.fail("listed"), has: () => assert.fail("probed") });
    assert.equal(toProto3Json(tensor, untouchable), untouchable);
  });
});
