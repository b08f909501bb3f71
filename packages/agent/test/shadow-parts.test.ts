import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REDACTED, REPLAY_MARKER_HEADER, SUBJECTS, decodeMessage, encodeMessage, silentLogger, type CapturedExchange } from "@parallax/protocol";
import { MemoryBus } from "@parallax/transport";
import { CountedQueries, type CountedAnswer } from "../src/counted-queries.js";
import { TRUNCATED_REQUEST_REASON, capturedOutcome, exchangePreparer } from "../src/shadow-exchange.js";
import { sampleKey, shadowSampled } from "../src/shadow-sample.js";

const bytes = (text: string) => new TextEncoder().encode(text);

const exchange = (request: Partial<CapturedExchange["request"]>): CapturedExchange => ({
  id: "e1",
  capturedAtMs: 0,
  request: { method: "GET", path: "/v1/items/7?q=1", headers: [], bodyTruncated: false, ...request },
  response: { status: 200, headers: [], bodyTruncated: false },
  latencyMicros: 1,
});

describe("captured outcome", () => {
  it("keeps the compared headers only, lower-case, repeats joined, credentials as present-or-absent", () => {
    const outcome = capturedOutcome(
      {
        status: 201,
        headers: [["Content-Type", "application/json"], ["x-a", "1"], ["x-a", "2"], ["set-cookie", "s=1"], ["x-other", "dropped"]],
        body: bytes('{"a":1}'),
        bodyTruncated: true,
      },
      ["content-type", "x-a", "set-cookie", "x-missing"],
    );
    assert.deepEqual(outcome, { ok: true, status: 201, headers: { "content-type": "application/json", "x-a": "1, 2", "set-cookie": REDACTED }, body: bytes('{"a":1}'), bodyTruncated: true });
  });

  it("turns production's failure into a failed outcome, and a missing body into an empty one", () => {
    assert.deepEqual(capturedOutcome({ error: "timeout" }, []), { ok: false, error: "timeout" });
    assert.deepEqual(capturedOutcome({ status: 204, headers: [], bodyTruncated: false }, []), { ok: true, status: 204, headers: {}, body: new Uint8Array(0), bodyTruncated: false });
  });
});

describe("exchange preparer", () => {
  const preparer = exchangePreparer({ runId: "run-1", allowUnsafeProduction: ["POST /v1/models/*"], endpoints: [] });

  it("drops the headers the engine sets, marks the request as a replay and names its endpoint", () => {
    const prepared = preparer.prepare(exchange({ headers: [["host", "prod"], ["content-length", "0"], ["accept", "*/*"], [REPLAY_MARKER_HEADER, "x"], ["authorization", REDACTED]] }), 4);
    assert.deepEqual(prepared.headers, ["accept", "*/*", REPLAY_MARKER_HEADER, "run-1"]);
    assert.equal(prepared.endpoint, "GET /v1/items/{id}");
    assert.equal(prepared.heldBack, undefined);
    assert.equal(prepared.index, 4);
  });

  it("holds back unsafe methods without an allowance, and requests whose body the tap cut", () => {
    assert.equal(preparer.prepare(exchange({ method: "DELETE", path: "/v1/items/7" }), 0).heldBack, "unsafe method DELETE not allowed on production");
    assert.equal(preparer.prepare(exchange({ method: "POST", path: "/v1/models/m:predict", body: bytes("{}") }), 0).heldBack, undefined);
    assert.equal(preparer.prepare(exchange({ method: "POST", path: "/v1/models/m:predict", body: bytes("{"), bodyTruncated: true }), 0).heldBack, TRUNCATED_REQUEST_REASON);
  });
});

describe("sampling", () => {
  it("is a pure function of the id: the first 48 bits of its sha256 against the fraction", () => {
    // sha256("a") starts ca978112ca1b...
    assert.equal(sampleKey("a"), 0xca978112ca1b / 2 ** 48);
    assert.equal(shadowSampled("a", 0.8), true);
    assert.equal(shadowSampled("a", 0.79), false);
    assert.equal(shadowSampled("a", 1), true);
  });
});

describe("counted queries", () => {
  it("asks in batches, one request at a time, and asks again after a pause when nobody answers", async () => {
    const bus = new MemoryBus();
    const requests: string[][] = [];
    let answering = false;
    bus.subscribe(SUBJECTS.shadowCounted("r"), (m) => {
      const d = decodeMessage(m.data);
      if (!d.ok || d.message.type !== "parallax.v1.counted-query") return;
      requests.push(d.message.ids);
      answering = requests.length > 1;
      if (requests.length > 1) m.respond?.(encodeMessage("parallax.v1.counted", { runId: "r", ids: d.message.ids.filter((id) => id === "a") }));
    });
    const queries = new CountedQueries(bus, "r", silentLogger, { batchMs: 5, maxIds: 2, timeoutMs: 100, retryMs: 50 });
    const answers = await Promise.all(["a", "b", "c"].map((id) => queries.ask(id)));
    assert.ok(answering);
    assert.deepEqual(answers, ["counted", "new", "new"] satisfies CountedAnswer[]);
    // The first went unanswered; its ids went back in line behind the one still waiting.
    assert.deepEqual(requests, [["a", "b"], ["c", "a"], ["b"]]);
    queries.cancel();
    await bus.close();
  });

  it("answers every open question `cancelled` when cancelled", async () => {
    const bus = new MemoryBus();
    const queries = new CountedQueries(bus, "r", silentLogger, { batchMs: 5, maxIds: 10, timeoutMs: 500, retryMs: 50 });
    const pending = queries.ask("x");
    await new Promise((r) => setTimeout(r, 20));
    queries.cancel();
    assert.equal(await pending, "cancelled");
    assert.equal(await queries.ask("y"), "cancelled");
    await bus.close();
  });
});
