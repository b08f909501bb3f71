// Markdown escaping: table cells and inline code that survive any user data (pipes, backticks, newlines).

/** Text for a GFM table cell: `|` escaped, line breaks flattened (a newline would end the row). */
export function cell(text: string): string {
  return text.replace(/\r\n|\r|\n/g, " ").replace(/\|/g, "\\|");
}

/** An inline code span that can hold backticks (the fence is longer than any run inside). */
export function code(text: string): string {
  const flat = text.replace(/\r\n|\r|\n/g, " ");
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") || flat === "" ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A table from a header row and body rows; every cell escaped. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: readonly ("l" | "r")[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(" | ")} |`;
  const rule = `|${header.map((_, i) => (align?.[i] === "r" ? "---:" : "---")).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}
