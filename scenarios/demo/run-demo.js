// Runs the demo end to end: three model servers on free ports, then `parallax run` against them.
//   node scenarios/demo/run-demo.js [extra parallax run options...]
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";
import { startModelServer } from "./model-server.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const cli = fileURLToPath(new URL("../../packages/cli/bin/parallax.js", import.meta.url));
const out = "parallax-report";

async function main() {
  if (!existsSync(cli)) {
    process.stderr.write(`run-demo: ${cli} not found; build first (npm run build)\n`);
    return 3;
  }
  const servers = [];
  try {
    for (const variant of ["production", "candidate", "production"]) servers.push(await startModelServer({ variant }));
    const [production, candidate, secondary] = servers;
    process.stderr.write(`model servers: production ${production.url}, candidate ${candidate.url}, secondary ${secondary.url}\n`);

    // The terminal sends Ctrl-C to the child too; stay alive until it has finished and written its report.
    const ignore = () => {};
    process.on("SIGINT", ignore);
    process.on("SIGTERM", ignore);
    const child = spawn(process.execPath, [cli, "run", "scenarios/demo/scenario.yaml", "--out", out, ...process.argv.slice(2)], {
      cwd: repo,
      stdio: "inherit",
      env: {
        ...process.env,
        PARALLAX_DEMO_PRODUCTION: production.url,
        PARALLAX_DEMO_CANDIDATE: candidate.url,
        PARALLAX_DEMO_SECONDARY: secondary.url,
      },
    });
    const code = await new Promise((resolve) => {
      child.once("error", (err) => {
        process.stderr.write(`run-demo: could not start the CLI: ${err.message}\n`);
        resolve(3);
      });
      child.once("exit", (c, signal) => resolve(c ?? 128 + (constants.signals[signal] ?? 0)));
    });
    process.off("SIGINT", ignore);
    process.off("SIGTERM", ignore);
    process.stderr.write(
      `requests served: production ${production.stats.requests}, candidate ${candidate.stats.requests}, secondary ${secondary.stats.requests}\n`,
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
    process.stderr.write(`run-demo: ${err.stack ?? err}\n`);
    process.exitCode = 3;
  },
);
