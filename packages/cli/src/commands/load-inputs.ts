import { grpcCallProblem, type ProtoRegistry } from "@parallax/engine";
import { loadRecording, type TrafficFormat } from "@parallax/recording";
import type { RecordedRequest } from "@parallax/protocol";
import { InvalidInputError } from "@parallax/protocol";
import { parseDuration, resolveScenario, type Scenario } from "@parallax/scenario";
import { flagsToOverrides, type RunFlags } from "../flags.js";
import type { Io } from "../io.js";
import { checkProtocols, checkTls, resolveProtos } from "./grpc-inputs.js";

export interface Inputs {
  readonly scenario: Scenario;
  readonly recording: { readonly requests: RecordedRequest[]; readonly format: TrafficFormat; readonly file: string };
  /** The gRPC schema, when a target takes gRPC calls or protos were given. */
  readonly protos?: ProtoRegistry;
}

/** Scenario (file and flags), protos and recording, validated; bad input throws one InvalidInputError listing every problem. */
export async function loadInputs(file: string | undefined, flags: RunFlags, io: Io): Promise<Inputs> {
  const { overrides, sources } = flagsToOverrides(flags);
  const resolved = await resolveScenario({ ...(file === undefined ? {} : { file }), overrides, overrideSources: sources, env: io.env, cwd: io.cwd });
  const scenario = flags.timeout === undefined ? resolved : withTimeout(resolved, flags.timeout);
  checkTls(scenario);
  const protos = await resolveProtos(scenario);
  const format = scenario.traffic.format;
  // Each gRPC call is checked against the protos as it is read, so a problem names its line.
  const validate = protos === undefined ? undefined : (request: Pick<RecordedRequest, "protocol" | "path" | "headers" | "body">) => (request.protocol === "grpc" ? grpcCallProblem(request, protos) : undefined);
  const { requests, format: detected } = await loadRecording(scenario.traffic.file, { format, redact: scenario.traffic.redact, ...(validate ? { validate } : {}) });
  checkProtocols(scenario, requests);
  checkReplayTiming(scenario, requests, detected);
  return { scenario, recording: { requests, format: detected, file: scenario.traffic.file }, ...(protos ? { protos } : {}) };
}

/**
 * Replay keeps the recording's timing; a recording whose requests all share one instant (no
 * timestamps, or the same on every line) would send them all at once, which is never what replay
 * was asked for.
 */
function checkReplayTiming(scenario: Scenario, requests: readonly RecordedRequest[], format: TrafficFormat): void {
  if (scenario.load.model !== "replay" || requests.length < 2 || requests.some((r) => r.offsetMs > 0)) return;
  const timing = format === "har" ? "every entry has the same startedDateTime" : "no line has offsetMs or time, or every line the same";
  throw new InvalidInputError([
    {
      file: scenario.traffic.file,
      message: `replay keeps the recording's timing, but its ${requests.length} requests are all at one instant (${timing}): all would be sent at once. Give them their times, or pace them with a rate (--rate, or load.rate in the scenario)`,
    },
  ]);
}

/** `--timeout` applies to every target, wherever it was defined (file or flag). */
function withTimeout(scenario: Scenario, text: string): Scenario {
  const timeoutMs = parseDuration(text);
  if (timeoutMs === undefined || timeoutMs <= 0) throw new InvalidInputError([{ location: "--timeout", message: `invalid duration "${text}" (use e.g. 500ms, 10s)` }]);
  const { production, candidate, secondary } = scenario.targets;
  return {
    ...scenario,
    targets: {
      production: { ...production, timeoutMs },
      candidate: { ...candidate, timeoutMs },
      ...(secondary === undefined ? {} : { secondary: { ...secondary, timeoutMs } }),
    },
  };
}
