// The part of autocannon's API the closed model uses (it ships no types of its own).
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
  }
  interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    timeout?: number;
    pipelining?: number;
    requests?: AutocannonRequest[];
    servername?: string;
    /** Tells autocannon not to turn rate-limited latencies into coordinated-omission estimates; unused (no rate). */
    ignoreCoordinatedOmission?: boolean;
  }
  interface AutocannonInstance extends EventEmitter {
    stop(): void;
  }
  function autocannon(options: AutocannonOptions, done: (error: Error | null, result: unknown) => void): AutocannonInstance;
  export default autocannon;
}
