import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { closeServer, freePort, onceListening } from "../src/index.js";

test("freePort returns a port that can then be listened on", async () => {
  const port = await freePort();
  assert.ok(Number.isInteger(port) && port > 0 && port < 65536);
  const server = createServer();
  await onceListening(server, port);
  const address = server.address();
  assert.ok(address !== null && typeof address !== "string");
  assert.equal(address.port, port);
  await closeServer(server);
  assert.equal(server.listening, false);
});

test("onceListening rejects when the port is taken", async () => {
  const a = createServer();
  await onceListening(a);
  const address = a.address();
  assert.ok(address !== null && typeof address !== "string");
  const b = createServer();
  try {
    await assert.rejects(onceListening(b, address.port), /EADDRINUSE/);
  } finally {
    await closeServer(a);
    await closeServer(b);
  }
});
