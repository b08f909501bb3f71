import { loadRecording, type TrafficFormat } from "@parallax/recording";
import type { RecordedRequest } from "@parallax/protocol";
import { resolveScenario, type Scenario } from "@parallax/scenario";
import { flagsToOverrides, type RunFlags } from "../flags.js";
import type { Io } from "../io.js";

export interface Inputs {
  readonly scenario: Scenario;
  readonly recording: { readonly requests: RecordedRequest[]; readonly format: TrafficFormat; readonly file: string };
}

/** Scenario (file and flags) and recording, validated; bad input throws one InvalidInputError listing every problem. */
export async function loadInputs(file: string | undefined, flags: RunFlags, io: Io): Promise<Inputs> {
  const { overrides, sources } = flagsToOverrides(flags);
  const scenario = await resolveScenario({ ...(file === undefined ? {} : { file }), overrides, overrideSources: sources, env: io.env, cwd: io.cwd });
  const format = scenario.traffic.format;
  const { requests, format: detected } = await loadRecording(scenario.traffic.file, { format, redact: scenario.traffic.redact });
  return { scenario, recording: { requests, format: detected, file: scenario.traffic.file } };
}
