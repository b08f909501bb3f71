// Runs the demo end to end: three model servers on free ports, then `parallax run` against them.
//   node scenarios/demo/run-demo.js [extra parallax run options...]
import { fileURLToPath } from "node:url";
import { runExample } from "../run-example.js";

process.exitCode = await runExample(
  {
    name: "run-demo",
    modelServer: fileURLToPath(new URL("./model-server.js", import.meta.url)),
    scenario: "scenarios/demo/scenario.yaml",
    envPrefix: "PARALLAX_DEMO",
    defaultOut: "parallax-report",
    unit: "requests",
  },
  process.argv.slice(2),
);
