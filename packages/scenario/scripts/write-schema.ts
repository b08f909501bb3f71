// Regenerates scenario.schema.json: `node --import tsx packages/scenario/scripts/write-schema.ts`.
// A test fails when the committed file and the schema drift apart.
import { writeFileSync } from "node:fs";
import { scenarioJsonSchema } from "../src/index.js";

writeFileSync(new URL("../scenario.schema.json", import.meta.url), `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
