// What every runnable example does: start its model server three times (production, candidate,
// and production again as the secondary), each as its own process, then `parallax run` its
// scenario against them with their URLs in environment variables, and close them.
// Each server is its own process, as real services are: sharing one event loop, they would
// slow each other down and blur the latency differences the examples are meant to show.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../", import.meta.url));
const cli = fileURLToPath(new URL("../packages/cli/bin/parallax.js", import.meta.url));

/**
 * @param {object} example
 * @param {string} example.name       how messages name the script, e.g. "run-demo"
 * @param {string} example.modelServer absolute path of the server script (`--variant V --port 0`; prints `listening URL`, and `served N requests` on SIGTERM)
 * @param {string} example.scenario   the scenario file, relative to the repository
 * @param {string} example.envPrefix  the servers' URLs go to `${envPrefix}_PRODUCTION`, `_CANDIDATE`, `_SECONDARY`
 * @param {string} example.defaultOut the report directory unless the arguments give `--out`
 * @param {string} example.unit       what the servers count in their summary line, e.g. "requests"
 * @param {string[]} args             extra `parallax run` arguments
 * @returns {Promise<number>} the CLI's exit code (3 when it could not run)
 */
export async function runExample(example, args) {
  const outFlag = args.lastIndexOf("--out");
  const out = outFlag >= 0 && args[outFlag + 1] ? args[outFlag + 1] : example.defaultOut;
  try {
    const code = await runAgainstServers(example, args);
    // 0 and 1 are verdicts: the CLI wrote a report either way.
    if (code === 0 || code === 1) process.stdout.write(`Report: ${out}/report.md (and ${out}/report.json)\n`);
    return code;
  } catch (err) {
    process.stderr.write(`${example.name}: ${err.stack ?? err}\n`);
    return 3;
  }
}

async function runAgainstServers(example, args) {
  if (!existsSync(cli)) {
    process.stderr.write(`${example.name}: ${cli} not found; build first (npm run build)\n`);
    return 3;
  }
  const servers = [];
  try {
    for (const variant of ["production", "candidate", "production"]) servers.push(await startServerProcess(example.modelServer, variant));
    const [production, candidate, secondary] = servers;
    process.stderr.write(`model servers: production ${production.url}, candidate ${candidate.url}, secondary ${secondary.url}\n`);

    // The terminal sends Ctrl-C to the child too; stay alive until it has finished and written its report.
    const ignore = () => {};
    process.on("SIGINT", ignore);
    process.on("SIGTERM", ignore);
    const child = spawn(process.execPath, [cli, "run", example.scenario, "--out", example.defaultOut, ...args], {
      cwd: repo,
      stdio: "inherit",
      env: {
        ...process.env,
        [`${example.envPrefix}_PRODUCTION`]: production.url,
        [`${example.envPrefix}_CANDIDATE`]: candidate.url,
        [`${example.envPrefix}_SECONDARY`]: secondary.url,
      },
    });
    const code = await new Promise((resolve) => {
      child.once("error", (err) => {
        process.stderr.write(`${example.name}: could not start the CLI: ${err.message}\n`);
        resolve(3);
      });
      child.once("exit", (c, signal) => resolve(c ?? 128 + (constants.signals[signal] ?? 0)));
    });
    process.off("SIGINT", ignore);
    process.off("SIGTERM", ignore);
    await Promise.all(servers.splice(0).map((s) => s.close()));
    process.stderr.write(`${example.unit} served: production ${production.stats.requests}, candidate ${candidate.stats.requests}, secondary ${secondary.stats.requests}\n`);
    return code;
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}

/** Starts `<script> --variant V --port 0` as a child; resolves once it prints its URL. */
function startServerProcess(script, variant) {
  // Detached: its own process group, so the terminal's Ctrl-C reaches the CLI, not the servers it is measuring.
  const child = spawn(process.execPath, [script, "--variant", variant, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"], detached: true });
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
