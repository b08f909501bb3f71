// Endpoint templates: request paths with their identifiers folded, so diffs group by route.

const DIGITS = /^\d+$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const LONG_HEX = /^[0-9a-fA-F]{16,}$/;

function isId(segment: string): boolean {
  return DIGITS.test(segment) || UUID.test(segment) || LONG_HEX.test(segment);
}

function templateSegment(segment: string): string {
  if (isId(segment)) return "{id}";
  // Custom methods (`/v1/models/123:predict`, Google API style): the part before the colon may be an id.
  const colon = segment.indexOf(":");
  if (colon > 0 && isId(segment.slice(0, colon))) return `{id}${segment.slice(colon)}`;
  return segment;
}

/**
 * `"GET", "/users/42?x=1"` → `"GET /users/{id}"`. The query and fragment are dropped; a segment
 * that is all digits, a UUID or at least 16 hex characters becomes `{id}` (also before a
 * `:verb` suffix); every other segment, and a trailing slash, is kept as is.
 */
export function endpointTemplate(method: string, pathAndQuery: string): string {
  let end = pathAndQuery.length;
  const q = pathAndQuery.indexOf("?");
  if (q >= 0) end = q;
  const h = pathAndQuery.indexOf("#");
  if (h >= 0 && h < end) end = h;
  const path = pathAndQuery.slice(0, end) || "/";
  const segments = path.split("/");
  for (let i = 0; i < segments.length; i++) segments[i] = templateSegment(segments[i] as string);
  return `${method.toUpperCase()} ${segments.join("/")}`;
}
