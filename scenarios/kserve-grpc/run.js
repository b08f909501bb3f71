// Runs the kserve-grpc example end to end: three gRPC model servers on free ports, then `parallax run` against them.
//   node scenarios/kserve-grpc/run.js [extra parallax run options...]
// Each server is its own process, as real services are: sharing one event loop, they would
// slow each other down and blur the latency difference the example is meant to show.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const cli = fileURLToPath(new URL("../../packages/cli/bin/parallax.js", import.meta.url));
const modelServer = fileURLToPath(new URL("./model-server.js", import.meta.url));
const DEFAULT_OUT = "parallax-report-kserve-grpc";
const args = process.argv.slice(2);
const outFlag = args.lastIndexOf("--out");
const out = outFlag >= 0 && args[outFlag + 1] ? args[outFlag + 1] : DEFAULT_OUT;

/** Starts `model-server.js --variant V --port 0` as a child; resolves once it prints its URL. */
function startServerProcess(variant) {
  // Detached: its own process group, so the terminal's Ctrl-C reaches the CLI, not the servers it is measuring.
  const child = spawn(process.execPath, [modelServer, "--variant", variant, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"], detached: true });
  const lines = createInterface({ input: child.stdout });
  const stats = { requests: 0 };
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`model server (${variant}) exited with ${code}`)));
    lines.on("line", (line) => {
      const served = /^served (\d+) requests$/.exec(line);
      if (served) stats.requests = Number(served[1]);
      const listening = /^listening (\S+)$/.exec(line);
      if (listening)
        resolve({
          url: listening[1],
          stats,
          close: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
            await exited;
          },
        });
    });
  });
}

async function main() {
  if (!existsSync(cli)) {
    process.stderr.write(`run: ${cli} not found; build first (npm run build)\n`);
    return 3;
  }
  const servers = [];
  try {
    for (const variant of ["production", "candidate", "production"]) servers.push(await startServerProcess(variant));
    const [production, candidate, secondary] = servers;
    process.stderr.write(`model servers: production ${production.url}, candidate ${candidate.url}, secondary ${secondary.url}\n`);

    // The terminal sends Ctrl-C to the child too; stay alive until it has finished and written its report.
    const ignore = () => {};
    process.on("SIGINT", ignore);
    process.on("SIGTERM", ignore);
    const child = spawn(process.execPath, [cli, "run", "scenarios/kserve-grpc/scenario.yaml", "--out", DEFAULT_OUT, ...args], {
      cwd: repo,
      stdio: "inherit",
      env: {
        ...process.env,
        PARALLAX_KSERVE_PRODUCTION: production.url,
        PARALLAX_KSERVE_CANDIDATE: candidate.url,
        PARALLAX_KSERVE_SECONDARY: secondary.url,
      },
    });
    const code = await new Promise((resolve) => {
      child.once("error", (err) => {
        process.stderr.write(`run: could not start the CLI: ${err.message}\n`);
        resolve(3);
      });
      child.once("exit", (c, signal) => resolve(c ?? 128 + (constants.signals[signal] ?? 0)));
    });
    process.off("SIGINT", ignore);
    process.off("SIGTERM", ignore);
    await Promise.all(servers.splice(0).map((s) => s.close()));
    process.stderr.write(
      `calls served: production ${production.stats.requests}, candidate ${candidate.stats.requests}, secondary ${secondary.stats.requests}\n`,
    );
    return code;
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}

main().then(
  (code) => {
    // 0 and 1 are verdicts: the CLI wrote a report either way.
    if (code === 0 || code === 1) {
      process.stdout.write(`Report: ${out}/report.md (and ${out}/report.json)\n`);
    }
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`run: ${err.stack ?? err}\n`);
    process.exitCode = 3;
  },
);
