import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | undefined;

/**
 * V8's full garbage collection, for agents to run between preparing a job and its first send
 * (see the agent's `collectGarbage`). `gc` exists only with --expose-gc; setting the flag at run
 * time makes it available in contexts created afterwards, as jest's leak detector does.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
}
