// A macrotask boundary for long loops: TF.js's cpu backend and a synchronous batch source resolve every await as a
// microtask, so without it timers (an abort after N seconds) and I/O never run while training loops.

/** Resolves after pending timers and I/O callbacks have had a turn (setImmediate in Node, else setTimeout). */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  return new Promise((resolve) => {
    if (typeof g.setImmediate === 'function') g.setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
