// Runs the kserve-grpc example end to end: three gRPC model servers on free ports, then `parallax run` against them.
//   node scenarios/kserve-grpc/run.js [extra parallax run options...]
import { fileURLToPath } from "node:url";
import { runExample } from "../run-example.js";

process.exitCode = await runExample(
  {
    name: "run",
    modelServer: fileURLToPath(new URL("./model-server.js", import.meta.url)),
    scenario: "scenarios/kserve-grpc/scenario.yaml",
    envPrefix: "PARALLAX_KSERVE",
    defaultOut: "parallax-report-kserve-grpc",
    unit: "calls",
  },
  process.argv.slice(2),
);
