// Syntax check of `compare.ignore` patterns, so a typo fails at load time instead of silently
// ignoring nothing. The diff package does the matching; this accepts exactly its grammar:
// `$` followed by `.name`, `['name']`, `["name"]`, `[n]` or `[*]`.

const STEP = /\.([^.[\]\s'"*]+)|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|\[\*\]/y;

/** Why `pattern` is not a body path the diff understands, or `undefined` when it is. */
export function ignorePathProblem(pattern: string): string | undefined {
  const hint = `(use e.g. "$.model_version" or "$.predictions[*].id")`;
  if (!pattern.startsWith("$")) return `invalid JSONPath ${JSON.stringify(pattern)}: it must start with "$" ${hint}`;
  let at = 1;
  while (at < pattern.length) {
    STEP.lastIndex = at;
    if (STEP.exec(pattern) === null) {
      return `invalid JSONPath ${JSON.stringify(pattern)} at character ${at + 1} ${hint}`;
    }
    at = STEP.lastIndex;
  }
  return undefined;
}
