// Durations as people write them in scenarios: `500ms`, `10s`, `2m`, `1h30m`, `1.5s`.

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const PART = /(\d+)(?:\.(\d+))?(ms|h|m|s)/gy;

/** What the scenario schema accepts (also the JSON Schema `pattern`); `0` alone is allowed. */
export const DURATION_PATTERN = /^(?:0|(?:\d+(?:\.\d+)?(?:ms|h|m|s))+)$/;

/** Milliseconds, or `undefined` when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  if (text === "0") return 0;
  let total = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(text); match !== null; match = PART.exec(text)) {
    const [, whole = "", fraction = "", unit = ""] = match;
    // Integer mantissa over a power of ten: one rounding, so `1.0005s` is exactly 1000.5 ms.
    const scale = 10 ** fraction.length;
    total += (Number(whole + fraction) * (UNIT_MS[unit] ?? Number.NaN)) / scale;
  }
  return Number.isFinite(total) ? total : undefined;
}

/** The shortest form `parseDuration` reads back to the same number: `1h30m`, `1.5s`, `250ms`, `0s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`formatDuration: ${ms} is not a duration in ms`);
  if (ms === 0) return "0s";
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms - hours * 3_600_000) / 60_000);
  const rest = ms - hours * 3_600_000 - minutes * 60_000;
  let text = (hours > 0 ? `${hours}h` : "") + (minutes > 0 ? `${minutes}m` : "");
  if (rest > 0) {
    const seconds = rest / 1000;
    text += rest < 1000 ? `${decimal(rest)}ms` : parseDuration(`${decimal(seconds)}s`) === rest ? `${decimal(seconds)}s` : `${decimal(rest)}ms`;
  }
  return text;
}

/** Plain decimal notation: `1e-7` is not a duration the parser accepts. */
function decimal(n: number): string {
  const text = String(n);
  return text.includes("e") ? n.toFixed(20).replace(/\.?0+$/, "") : text;
}
