import assert from "node:assert/strict";
import { it } from "node:test";
import { PROTOCOL_VERSION } from "@parallax/protocol";
import { AgentRegistry, LOST_AFTER_MS, SUSPECT_AFTER_MS } from "../src/index.js";

const hello = (agentId: string, protocol = PROTOCOL_VERSION) => ({ type: "parallax.v1.hello" as const, agentId, name: agentId, version: "1.0.0", protocol, host: "h", pid: 1 });

it("tracks liveness from the last time an agent was heard", () => {
  const registry = new AgentRegistry();
  registry.hello(hello("a"), 0);
  assert.equal(registry.liveness("a", SUSPECT_AFTER_MS), "alive");
  assert.equal(registry.liveness("a", SUSPECT_AFTER_MS + 1), "suspect");
  assert.equal(registry.liveness("a", LOST_AFTER_MS + 1), "lost");
  registry.heartbeat({ type: "parallax.v1.heartbeat", agentId: "a", state: "idle" }, LOST_AFTER_MS + 1);
  assert.equal(registry.liveness("a", LOST_AFTER_MS + 2), "alive");
  assert.equal(registry.liveness("nobody", 0), "lost");
});

it("offers only idle, compatible, live agents", () => {
  const registry = new AgentRegistry();
  registry.hello(hello("a"), 0);
  registry.hello(hello("old", PROTOCOL_VERSION + 1), 0);
  registry.hello(hello("busy"), 0);
  registry.heartbeat({ type: "parallax.v1.heartbeat", agentId: "busy", state: "running", runId: "x", epoch: 1 }, 0);
  assert.deepEqual(registry.available(10).map((a) => a.id), ["a"]);
  assert.match(registry.get("old")?.incompatible ?? "", /protocol v2, this coordinator v1/);
});

it("refuses an agent of another major version, with a clear reason", () => {
  const registry = new AgentRegistry("1.4.0");
  registry.hello({ ...hello("same"), version: "1.9.2" }, 0);
  registry.hello({ ...hello("newer"), version: "2.0.0" }, 0);
  assert.deepEqual(registry.available(10).map((a) => a.id), ["same"]);
  assert.equal(registry.get("newer")?.incompatible, "version 2.0.0 does not match this coordinator's major version (1.4.0); run the same major version everywhere");
});
