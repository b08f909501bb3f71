import { planForRecording } from "@parallax/scenario";
import { EXIT } from "../exit-codes.js";
import type { RunFlags } from "../flags.js";
import type { Io } from "../io.js";
import { loadInputs } from "./load-inputs.js";

/** Scenario and recording checked together; every problem at once (thrown), or a short summary and 0. */
export async function validateCommand(file: string | undefined, flags: RunFlags & { readonly json?: boolean }, io: Io): Promise<number> {
  const { scenario, recording } = await loadInputs(file, flags, io);
  const plan = planForRecording(scenario.load, recording.requests);
  const targets = Object.entries(scenario.targets)
    .filter(([, spec]) => spec !== undefined)
    .map(([name, spec]) => `${name} ${spec?.url}`);
  if (flags.json) {
    io.stdout.write(`${JSON.stringify({ valid: true, scenario: scenario.name, requests: recording.requests.length, format: recording.format, plan: plan.description, targets: Object.fromEntries(Object.entries(scenario.targets).map(([k, v]) => [k, v?.url])) }, null, 2)}\n`);
  } else {
    io.stderr.write(
      `${scenario.file ?? "flags"}: valid\n  scenario ${scenario.name}\n  traffic  ${recording.file} (${recording.format}, ${recording.requests.length} requests)\n  load     ${plan.description}\n  targets  ${targets.join(", ")}\n`,
    );
  }
  return EXIT.pass;
}
