import { performance } from "node:perf_hooks";

/** Cancels a pending `atOrAfter`; nothing happens once it has run. */
export type Cancel = () => void;

/**
 * Runs `fn` no earlier than `due` (a `performance.now()` instant). A timer alone may fire a
 * millisecond or two early (libuv counts from the loop's cached, older time): a target meant to
 * take 10 ms answered in 8.1, and one meant to take 300 ms could fall under the bound a test
 * asserts. So the last millisecond is waited out turn by turn.
 */
export function atOrAfter(due: number, fn: () => void): Cancel {
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let cancelled = false;
  const check = (): void => {
    if (cancelled) return;
    const left = due - performance.now();
    if (left <= 0) {
      timer = undefined;
      fn();
    } else if (left > 1) {
      timer = setTimeout(check, left - 1);
    } else {
      timer = setImmediate(check);
    }
  };
  check();
  return () => {
    cancelled = true;
    if (timer === undefined) return;
    clearTimeout(timer as NodeJS.Timeout);
    clearImmediate(timer as NodeJS.Immediate);
  };
}

/** `fn` no sooner than `ms` from now. */
export function afterAtLeast(ms: number, fn: () => void): Cancel {
  return atOrAfter(performance.now() + ms, fn);
}
