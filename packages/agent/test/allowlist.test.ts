import assert from "node:assert/strict";
import { it } from "node:test";
import { createTargetAllowlist, type TargetDecision } from "../src/index.js";

/** The refusal reason, or undefined when allowed. */
const why = (d: TargetDecision) => (d.allowed ? undefined : d.reason);

/** A resolver with fixed answers, so the test does not depend on this machine's DNS. */
const dns: Record<string, string[]> = { "prod.internal": ["10.1.2.3"], "sneaky.example": ["127.0.0.1", "10.9.9.9"], localhost: ["127.0.0.1", "::1"] };
const resolve = async (host: string) => {
  const bare = host.replace(/^\[|\]$/g, "");
  if (/^[\d.]+$/.test(bare) || bare.includes(":")) return [bare];
  const found = dns[bare];
  if (!found) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
  return found;
};

it("allows only loopback by default, checked on every resolved address", async () => {
  const allow = createTargetAllowlist([], resolve);
  assert.equal(why(await allow.check(new URL("http://127.0.0.1:8080"))), undefined);
  assert.equal(why(await allow.check(new URL("http://localhost:8080"))), undefined);
  assert.equal(why(await allow.check(new URL("http://[::1]:8080"))), undefined);
  assert.equal(why(await allow.check(new URL("http://prod.internal:8080"))), "prod.internal resolves to 10.1.2.3, which this agent's allowlist (loopback only) does not include");
  assert.match((why(await allow.check(new URL("http://sneaky.example")))) ?? "", /resolves to 10\.9\.9\.9/);
  assert.equal(why(await allow.check(new URL("http://nowhere.example"))), "cannot resolve nowhere.example: ENOTFOUND");
});

it("matches origin rules on scheme, port and resolved address; CIDR and address rules on any port", async () => {
  const allow = createTargetAllowlist(["http://prod.internal:8080", "192.168.0.0/16", "10.7.7.7"], resolve);
  assert.equal(why(await allow.check(new URL("http://10.1.2.3:8080/api"))), undefined, "same address as the rule's name");
  assert.match((why(await allow.check(new URL("http://10.1.2.3:9090")))) ?? "", /not include/, "other port");
  assert.match((why(await allow.check(new URL("https://10.1.2.3:8080")))) ?? "", /not include/, "other scheme");
  assert.equal(why(await allow.check(new URL("https://192.168.4.5:1"))), undefined);
  assert.equal(why(await allow.check(new URL("http://10.7.7.7:3000"))), undefined);
  assert.match((why(await allow.check(new URL("http://127.0.0.1:8080")))) ?? "", /not include/, "rules replace the loopback default");
});

it("matches gRPC origins like HTTP ones, with gRPC's default ports", async () => {
  const allow = createTargetAllowlist(["grpc://prod.internal:8001", "grpcs://prod.internal"], resolve);
  assert.equal(why(await allow.check(new URL("grpc://10.1.2.3:8001"))), undefined);
  assert.equal(why(await allow.check(new URL("grpcs://10.1.2.3:443"))), undefined, "grpcs:// without a port is 443");
  assert.match((why(await allow.check(new URL("http://10.1.2.3:8001")))) ?? "", /not include/, "an HTTP target on the gRPC rule's port");
  assert.match((why(await allow.check(new URL("grpc://10.1.2.3:8002")))) ?? "", /not include/, "other port");
});

it("hands back the addresses it checked, for the target to connect to", async () => {
  assert.deepEqual(await createTargetAllowlist(["10.0.0.0/8"], resolve).check(new URL("http://prod.internal:8080")), { allowed: true, addresses: ["10.1.2.3"] });
});

it("rejects malformed rules", () => {
  assert.throws(() => createTargetAllowlist(["10.0.0.0/99"]), /invalid prefix length/);
  assert.throws(() => createTargetAllowlist(["not a rule"]), /invalid --allow-target "not a rule"/);
});
