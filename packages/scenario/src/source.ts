// YAML/JSON text → plain data, with the line:col of every key and value so issues point at the
// exact spot. Variables are substituted here, in the file's strings only (flags are literal).
import type { Issue } from "@parallax/protocol";
import { LineCounter, isAlias, isMap, isScalar, isSeq, parse, parseDocument, Scalar } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import { interpolate } from "./interpolate.js";

export type Path = readonly (string | number)[];

export interface Located {
  /** `line:col` of the key, for entries of a mapping. */
  readonly key?: string;
  /** `line:col` of the value. */
  readonly value: string;
}

export interface SourceDocument {
  readonly data: unknown;
  /** By `pathKey(path)`. */
  readonly positions: ReadonlyMap<string, Located>;
  /**
   * Target header values as written, before interpolation, by target then header name: a
   * credential from `${VAR}` ships to agents as the template, and each agent fills it from its
   * own environment.
   */
  readonly headerTemplates: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

export type SourceResult = { readonly document: SourceDocument; readonly issues: readonly Issue[] } | { readonly document?: undefined; readonly issues: readonly Issue[] };

export function pathKey(path: Path): string {
  return JSON.stringify(path);
}

/** `compare.ignore[1]`, `targets.production.headers["x.y"]`, `(scenario)` for the root. */
export function formatPath(path: Path): string {
  let text = "";
  for (const step of path) {
    if (typeof step === "number") text += `[${step}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(step)) text += text === "" ? step : `.${step}`;
    else text += `[${JSON.stringify(step)}]`;
  }
  return text === "" ? "(scenario)" : text;
}

export function parseSource(text: string, file: string, env: Readonly<Record<string, string | undefined>>): SourceResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((e) => ({ file, location: at(e.pos[0]), message: `invalid YAML/JSON: ${e.message.split("\n")[0] ?? ""}` })),
    };
  }
  const positions = new Map<string, Located>();
  const issues: Issue[] = [];
  const headerTemplates = new Map<string, Record<string, string>>();

  const convert = (node: unknown, path: Path, depth: number): unknown => {
    if (depth > 64) {
      issues.push({ file, location: positions.get(pathKey(path))?.value ?? "1:1", message: `${formatPath(path)}: nested too deeply` });
      return null;
    }
    if (isAlias(node)) return convert(node.resolve(doc as Document), path, depth + 1);
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyRange = (pair.key as YamlNode | null)?.range;
        const valueRange = (pair.value as YamlNode | null)?.range;
        const childPath = [...path, key];
        positions.set(pathKey(childPath), {
          ...(keyRange ? { key: at(keyRange[0]) } : {}),
          value: at(valueRange?.[0] ?? keyRange?.[1] ?? 0),
        });
        // defineProperty: a key named `__proto__` is data here, not a prototype.
        Object.defineProperty(out, key, { value: convert(pair.value, childPath, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    if (isSeq(node)) {
      return node.items.map((item, index) => {
        const childPath = [...path, index];
        positions.set(pathKey(childPath), { value: at((item as YamlNode | null)?.range?.[0] ?? 0) });
        return convert(item, childPath, depth + 1);
      });
    }
    if (isScalar(node)) return scalarValue(node, path);
    return null;
  };

  const scalarValue = (node: Scalar, path: Path): unknown => {
    if (typeof node.value !== "string" || !node.value.includes("${")) return node.value;
    const [section, role, field, header] = path;
    if (section === "targets" && typeof role === "string" && field === "headers" && typeof header === "string" && path.length === 4) {
      const templates = headerTemplates.get(role) ?? {};
      templates[header.toLowerCase()] = node.value;
      headerTemplates.set(role, templates);
    }
    const result = interpolate(node.value, env);
    if ("problem" in result) {
      issues.push({ file, location: at(node.range?.[0] ?? 0), message: `${formatPath(path)}: ${result.problem}` });
      return node.value;
    }
    // An unquoted `rate: ${RATE:-500}` means the number 500, as if written literally.
    if (node.type === Scalar.PLAIN) {
      try {
        const typed: unknown = parse(result.value);
        if (typeof typed === "number" || typeof typed === "boolean") return typed;
      } catch {
        // Not a scalar on its own; it stays a string.
      }
    }
    return result.value;
  };

  positions.set(pathKey([]), { value: at(doc.contents?.range[0] ?? 0) });
  const data = doc.contents === null ? {} : convert(doc.contents, [], 0);
  return { document: { data, positions, headerTemplates }, issues };
}
