import { performance } from "node:perf_hooks";

/** Cancels a pending `atOrAfter`; nothing happens once it has run. */
export type Cancel = () => void;

/**
 * Runs `fn` no earlier than `due` (a `performance.now()` instant), and never before returning:
 * a caller may keep the returned `Cancel` in a variable `fn` itself reads. A timer alone may fire a
 * millisecond or two early (libuv counts from the loop's cached, older time): a target meant to
 * take 10 ms answered in 8.1, and one meant to take 300 ms could fall under the bound a test
 * asserts. So the last millisecond is waited out turn by turn.
 */
export function atOrAfter(due: number, fn: () => void): Cancel {
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let cancelled = false;
  const check = (): void => {
    timer = undefined;
    immediate = undefined;
    if (cancelled) return;
    const left = due - performance.now();
    if (left <= 0) fn();
    else if (left > 1) timer = setTimeout(check, left - 1);
    else immediate = setImmediate(check);
  };
  immediate = setImmediate(check);
  return () => {
    cancelled = true;
    if (timer !== undefined) clearTimeout(timer);
    if (immediate !== undefined) clearImmediate(immediate);
  };
}

/** `fn` no sooner than `ms` from now. */
export function afterAtLeast(ms: number, fn: () => void): Cancel {
  return atOrAfter(performance.now() + ms, fn);
}
