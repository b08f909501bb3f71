import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { InvalidInputError } from "@parallax/protocol";
import { readTls } from "../src/index.js";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "parallax-tls-"));
  await writeFile(join(dir, "ca.pem"), "CA");
  await writeFile(join(dir, "cert.pem"), "CERT");
  await writeFile(join(dir, "key.pem"), "KEY");
});
after(() => rm(dir, { recursive: true, force: true }));

const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

it("reads a target's TLS files from this machine's disk, keeping the server name", () => {
  const tls = readTls("candidate", { ca: join(dir, "ca.pem"), cert: join(dir, "cert.pem"), key: join(dir, "key.pem"), serverName: "cand.internal" });
  assert.deepEqual([text(tls.ca), text(tls.cert), text(tls.key), tls.serverName], ["CA", "CERT", "KEY", "cand.internal"]);
  assert.deepEqual(readTls("production", { serverName: "p" }), { serverName: "p" });
});

it("names the target and the file it cannot read, and refuses half a client certificate", () => {
  const issue = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      assert.ok(error instanceof InvalidInputError);
      return error.issues.map((i) => [i.file, i.location, i.message]);
    }
    return assert.fail("expected an InvalidInputError");
  };
  assert.deepEqual(issue(() => readTls("production", { ca: join(dir, "nope.pem") })), [[join(dir, "nope.pem"), "targets.production.tls.ca", "cannot read: ENOENT"]]);
  assert.deepEqual(issue(() => readTls("secondary", { cert: join(dir, "cert.pem") })), [[undefined, "targets.secondary.tls", "cert and key go together (mutual TLS needs both)"]]);
});
