// File + flags + environment → a validated Scenario, or one InvalidInputError with every issue.
import { readFile } from "node:fs/promises";
import { basename, dirname, extname, resolve } from "node:path";
import { InvalidInputError, type Issue } from "@parallax/protocol";
import { describeValue } from "./fields.js";
import { toIssues, type Place } from "./issues.js";
import { DEFAULT_RATE, LOAD_MODELS, type LoadModel, type LoadSpec } from "./load-models/index.js";
import { deepMerge, expandShorthands, isPlainObject } from "./merge.js";
import { parseExpression } from "./expressions.js";
import { DEFAULTS, DOCUMENT, type ParsedDocument } from "./schema.js";
import { formatPath, parseSource, pathKey, type Located, type Path } from "./source.js";
import { closest } from "./suggest.js";
import type { CompareRule, ResolveOptions, Scenario, ScopedExpression, TargetSpec } from "./types.js";

/** What a scenario without `load` runs: each recorded request once, at 100/s. */
const DEFAULT_LOAD: LoadSpec = Object.freeze({ model: "constant", rate: DEFAULT_RATE });

export async function resolveScenario(options: ResolveOptions): Promise<Scenario> {
  const issues: Issue[] = [];
  let fileData: unknown = {};
  let positions: ReadonlyMap<string, Located> = new Map();
  let headerTemplates: ReadonlyMap<string, Readonly<Record<string, string>>> = new Map();
  const absoluteFile = options.file === undefined ? undefined : resolve(options.cwd, options.file);
  if (options.file !== undefined && absoluteFile !== undefined) {
    let text: string;
    try {
      text = await readFile(absoluteFile, "utf8");
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
      throw new InvalidInputError([{ file: options.file, message: `cannot read the scenario file: ${reason} (check the path)` }], { cause: error });
    }
    const source = parseSource(text, options.file, options.env);
    issues.push(...source.issues);
    if (source.document === undefined) throw new InvalidInputError(issues);
    fileData = source.document.data;
    positions = source.document.positions;
    headerTemplates = source.document.headerTemplates;
    if (!isPlainObject(fileData)) {
      throw new InvalidInputError([
        { file: options.file, location: positions.get(pathKey([]))?.value ?? "1:1", message: `expected a mapping of scenario keys at the top level, got ${describeValue(fileData)}` },
      ]);
    }
  }
  const overrides = expandShorthands(options.overrides ?? {});
  const merged = deepMerge(withoutReplacedLoad(expandShorthands(fileData), overrides), overrides);
  const place = placer(options, overrides, fileData, positions);

  const parsed = DOCUMENT.safeParse(merged);
  const found: Issue[] = [];
  if (!parsed.success) found.push(...toIssues(parsed.error.issues, DOCUMENT, [], merged, place));
  const load = resolveLoad(isPlainObject(merged) ? merged["load"] : undefined, place, found);
  // A value whose variable is unset is already reported; its "${X}" text failing the schema is noise.
  const unset = new Set(issues.map((i) => `${i.file}:${i.location}`));
  issues.push(...found.filter((i) => !unset.has(`${i.file}:${i.location}`)));
  if (!parsed.success || load === undefined || issues.length > 0) throw new InvalidInputError(inFileOrder(issues));

  const doc = parsed.data;
  const unmeasurable = rulesWithoutData(doc, place);
  if (unmeasurable.length > 0) throw new InvalidInputError(inFileOrder(unmeasurable));
  // Paths in the file are relative to it, paths given as flags to the working directory.
  const baseOf = (path: Path): string => (absoluteFile === undefined || fromOverride(overrides, path) ? options.cwd : dirname(absoluteFile));
  const trafficBase = baseOf(["traffic", "file"]);
  const withPaths = (spec: TargetSpec, role: string): TargetSpec => {
    if (spec.tls === undefined) return spec;
    const base = baseOf(["targets", role, "tls"]);
    const tls = { ...spec.tls };
    for (const key of ["ca", "cert", "key"] as const) if (tls[key] !== undefined) tls[key] = resolve(base, tls[key]);
    return { ...spec, tls };
  };
  const scoped = [...doc.thresholds, ...doc.abort].flatMap((t) => (t.endpoint === undefined ? [] : [t.endpoint]));
  const ruleEndpoints = doc.compare.rules.flatMap((r) => (r.endpoint === undefined ? [] : [r.endpoint]));
  return {
    name: doc.name ?? (options.file === undefined ? DEFAULTS.name : basename(options.file, extname(options.file))),
    ...(absoluteFile === undefined ? {} : { file: absoluteFile }),
    targets: {
      production: withPaths(withTemplates(doc.targets.production, headerTemplates.get("production"), overrides, "production"), "production"),
      candidate: withPaths(withTemplates(doc.targets.candidate, headerTemplates.get("candidate"), overrides, "candidate"), "candidate"),
      ...(doc.targets.secondary === undefined ? {} : { secondary: withPaths(withTemplates(doc.targets.secondary, headerTemplates.get("secondary"), overrides, "secondary"), "secondary") }),
    },
    traffic: { file: resolve(trafficBase, doc.traffic.file), format: doc.traffic.format, redact: doc.traffic.redact },
    grpc: {
      protos: doc.grpc.protos,
      importPaths: doc.grpc.importPaths.map((dir) => resolve(baseOf(["grpc", "importPaths"]), dir)),
      baseDir: baseOf(["grpc", "protos"]),
    },
    load,
    compare: {
      ...doc.compare,
      // A threshold or rule scoped to an endpoint groups requests under that template.
      endpoints: [...new Set([...doc.compare.endpoints, ...scoped, ...ruleEndpoints])],
      rules: doc.compare.rules.map((r) => withoutUndefined(r) as CompareRule),
      latency: { confidence: doc.compare.latency.confidence, minEffect: { relative: doc.compare.latency.minEffect.relative, absoluteMs: doc.compare.latency.minEffect.absolute } },
    },
    thresholds: doc.thresholds.map((t) => withoutUndefined(t) as ScopedExpression),
    abort: doc.abort.map((t) => withoutUndefined(t) as ScopedExpression),
  };
}

/**
 * Load keys belong to one model, so flags that pick another model (`--speed` over a file with
 * `rate`) replace the file's `load` instead of merging into it.
 */
function withoutReplacedLoad(fileData: unknown, overrides: unknown): unknown {
  if (!isPlainObject(fileData) || !isPlainObject(overrides)) return fileData;
  const fileModel = modelOf(fileData["load"]);
  const overrideModel = modelOf(overrides["load"]);
  if (fileModel === undefined || overrideModel === undefined || fileModel === overrideModel) return fileData;
  return Object.fromEntries(Object.entries(fileData).filter(([key]) => key !== "load"));
}

/** The model `load` names or implies, when it does. */
function modelOf(load: unknown): string | undefined {
  if (!isPlainObject(load)) return undefined;
  if (typeof load["model"] === "string") return load["model"];
  return Object.values(LOAD_MODELS).find((m: LoadModel) => m.implies.some((key) => load[key] !== undefined))?.name;
}

/** Issues of the file by line and column, then those of flags, as a reader goes through them. */
function inFileOrder(issues: readonly Issue[]): Issue[] {
  const position = (issue: Issue): [number, number] => {
    const match = issue.file === undefined ? null : /^(\d+):(\d+)$/.exec(issue.location ?? "");
    return match === null ? [Infinity, 0] : [Number(match[1]), Number(match[2])];
  };
  return [...issues].sort((a, b) => {
    const [la, ca] = position(a);
    const [lb, cb] = position(b);
    return la === lb ? ca - cb : la < lb ? -1 : 1;
  });
}

/** The load-model registry decides how `load` is read: by `model`, or by the keys it has. */
function resolveLoad(raw: unknown, place: Place, issues: Issue[]): LoadSpec | undefined {
  if (raw === undefined) return DEFAULT_LOAD;
  const models: readonly LoadModel[] = Object.values(LOAD_MODELS);
  const report = (path: Path, message: string): void => {
    issues.push({ ...place(path, "value"), message: `${formatPath(path)}: ${message}` });
  };
  if (!isPlainObject(raw)) {
    report(["load"], `expected a mapping such as { rate: 100, duration: 1m } or { model: replay, speed: 1 }, got ${describeValue(raw)}`);
    return undefined;
  }
  let model: LoadModel | undefined;
  const declared = raw["model"];
  if (declared !== undefined) {
    model = models.find((m) => m.name === declared);
    if (model === undefined) {
      const names = models.map((m) => m.name);
      const suggestion = typeof declared === "string" ? closest(declared, names) : undefined;
      const hint = suggestion === undefined ? `use one of: ${names.join(", ")}` : `did you mean ${JSON.stringify(suggestion)}?`;
      report(["load", "model"], `unknown load model ${describeValue(declared)} (${hint})`);
      return undefined;
    }
  } else {
    const implied = models.filter((m) => m.implies.some((key) => Object.hasOwn(raw, key)));
    if (implied.length > 1) {
      const which = implied.map((m) => `${m.implies.filter((k) => Object.hasOwn(raw, k)).join("/")} (${m.name})`).join(" and ");
      report(["load"], `cannot tell the load model from ${which} (set model: to one of ${implied.map((m) => m.name).join(", ")})`);
      return undefined;
    }
    model = implied[0] ?? LOAD_MODELS.constant;
  }
  const result = model.schema.safeParse(raw);
  if (!result.success) {
    issues.push(...toIssues(result.error.issues, model.schema, ["load"], raw, place));
    return undefined;
  }
  // Each model's schema parses to its own member of LoadSpec.
  return result.data as LoadSpec;
}

/**
 * Issues point at the flag when the value came from one, else at the file's line:col: a key's
 * own position for unknown keys, the value for wrong values, the parent for missing keys.
 */
function placer(options: ResolveOptions, overrides: unknown, fileData: unknown, positions: ReadonlyMap<string, Located>): Place {
  const flagFor = (path: Path): Pick<Issue, "location"> => {
    for (let length = path.length; length > 0; length--) {
      const flag = options.overrideSources?.[formatPath(path.slice(0, length))];
      if (flag !== undefined) return { location: flag };
    }
    return {};
  };
  const inFile = (path: Path): Pick<Issue, "file" | "location"> => {
    // Without a file the message's leading path is all the location there is.
    if (options.file === undefined) return {};
    for (let length = path.length; length >= 0; length--) {
      const found = positions.get(pathKey(path.slice(0, length)));
      if (found !== undefined) return { file: options.file, location: found.value };
    }
    return { file: options.file, location: "1:1" };
  };
  return (path, spot) => {
    if (spot === "missing") {
      const parent = path.slice(0, -1);
      if (!existsIn(fileData, parent) && existsIn(overrides, parent)) return flagFor(parent);
      return options.file === undefined ? {} : inFile(parent);
    }
    if (fromOverride(overrides, path)) return flagFor(path);
    if (spot === "key") {
      const found = positions.get(pathKey(path));
      if (found?.key !== undefined && options.file !== undefined) return { file: options.file, location: found.key };
    }
    return inFile(path);
  };
}

/** True when the value at `path` in the merged document is the override's. */
function fromOverride(overrides: unknown, path: Path): boolean {
  let node = overrides;
  for (const step of path) {
    if (!isPlainObject(node)) return node !== undefined;
    if (typeof step !== "string" || !Object.hasOwn(node, step)) return false;
    node = node[step];
    if (node === undefined) return false;
  }
  return node !== undefined;
}

function existsIn(data: unknown, path: Path): boolean {
  let node = data;
  for (const step of path) {
    if (!isPlainObject(node) || typeof step !== "string" || !Object.hasOwn(node, step)) return false;
    node = node[step];
  }
  return node !== undefined;
}

/** Keeps the file's header templates that still describe the value in effect (not overridden). */
function withTemplates(spec: TargetSpec, templates: Readonly<Record<string, string>> | undefined, overrides: unknown, role: string): TargetSpec {
  if (templates === undefined) return spec;
  const kept = Object.entries(templates).filter(([name]) => spec.headers[name] !== undefined && !fromOverride(overrides, ["targets", role, "headers", name]));
  return kept.length === 0 ? spec : { ...spec, headerTemplates: Object.fromEntries(kept) };
}

/** Optional keys zod filled with `undefined` are left out (exactOptionalPropertyTypes). */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * A threshold or abort rule that reads a figure this scenario can never produce (the secondary's
 * without a secondary, `label.*` without a label comparison) would fail, or never fire, whatever
 * happens: refuse it now, naming what is missing.
 */
function rulesWithoutData(doc: ParsedDocument, place: Place): Issue[] {
  const issues: Issue[] = [];
  const kinds = new Set(doc.compare.rules.map((r) => r.kind));
  for (const key of ["thresholds", "abort"] as const) {
    for (const rule of doc[key]) {
      const parsed = parseExpression(rule.expression);
      if (!parsed.ok) continue;
      for (const metric of parsed.expression.metrics) {
        const head = metric.split(".")[0] ?? "";
        const missing =
          head === "secondary" && doc.targets.secondary === undefined
            ? "the scenario has no secondary target (add one, or --secondary)"
            : COMPARISON_KINDS.has(head) && !kinds.has(head as CompareRule["kind"])
              ? `no compare rule of kind ${head} measures it (add one to compare.rules, or --compare '${head}:<path>')`
              : undefined;
        if (missing !== undefined) issues.push({ ...place([key], "value"), message: `${key}: "${rule.expression}" reads ${metric}, but ${missing}` });
      }
    }
  }
  return issues;
}

const COMPARISON_KINDS: ReadonlySet<string> = new Set(["label", "scores", "tensor", "drift"]);
