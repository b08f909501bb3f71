// Which non-safe requests production may receive: rules `METHOD /path-glob` from
// `compare.allowUnsafeProduction` (design §7), and `service/method` globs for gRPC calls.

const RULE = /^(\*|[A-Za-z]+) (\/\S*)$/;
// `inference.GRPCInferenceService/ModelInfer`, `inference.*/ModelInfer`: no spaces, no leading slash.
const GRPC_RULE = /^[A-Za-z_*][\w.*]*\/[\w*]+$/;
const compiled = new Map<string, { readonly method: string; readonly path: RegExp } | null>();
const compiledGrpc = new Map<string, RegExp | null>();

/** Why `rule` is not a valid allowance, or `undefined` when it is. */
export function unsafeRuleProblem(rule: string): string | undefined {
  return RULE.test(rule) || GRPC_RULE.test(rule)
    ? undefined
    : `invalid rule ${JSON.stringify(rule)} (use METHOD /path, e.g. "POST /v1/models/*:predict", or service/method for gRPC, e.g. "inference.GRPCInferenceService/*"; * matches within a segment, ** across segments)`;
}

/**
 * True when some rule allows the gRPC method `service/method` to reach production. `*` matches
 * within the service or the method (`inference.*` does not reach into `inference.v2.X`), `**` anything.
 */
export function matchesGrpcAllowance(rules: readonly string[], name: string): boolean {
  return rules.some((text) => {
    let rule = compiledGrpc.get(text);
    if (rule === undefined) {
      rule = GRPC_RULE.test(text) ? new RegExp(`^${text.replace(/\*\*|[*.]/g, (m) => (m === "**" ? ".*" : m === "*" ? "[^/.]*" : "\\."))}$`) : null;
      compiledGrpc.set(text, rule);
    }
    return rule !== null && rule.test(name);
  });
}

/** True when some rule allows `method path` (path without its query string) to reach production. */
export function matchesUnsafeAllowance(rules: readonly string[], method: string, path: string): boolean {
  const bare = path.split("?", 1)[0] ?? path;
  // A path a proxy might normalise into another route (`/v1/../admin`, `%2F`, `\`) never
  // matches an allowance: the glob would approve one path and production would serve another.
  if (AMBIGUOUS_PATH.test(bare)) return false;
  const upper = method.toUpperCase();
  return rules.some((text) => {
    const rule = compile(text);
    return rule !== null && (rule.method === "*" || rule.method === upper) && rule.path.test(bare);
  });
}

const AMBIGUOUS_PATH = /(?:^|\/)\.\.?(?:\/|$)|%2f|%2e|%5c|\\/i;

function compile(text: string): { readonly method: string; readonly path: RegExp } | null {
  let rule = compiled.get(text);
  if (rule === undefined) {
    const match = RULE.exec(text);
    rule = match === null ? null : { method: (match[1] ?? "").toUpperCase(), path: globToRegExp(match[2] ?? "") };
    compiled.set(text, rule);
  }
  return rule;
}

function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith("/**", i)) {
      // `/v1/**` also matches `/v1` itself, and `/a/**/b` matches `/a/b`.
      source += "(?:/.*)?";
      i += 2;
    } else if (glob.startsWith("**", i)) {
      source += ".*";
      i += 1;
    } else if (glob[i] === "*") {
      source += "[^/]*";
    } else {
      source += (glob[i] ?? "").replace(/[.+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}
