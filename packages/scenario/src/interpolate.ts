// `${VAR}` and `${VAR:-default}` in scenario strings, like docker compose; `$${` is a literal `${`.

const EXPRESSION = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

export type Interpolation = { readonly value: string } | { readonly problem: string };

/** `text` with variables from `env` substituted; unset or empty variables take the default. */
export function interpolate(text: string, env: Readonly<Record<string, string | undefined>>): Interpolation {
  const missing: string[] = [];
  let malformed = false;
  const value = text.replace(EXPRESSION, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === "$${") return "${";
    if (name === undefined) {
      malformed = true;
      return match;
    }
    const set = env[name];
    if (set !== undefined && set !== "") return set;
    if (fallback !== undefined) return fallback;
    if (set === undefined) missing.push(name);
    return "";
  });
  if (malformed) {
    return { problem: `malformed variable in ${JSON.stringify(text)} (write \${NAME} or \${NAME:-default}; $\${ for a literal "\${")` };
  }
  if (missing.length > 0) {
    const names = missing.map((n) => JSON.stringify(n)).join(", ");
    const first = missing[0] ?? "";
    return {
      problem: `environment variable${missing.length > 1 ? "s" : ""} ${names} not set (set ${missing.length > 1 ? "them" : "it"} or give a default: \${${first}:-value})`,
    };
  }
  return { value };
}
