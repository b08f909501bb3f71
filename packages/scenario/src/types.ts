import type { LoadSpec } from "./load-models/index.js";

export interface TargetSpec {
  /** As given: http(s):// or grpc(s)://. */
  readonly url: string;
  /** Where gRPC calls go: `url` when it is grpc(s)://, else the target's `grpcUrl`; absent for an HTTP-only target. */
  readonly grpcUrl?: string;
  /** For grpcs://; file paths absolute (each agent reads them from its own disk). */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string; readonly serverName?: string };
  readonly timeoutMs: number;
  /** Names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Header values written with `${VAR}` in the scenario file, as written: what ships to agents
   * instead of the values, so a credential comes from each agent's own environment.
   */
  readonly headerTemplates?: Readonly<Record<string, string>>;
}

export interface Scenario {
  readonly name: string;
  /** Absolute path when loaded from a file. */
  readonly file?: string;
  readonly targets: { readonly production: TargetSpec; readonly candidate: TargetSpec; readonly secondary?: TargetSpec };
  readonly traffic: {
    /** Absolute. */
    readonly file: string;
    readonly format: "auto" | "har" | "jsonl";
    /** Extra names on top of the built-in ones; header names lower-cased. */
    readonly redact: { readonly headers: readonly string[]; readonly query: readonly string[] };
  };
  /**
   * Where the gRPC schema comes from; no protos means the production target's server reflection.
   * `protos` as written: like protoc, each is looked up in `importPaths` (absolute), then in `baseDir`
   * (the scenario file's directory, or the working directory for `--proto`).
   */
  readonly grpc: { readonly protos: readonly string[]; readonly importPaths: readonly string[]; readonly baseDir: string };
  readonly load: LoadSpec;
  readonly compare: {
    readonly ignore: readonly string[];
    readonly tolerance: { readonly absolute: number; readonly relative: number };
    /** Lower-cased. */
    readonly headers: readonly string[];
    readonly allowUnsafeProduction: readonly string[];
    readonly noise: { readonly alpha: number; readonly minEffect: number; readonly method: "mcnemar" | "diffy" };
    readonly exemplars: number;
    /** Declared endpoint templates (those thresholds and rules are scoped to included). */
    readonly endpoints: readonly string[];
    readonly rules: readonly CompareRule[];
    readonly latency: { readonly confidence: number; readonly minEffect: { readonly relative: number; readonly absoluteMs: number } };
  };
  /** Every threshold, as an expression (the older keys are converted), optionally scoped to an endpoint template. */
  readonly thresholds: readonly ScopedExpression[];
  /** Safety rules evaluated live; one that holds stops the run. */
  readonly abort: readonly ScopedExpression[];
}

export interface ScopedExpression {
  readonly expression: string;
  readonly endpoint?: string;
}

export interface CompareRule {
  readonly path: string;
  readonly kind: "label" | "scores" | "tensor" | "drift";
  readonly endpoint?: string;
  readonly topK?: number;
  readonly tolerance?: number | { readonly absolute?: number; readonly relative?: number };
  readonly maxLabels?: number;
}

export interface ResolveOptions {
  /** Scenario file (YAML or JSON), relative to `cwd`; optional: flags alone may define a run. */
  readonly file?: string;
  /**
   * Same shape as the file, raw (`{ load: { rate: 500, duration: "2m" } }`); wins over the file,
   * deep-merged with lists replaced. `undefined` values mean "not given". Not interpolated.
   */
  readonly overrides?: Record<string, unknown>;
  /** Dotted path → flag name (`"load.rate"` → `"--rate"`): where issues in overridden values point. */
  readonly overrideSources?: Record<string, string>;
  /** For `${VAR}` in the file. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Base of `file`, and of paths given as overrides. */
  readonly cwd: string;
}
