// Which non-safe requests production may receive: rules `METHOD /path-glob` from
// `compare.allowUnsafeProduction` (design §7).

const RULE = /^(\*|[A-Za-z]+) (\/\S*)$/;
const compiled = new Map<string, { readonly method: string; readonly path: RegExp } | null>();

/** Why `rule` is not a valid allowance, or `undefined` when it is. */
export function unsafeRuleProblem(rule: string): string | undefined {
  return RULE.test(rule)
    ? undefined
    : `invalid rule ${JSON.stringify(rule)} (use METHOD /path, e.g. "POST /v1/models/*:predict"; * matches within a segment, ** across segments)`;
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
