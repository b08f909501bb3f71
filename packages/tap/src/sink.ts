import type { CapturedExchange } from "@parallax/protocol";

/** Where captured exchanges go (the stream publisher, the JSONL recorder). */
export interface ExchangeSink {
  /**
   * One exchange, already redacted. Called after the client's response has been written, off
   * the request's own call stack; must not block or throw (drop and count instead).
   */
  accept(exchange: CapturedExchange): void;
}
