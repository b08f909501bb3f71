// zod's findings → Issues that name the option, point at its line:col and say what to write.
import type { Issue } from "@parallax/protocol";
import type { z } from "zod";
import { describeValue } from "./fields.js";
import type { Path } from "./source.js";
import { formatPath } from "./source.js";
import { closest } from "./suggest.js";

/** Where an issue at `path` is reported: the key itself, its value, or (missing) its parent. */
export type Spot = "key" | "value" | "missing";
export type Place = (path: Path, spot: Spot) => Pick<Issue, "file" | "location">;

const MISSING_HINTS: Readonly<Record<string, string>> = {
  targets: "add targets: with production: and candidate: URLs, or pass --production and --candidate",
  "targets.production": "add production: <URL of the current version>, or pass --production <URL>",
  "targets.candidate": "add candidate: <URL of the version under test>, or pass --candidate <URL>",
  traffic: "add traffic: { file: <recording .jsonl or .har> }, or pass --traffic <file>",
  "traffic.file": "add file: <path of the recording>, or pass --traffic <file>",
  "load.slo": "what each step must meet, e.g. slo: { p99: 100ms, errorRate: 0.01 }, or pass --slo-p99 / --slo-error-rate",
  "load.startRate": "the first step's rate, e.g. startRate: 100, or pass --start-rate",
  "load.stepRate": "the rate added at each step, e.g. stepRate: 50, or pass --step-rate",
  "load.maxRate": "the last step's rate, e.g. maxRate: 400, or pass --max-rate",
  "load.stepDuration": "how long each step lasts, e.g. stepDuration: 30s, or pass --step-duration",
  "load.stages": "e.g. stages: [{ rate: 100, duration: 30s }], or pass --stages 100:30s",
  "load.connections": "concurrent connections per target, e.g. connections: 64, or pass --connections",
  "load.duration": "how long to run, e.g. duration: 30s, or pass --duration",
};

const TYPE_NAMES: Readonly<Record<string, string>> = {
  object: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
};

/** Messages zod writes itself; anything else was written by our schema and is kept. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized)/;

export function toIssues(
  zodIssues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  base: Path,
  data: unknown,
  place: Place,
): Issue[] {
  const out: Issue[] = [];
  const visit = (iss: z.core.$ZodIssue, prefix: Path): void => {
    const relative: Path = [...prefix, ...(iss.path as (string | number)[])];
    const path: Path = [...base, ...relative];
    const value = valueAt(data, relative);
    const custom = !ZOD_DEFAULT.test(iss.message);
    const report = (spot: Spot, message: string): void => {
      out.push({ ...place(path, spot), message: `${formatPath(path)}: ${message}` });
    };
    if (value === undefined && (iss.code === "invalid_type" || iss.code === "invalid_union")) {
      const hint = MISSING_HINTS[formatPath(path)];
      report("missing", `required key missing${hint === undefined ? "" : ` (${hint})`}`);
      return;
    }
    switch (iss.code) {
      case "invalid_union": {
        // Report inside the one alternative whose shape fits the value (a mapping given for
        // a target is checked as a mapping), not "none of the alternatives matched".
        const fitting = iss.errors.filter((branch) => !branch.some((e) => e.path.length === 0 && (e.code === "invalid_type" || e.code === "invalid_value")));
        const [only] = fitting;
        if (fitting.length === 1 && only !== undefined) for (const inner of only) visit(inner, relative);
        else report("value", iss.message);
        return;
      }
      case "unrecognized_keys": {
        const known = keysAt(schema, relative);
        for (const key of iss.keys) {
          const suggestion = closest(key, known);
          const hint =
            suggestion !== undefined
              ? `did you mean ${JSON.stringify(suggestion)}?`
              : `expected one of: ${[...known].filter((k) => k !== "$schema").join(", ")}`;
          out.push({ ...place([...path, key], "key"), message: `${formatPath([...path, key])}: unknown key ${JSON.stringify(key)} (${hint})` });
        }
        return;
      }
      case "invalid_type":
        report("value", `${custom ? iss.message : `expected ${TYPE_NAMES[iss.expected] ?? iss.expected}`}, got ${describeValue(value)}`);
        return;
      case "invalid_value":
        report("value", custom ? iss.message : `expected one of ${iss.values.map(String).join(", ")}, got ${describeValue(value)}`);
        return;
      case "too_small":
      case "too_big":
        report("value", `${custom ? iss.message : iss.message.replace(ZOD_DEFAULT, "out of range")}, got ${describeValue(value)}`);
        return;
      default:
        report("value", iss.message);
    }
  };
  for (const iss of zodIssues) visit(iss, []);
  return out;
}

function valueAt(data: unknown, path: Path): unknown {
  let node = data;
  for (const step of path) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, step)) return undefined;
    node = (node as Record<string | number, unknown>)[step];
  }
  return node;
}

interface LooseDef {
  readonly type: string;
  readonly innerType?: z.core.$ZodType;
  readonly in?: z.core.$ZodType;
  readonly shape?: Readonly<Record<string, z.core.$ZodType>>;
  readonly options?: readonly z.core.$ZodType[];
  readonly element?: z.core.$ZodType;
  readonly valueType?: z.core.$ZodType;
}

/** Keys an object schema at `path` accepts, for "did you mean" hints. */
function keysAt(schema: z.core.$ZodType, path: Path): Set<string> {
  const def = schema._zod.def as unknown as LooseDef;
  const wrapped = def.innerType ?? def.in;
  if (wrapped !== undefined) return keysAt(wrapped, path);
  if (def.type === "union") return new Set((def.options ?? []).flatMap((o) => [...keysAt(o, path)]));
  const [step, ...rest] = path;
  if (step === undefined) return new Set(def.type === "object" ? Object.keys(def.shape ?? {}) : []);
  const next =
    def.type === "object" && typeof step === "string"
      ? def.shape?.[step]
      : def.type === "array"
        ? def.element
        : def.type === "record"
          ? def.valueType
          : undefined;
  return next === undefined ? new Set() : keysAt(next, rest);
}
