// The benchmark's target: a minimal HTTP server on loopback, run as a child process of
// bench/run.js so that it never shares an event loop with the load generator being measured.
//
// It answers every request with {"ok":true} (after --delay-ms, if given), and over IPC reports
// how many requests it answered and how much CPU it used, so the bench can check each tool's
// counts against the server's and tell a saturated target from a saturated generator.
import http from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { "delay-ms": { type: "string", default: "0" } } });
const delayMs = Number(values["delay-ms"]);
if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`--delay-ms must be a number >= 0, got ${values["delay-ms"]}`);

const body = Buffer.from('{"ok":true}');
const headers = { "content-type": "application/json", "content-length": String(body.length) };
let answered = 0;
let connections = 0;

function answer(res) {
  answered++;
  res.writeHead(200, headers);
  res.end(body);
}

const server = http.createServer(
  delayMs === 0
    ? (req, res) => {
        req.resume();
        answer(res);
      }
    : (req, res) => {
        req.resume();
        setTimeout(answer, delayMs, res);
      },
);
// Generators keep their sockets for the whole run; never close them from this side.
server.on("connection", () => connections++);
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  process.send?.({ type: "listening", port, delayMs });
});

process.on("message", (message) => {
  if (message?.type === "stats") {
    const cpu = process.cpuUsage();
    process.send?.({ type: "stats", id: message.id, answered, connections, cpuMicros: cpu.user + cpu.system, at: performance.now() });
  } else if (message?.type === "close") {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
// The parent went away: do not outlive it.
process.on("disconnect", () => process.exit(0));
