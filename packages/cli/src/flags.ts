import { InvalidInputError, type Issue } from "@parallax/protocol";

/** The run flags shared by `run` and `validate`, as commander hands them over. */
export interface RunFlags {
  readonly traffic?: string;
  readonly format?: string;
  readonly production?: string;
  readonly candidate?: string;
  readonly secondary?: string;
  readonly rate?: string;
  readonly duration?: string;
  readonly speed?: string;
  readonly maxGap?: string;
  readonly ignore?: string[];
  readonly tolerance?: string;
  readonly relativeTolerance?: string;
  readonly compareHeader?: string[];
  readonly allowUnsafeProduction?: string[];
  readonly redactHeader?: string[];
  readonly redactQuery?: string[];
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
  for (const name of ["production", "candidate", "secondary"] as const) {
    const url = flags[name];
    if (url === undefined) continue;
    set(`targets.${name}.url`, url, `--${name}`);
  }
  if (flags.rate !== undefined && flags.speed !== undefined) {
    issues.push({ location: "--rate/--speed", message: "choose one: --rate (fixed arrival rate) or --speed (original timing)" });
  }
  // Choosing a model by flag replaces the file's whole load section: its keys belong to the other model.
  if (flags.rate !== undefined) {
    set("load", { model: "constant" }, "--rate");
    num("load.rate", flags.rate, "--rate");
  } else if (flags.speed !== undefined) {
    set("load", { model: "replay" }, "--speed");
    num("load.speed", flags.speed, "--speed");
  }
  if (flags.duration !== undefined) set("load.duration", flags.duration, "--duration");
  if (flags.maxGap !== undefined) set("load.maxGap", flags.maxGap, "--max-gap");
  if (flags.ignore?.length) set("compare.ignore", flags.ignore, "--ignore");
  if (flags.tolerance !== undefined || flags.relativeTolerance !== undefined) {
    set("compare.tolerance", {}, "--tolerance");
    num("compare.tolerance.absolute", flags.tolerance ?? "0", "--tolerance");
    num("compare.tolerance.relative", flags.relativeTolerance ?? "0", "--relative-tolerance");
  }
  if (flags.compareHeader?.length) set("compare.headers", flags.compareHeader, "--compare-header");
  if (flags.allowUnsafeProduction?.length) set("compare.allowUnsafeProduction", flags.allowUnsafeProduction, "--allow-unsafe-production");
  num("thresholds.maxDiffRate", flags.maxDiffRate, "--max-diff-rate");
  num("thresholds.maxErrorRate", flags.maxErrorRate, "--max-error-rate");
  num("thresholds.maxLatencyRatio", flags.maxLatencyRatio, "--max-latency-ratio");
  if (issues.length) throw new InvalidInputError(issues);
  return { overrides, sources };
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
