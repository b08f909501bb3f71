// `tap --out`: the captured requests as a Parallax JSONL recording, for later `parallax run`.
import { open } from "node:fs/promises";
import type { WriteStream } from "node:fs";
import { exchangeRequest, silentLogger, type CapturedExchange, type Logger } from "@parallax/protocol";
import { toJsonlLine } from "@parallax/recording";
import type { ExchangeSink } from "./sink.js";

export const RECORDER_DEFAULTS = Object.freeze({
  /** Lines waiting for the disk; past it new lines are dropped, so a slow disk cannot fill memory. */
  maxBufferedBytes: 64 * 1024 * 1024,
});

export interface RecorderOptions {
  readonly file: string;
  readonly logger?: Logger;
  readonly maxBufferedBytes?: number;
}

export interface RecorderStats {
  readonly written: number;
  /** Requests whose body was cut or withheld: replaying them would send production a different request. */
  readonly skipped: number;
  /** Lost to a full write buffer or a failed file. */
  readonly dropped: number;
}

export interface Recorder extends ExchangeSink {
  stats(): RecorderStats;
  /** Writes what is buffered and closes the file. */
  close(): Promise<void>;
}

/**
 * Creates `file` (it must not exist: a second recording appended to the first would restart its
 * offsets). Lines are in the order exchanges complete; `offsetMs` is when each request arrived,
 * from the first recorded one (earlier arrivals that complete later get 0), so replay reproduces
 * the arrival timing. Rejects with the file system's error (EEXIST, EACCES, ENOENT).
 */
export async function createRecorder(options: RecorderOptions): Promise<Recorder> {
  const handle = await open(options.file, "wx");
  return new JsonlRecorder(handle.createWriteStream(), options);
}

class JsonlRecorder implements Recorder {
  readonly #out: WriteStream;
  readonly #logger: Logger;
  readonly #maxBufferedBytes: number;
  #firstMs: number | undefined;
  #index = 0;
  #skipped = 0;
  #dropped = 0;
  #failed = false;
  #closing: Promise<void> | undefined;

  constructor(out: WriteStream, options: RecorderOptions) {
    this.#out = out;
    this.#logger = (options.logger ?? silentLogger).child({ component: "tap-recorder", file: options.file });
    this.#maxBufferedBytes = options.maxBufferedBytes ?? RECORDER_DEFAULTS.maxBufferedBytes;
    out.on("error", (error) => {
      if (!this.#failed) this.#logger.error({ err: error.message }, "could not write the recording; no more requests are recorded");
      this.#failed = true;
    });
  }

  accept(exchange: CapturedExchange): void {
    if (exchange.request.bodyTruncated) {
      this.#skipped++;
      return;
    }
    if (this.#failed || this.#closing !== undefined || this.#out.writableLength > this.#maxBufferedBytes) {
      this.#dropped++;
      return;
    }
    this.#firstMs ??= exchange.capturedAtMs;
    const offsetMs = Math.max(0, exchange.capturedAtMs - this.#firstMs);
    this.#out.write(`${toJsonlLine(exchangeRequest(exchange, this.#index++, offsetMs))}\n`);
  }

  stats(): RecorderStats {
    return { written: this.#index, skipped: this.#skipped, dropped: this.#dropped };
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      if (this.#out.closed) {
        resolve();
        return;
      }
      this.#out.once("close", () => resolve());
      this.#out.end();
    });
    return this.#closing;
  }
}
