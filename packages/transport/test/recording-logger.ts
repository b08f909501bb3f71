import type { Logger } from "@parallax/protocol";

export interface LogLine {
  readonly level: string;
  readonly msg: string | undefined;
}

/** A logger that keeps each line's level and message in `lines`, for tests that check what was logged. */
export function recordingLogger(lines: LogLine[]): Logger {
  const logger: Logger = {
    debug: (_o, msg) => void lines.push({ level: "debug", msg }),
    info: (_o, msg) => void lines.push({ level: "info", msg }),
    warn: (_o, msg) => void lines.push({ level: "warn", msg }),
    error: (_o, msg) => void lines.push({ level: "error", msg }),
    child: () => logger,
  };
  return logger;
}
