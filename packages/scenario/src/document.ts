// The canonical plain-data form of a resolved scenario, shipped to agents inside a bundle.
import { formatDuration } from "./duration.js";
import { loadModel } from "./load-models/index.js";
import type { Scenario, ScopedExpression, TargetSpec } from "./types.js";

/**
 * Every default spelled out, durations as strings, paths absolute. Give it back as
 * `resolveScenario({ overrides: document, env, cwd })` (overrides are not interpolated, so a
 * literal `${` in a header survives) to get the same Scenario, without `file` and `grpc`: agents
 * get the protos resolved, in the bundle, never as files to read.
 */
export function toScenarioDocument(s: Scenario): object {
  const model = loadModel(s.load.model);
  return {
    name: s.name,
    targets: {
      production: target(s.targets.production),
      candidate: target(s.targets.candidate),
      ...(s.targets.secondary === undefined ? {} : { secondary: target(s.targets.secondary) }),
    },
    traffic: {
      file: s.traffic.file,
      format: s.traffic.format,
      redact: { headers: [...s.traffic.redact.headers], query: [...s.traffic.redact.query] },
    },
    load: model.toDocument(s.load),
    compare: {
      ignore: [...s.compare.ignore],
      tolerance: { absolute: s.compare.tolerance.absolute, relative: s.compare.tolerance.relative },
      headers: [...s.compare.headers],
      allowUnsafeProduction: [...s.compare.allowUnsafeProduction],
      noise: { alpha: s.compare.noise.alpha, minEffect: s.compare.noise.minEffect, method: s.compare.noise.method },
      exemplars: s.compare.exemplars,
      endpoints: [...s.compare.endpoints],
      rules: s.compare.rules.map((r) => ({ ...r })),
      latency: { confidence: s.compare.latency.confidence, minEffect: { relative: s.compare.latency.minEffect.relative, absolute: formatDuration(s.compare.latency.minEffect.absoluteMs) } },
    },
    thresholds: s.thresholds.map(scoped),
    abort: s.abort.map(scoped),
  };
}

function scoped(t: ScopedExpression): string | object {
  return t.endpoint === undefined ? t.expression : { endpoint: t.endpoint, rules: [t.expression] };
}

/** Header values that came from `${VAR}` travel as their templates, never as the secret they hold. */
function target(t: TargetSpec): object {
  return {
    url: t.url,
    ...(t.grpcUrl === undefined || t.grpcUrl === t.url ? {} : { grpcUrl: t.grpcUrl }),
    ...(t.tls === undefined ? {} : { tls: { ...t.tls } }),
    timeout: formatDuration(t.timeoutMs),
    headers: { ...t.headers, ...t.headerTemplates },
  };
}
