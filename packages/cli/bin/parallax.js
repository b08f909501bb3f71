#!/usr/bin/env node
// Thin launcher so the bin exists before the first build; the CLI itself is compiled TypeScript.
import { main } from "../dist/main.js";

// A rejection nobody handled is a bug, not a failed verdict: say so and exit 3, never 1.
process.on("unhandledRejection", (error) => {
  process.stderr.write(`parallax: internal error (a bug; please report it)\n${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(3);
});

process.exitCode = await main(process.argv);
