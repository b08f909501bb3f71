// Declared endpoint templates (`POST /v1/models/{model}:predict`, `/users/{id}`): their syntax,
// and which one a request belongs to (the engine falls back to automatic templating).

interface CompiledTemplate {
  /** Upper-case, or undefined when the template names no method (then it matches any). */
  readonly method: string | undefined;
  readonly path: string;
  readonly pattern: RegExp;
}

/** `{name}` stands for any text within one path segment; everything else is literal. */
const PLACEHOLDER = /\{[^{}/]*\}/g;

/** A gRPC call's endpoint is its method, `service/Method`, as is: it has nothing to template. */
const GRPC_ENDPOINT = /^[A-Za-z_][\w.]*\/[A-Za-z_]\w*$/;

/** What is wrong with a template, or undefined when it is usable. */
export function endpointTemplateProblem(template: string): string | undefined {
  if (GRPC_ENDPOINT.test(template.trim())) return undefined;
  const { path } = split(template);
  if (!path.startsWith("/")) return `expected "[METHOD ]/path" with {name} placeholders, e.g. "POST /v1/models/{model}:predict", or a gRPC "service/Method", got ${JSON.stringify(template)}`;
  if (/[{}]/.test(path.replace(PLACEHOLDER, ""))) return `unbalanced { } in ${JSON.stringify(template)}`;
  return undefined;
}

/**
 * A function naming a request's endpoint by the first declared template that matches, as
 * `METHOD /path/{name}` (the request's method when the template has none); undefined when none does.
 */
export function declaredEndpoints(templates: readonly string[]): (method: string, pathAndQuery: string) => string | undefined {
  const compiled = templates.map(compile);
  return (method, pathAndQuery) => {
    const upper = method.toUpperCase();
    const path = pathOnly(pathAndQuery);
    for (const t of compiled) {
      if ((t.method === undefined || t.method === upper) && t.pattern.test(path)) return `${upper} ${t.path}`;
    }
    return undefined;
  };
}

function compile(template: string): CompiledTemplate {
  const { method, path } = split(template);
  const literal = path.split(PLACEHOLDER).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return { method, path, pattern: new RegExp(`^${literal.join("[^/]+")}/?$`) };
}

function split(template: string): { method: string | undefined; path: string } {
  const trimmed = template.trim();
  const space = trimmed.indexOf(" ");
  if (space > 0 && !trimmed.startsWith("/")) return { method: trimmed.slice(0, space).toUpperCase(), path: trimmed.slice(space + 1).trim() };
  return { method: undefined, path: trimmed };
}

function pathOnly(pathAndQuery: string): string {
  const end = pathAndQuery.search(/[?#]/);
  return (end >= 0 ? pathAndQuery.slice(0, end) : pathAndQuery) || "/";
}
