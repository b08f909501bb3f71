import assert from "node:assert/strict";
import { it } from "node:test";
import { prepareRequest } from "../src/index.js";

const request = (method: string, path: string) => ({
  index: 0,
  offsetMs: 0,
  method,
  path,
  headers: [["x-parallax-replay", "old"], ["accept", "*/*"], ["authorization", "[REDACTED]"]] as Array<[string, string]>,
});

it("builds flat headers with the marker and the endpoint template, without redacted credentials", () => {
  const prepared = prepareRequest(request("GET", "/users/42?full=1"), { runId: "r1", allowUnsafeProduction: [] });
  assert.deepEqual(prepared.headers, ["accept", "*/*", "x-parallax-replay", "r1"]);
  assert.equal(prepared.endpoint, "GET /users/{id}");
  assert.equal(prepared.heldBack, undefined);
});

it("holds back unsafe methods unless a rule allows the route", () => {
  assert.equal(prepareRequest(request("DELETE", "/users/1"), { runId: "r", allowUnsafeProduction: [] }).heldBack, "unsafe method DELETE not allowed on production");
  assert.equal(prepareRequest(request("POST", "/v1/models/m:predict?x=1"), { runId: "r", allowUnsafeProduction: ["POST /v1/models/*"] }).heldBack, undefined);
  assert.equal(prepareRequest(request("POST", "/v1/other"), { runId: "r", allowUnsafeProduction: ["POST /v1/models/*"] }).heldBack, "unsafe method POST not allowed on production");
  for (const safe of ["GET", "HEAD", "OPTIONS"]) assert.equal(prepareRequest(request(safe, "/"), { runId: "r", allowUnsafeProduction: [] }).heldBack, undefined);
});
