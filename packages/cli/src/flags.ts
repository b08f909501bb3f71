import { InvalidInputError, type Issue } from "@parallax/protocol";
import { LEGACY_THRESHOLDS } from "@parallax/scenario";

/** The run flags shared by `run` and `validate`, as commander hands them over. */
export interface RunFlags {
  readonly traffic?: string;
  readonly format?: string;
  readonly production?: string;
  readonly candidate?: string;
  readonly secondary?: string;
  readonly load?: string;
  readonly rate?: string;
  readonly duration?: string;
  readonly stages?: string;
  readonly startRate?: string;
  readonly stepRate?: string;
  readonly maxRate?: string;
  readonly stepDuration?: string;
  readonly sloP99?: string;
  readonly sloErrorRate?: string;
  readonly speed?: string;
  readonly maxGap?: string;
  readonly connections?: string;
  readonly ignore?: string[];
  readonly tolerance?: string;
  readonly relativeTolerance?: string;
  readonly compareHeader?: string[];
  readonly allowUnsafeProduction?: string[];
  readonly redactHeader?: string[];
  readonly redactQuery?: string[];
  readonly proto?: string[];
  readonly importPath?: string[];
  readonly threshold?: string[];
  readonly abort?: string[];
  readonly endpoint?: string[];
  readonly compare?: string[];
  readonly noiseMethod?: string;
  readonly maxDiffRate?: string;
  readonly maxErrorRate?: string;
  readonly maxLatencyRatio?: string;
  readonly timeout?: string;
}

export interface Overrides {
  readonly overrides: Record<string, unknown>;
  readonly sources: Record<string, string>;
}

/**
 * Turn flags into a partial scenario of the same shape as the file, so the scenario package
 * validates flags and file with one set of rules (flags win). Each value remembers its flag so
 * a problem is reported as `--rate: ...`, not as a path in a file the user never wrote.
 */
export function flagsToOverrides(flags: RunFlags): Overrides {
  const overrides: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  const issues: Issue[] = [];
  const set = (path: string, value: unknown, flag: string) => {
    const keys = path.split(".");
    let node = overrides;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys[keys.length - 1] as string] = value;
    sources[path] = flag;
  };
  const number = (text: string, flag: string): number | undefined => {
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value)) {
      issues.push({ location: flag, message: `expected a number, got "${text}"` });
      return undefined;
    }
    return value;
  };
  const num = (path: string, text: string | undefined, flag: string) => {
    if (text === undefined) return;
    const value = number(text, flag);
    if (value !== undefined) set(path, value, flag);
  };

  if (flags.traffic !== undefined) set("traffic.file", flags.traffic, "--traffic");
  if (flags.format !== undefined) set("traffic.format", flags.format, "--format");
  if (flags.redactHeader?.length) set("traffic.redact.headers", flags.redactHeader, "--redact-header");
  if (flags.redactQuery?.length) set("traffic.redact.query", flags.redactQuery, "--redact-query");
  if (flags.proto?.length) set("grpc.protos", flags.proto, "--proto");
  if (flags.importPath?.length) set("grpc.importPaths", flags.importPath, "--import-path");
  for (const name of ["production", "candidate", "secondary"] as const) {
    const url = flags[name];
    if (url === undefined) continue;
    set(`targets.${name}.url`, url, `--${name}`);
  }
  const model = loadModelOf(flags, issues);
  // Choosing a model by flag replaces the file's whole load section: its keys belong to the other model.
  if (model !== undefined) set("load", { model: model.name }, model.flag);
  num("load.rate", flags.rate, "--rate");
  num("load.speed", flags.speed, "--speed");
  num("load.startRate", flags.startRate, "--start-rate");
  num("load.stepRate", flags.stepRate, "--step-rate");
  num("load.maxRate", flags.maxRate, "--max-rate");
  num("load.connections", flags.connections, "--connections");
  if (flags.duration !== undefined) set("load.duration", flags.duration, "--duration");
  if (flags.maxGap !== undefined) set("load.maxGap", flags.maxGap, "--max-gap");
  if (flags.stepDuration !== undefined) set("load.stepDuration", flags.stepDuration, "--step-duration");
  if (flags.sloP99 !== undefined) set("load.slo.p99", flags.sloP99, "--slo-p99");
  num("load.slo.errorRate", flags.sloErrorRate, "--slo-error-rate");
  if (flags.stages !== undefined) {
    const stages = parseStages(flags.stages, issues);
    if (stages !== undefined) set("load.stages", stages, "--stages");
  }
  if (flags.ignore?.length) set("compare.ignore", flags.ignore, "--ignore");
  if (flags.tolerance !== undefined || flags.relativeTolerance !== undefined) {
    set("compare.tolerance", {}, "--tolerance");
    num("compare.tolerance.absolute", flags.tolerance ?? "0", "--tolerance");
    num("compare.tolerance.relative", flags.relativeTolerance ?? "0", "--relative-tolerance");
  }
  if (flags.compareHeader?.length) set("compare.headers", flags.compareHeader, "--compare-header");
  if (flags.allowUnsafeProduction?.length) set("compare.allowUnsafeProduction", flags.allowUnsafeProduction, "--allow-unsafe-production");
  // --threshold and the --max-* shorthands make one list, which replaces the file's thresholds
  // (as every list given by flag does): a gate set on the command line is the whole gate.
  const legacy = LEGACY_FLAGS.flatMap(([key, flag, check]) => {
    const text = flags[key];
    const value = text === undefined ? undefined : number(text, flag);
    if (value === undefined) return [];
    const problem = check(value);
    if (problem !== undefined) {
      issues.push({ location: flag, message: problem });
      return [];
    }
    return [LEGACY_THRESHOLDS[key](value)];
  });
  const thresholds = [...(flags.threshold ?? []), ...legacy];
  if (thresholds.length) set("thresholds", thresholds, flags.threshold?.length ? "--threshold" : (LEGACY_FLAGS.find(([key]) => flags[key] !== undefined)?.[1] ?? "--threshold"));
  if (flags.abort?.length) set("abort", flags.abort, "--abort");
  if (flags.endpoint?.length) set("compare.endpoints", flags.endpoint, "--endpoint");
  if (flags.noiseMethod !== undefined) set("compare.noise.method", flags.noiseMethod, "--noise-method");
  if (flags.compare?.length) {
    const rules = flags.compare.map((text) => parseCompareFlag(text, issues));
    if (rules.every((r) => r !== undefined)) set("compare.rules", rules, "--compare");
  }
  if (issues.length) throw new InvalidInputError(issues);
  return { overrides, sources };
}

/** The older threshold flags, each as the expression it means. */
const fraction = (x: number) => (x >= 0 && x <= 1 ? undefined : `must be between 0 and 1 (a share), got ${x}`);
const LEGACY_FLAGS: ReadonlyArray<readonly [keyof typeof LEGACY_THRESHOLDS, string, (x: number) => string | undefined]> = [
  ["maxDiffRate", "--max-diff-rate", fraction],
  ["maxErrorRate", "--max-error-rate", fraction],
  ["maxLatencyRatio", "--max-latency-ratio", (x) => (x > 0 ? undefined : `must be > 0 (candidate p99 / production p99, e.g. 1.2), got ${x}`)],
];

const COMPARE_KINDS = ["label", "scores", "tensor", "drift"];
/** `--compare` options: name=value, comma-separated, after the path's last colon. */
const COMPARE_OPTIONS = /^[A-Za-z]+=[^,=]+(?:,[A-Za-z]+=[^,=]+)*$/;

/**
 * `KIND:PATH[:OPTIONS]` → a compare rule, e.g. `label:$.predictions[*].label`,
 * `scores:$.predictions[*].scores:topK=1,tolerance=0.001`, `tensor:$.outputs:abs=1e-5,rel=1e-3`.
 * The scenario schema checks the rest (the path, which options a kind takes).
 */
function parseCompareFlag(text: string, issues: Issue[]): Record<string, unknown> | undefined {
  const colon = text.indexOf(":");
  const kind = colon < 0 ? text : text.slice(0, colon);
  if (colon < 0 || !COMPARE_KINDS.includes(kind)) {
    issues.push({ location: "--compare", message: `expected KIND:PATH[:OPTIONS] with KIND one of ${COMPARE_KINDS.join(", ")}, e.g. 'label:$.predictions[*].label', got "${text}"` });
    return undefined;
  }
  let path = text.slice(colon + 1);
  const last = path.lastIndexOf(":");
  const options: Record<string, unknown> = {};
  if (last >= 0 && COMPARE_OPTIONS.test(path.slice(last + 1))) {
    for (const pair of path.slice(last + 1).split(",")) {
      const [name = "", raw = ""] = pair.split("=");
      const value = Number(raw);
      if (!Number.isFinite(value)) {
        issues.push({ location: "--compare", message: `option ${name} of "${text}" must be a number, got "${raw}"` });
        return undefined;
      }
      if (name === "abs" || name === "rel") {
        const tolerance = (options["tolerance"] ??= {}) as Record<string, number>;
        tolerance[name === "abs" ? "absolute" : "relative"] = value;
      } else options[name] = value;
    }
    path = path.slice(0, last);
  }
  return { kind, path, ...options };
}

/** The flags that imply a model when --load is not given, each with the model it implies. */
const IMPLYING_FLAGS: ReadonlyArray<readonly [keyof RunFlags, string, string]> = [
  ["rate", "--rate", "constant"],
  ["stages", "--stages", "ramp"],
  ["stepRate", "--step-rate", "steps"],
  ["maxRate", "--max-rate", "steps"],
  ["stepDuration", "--step-duration", "steps"],
  ["sloP99", "--slo-p99", "steps"],
  ["sloErrorRate", "--slo-error-rate", "steps"],
  ["speed", "--speed", "replay"],
  ["maxGap", "--max-gap", "replay"],
  ["connections", "--connections", "closed"],
];

/** The model the flags choose: --load, or the one model the other load flags imply (two is a mistake). */
function loadModelOf(flags: RunFlags, issues: Issue[]): { readonly name: string; readonly flag: string } | undefined {
  if (flags.load !== undefined) return { name: flags.load, flag: "--load" };
  const implied = IMPLYING_FLAGS.filter(([key]) => flags[key] !== undefined);
  const models = [...new Set(implied.map(([, , model]) => model))];
  if (models.length > 1) {
    const which = models.map((m) => `${implied.filter(([, , x]) => x === m).map(([, flag]) => flag).join("/")} (${m})`).join(" and ");
    issues.push({ location: implied.map(([, flag]) => flag).join(", "), message: `these flags belong to different load models: ${which}; choose one, or name it with --load` });
    return undefined;
  }
  const first = implied[0];
  return first === undefined ? undefined : { name: first[2], flag: first[1] };
}

/** `100:30s,500:1m` → [{ rate: 100, duration: "30s" }, ...]; durations are checked by the scenario schema. */
function parseStages(text: string, issues: Issue[]): Array<{ rate: number; duration: string }> | undefined {
  const stages: Array<{ rate: number; duration: string }> = [];
  for (const part of text.split(",")) {
    const match = /^\s*([^:\s]+)\s*:\s*(\S+)\s*$/.exec(part);
    const rate = match ? Number(match[1]) : Number.NaN;
    if (!match || !Number.isFinite(rate)) {
      issues.push({ location: "--stages", message: `expected RATE:DURATION stages separated by commas (e.g. 100:30s,500:1m), got "${part.trim()}"` });
      return undefined;
    }
    stages.push({ rate, duration: match[2] as string });
  }
  return stages;
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
