// Abort helpers shared by every package. Each package passes its own error factory so callers keep seeing
// the package's typed ABORTED error; without one they get a CoreError.
import { CoreError } from './errors.js';
import {
  checkFunction,
  checkObject,
  checkSignal,
  invalidArgument,
  isSignalLike,
} from './internal/check-arguments.js';

/** Builds the error an aborted operation rejects with. */
export type AbortErrorFactory = (signal: AbortSignal) => Error;

/**
 * The default {@link AbortErrorFactory}: a `CoreError` `ABORTED` keeping the signal's reason as its cause.
 * @throws {CoreError} `INVALID_ARGUMENT` when `signal` is not an object.
 */
export function coreAbortError(signal: AbortSignal): CoreError {
  checkObject('coreAbortError', 'signal', signal);
  return new CoreError('ABORTED', 'operation aborted by its AbortSignal', { cause: signal.reason });
}

/**
 * Throws when the signal has fired.
 * @param signal optional signal.
 * @param makeError the error to throw (default {@link coreAbortError}).
 * @throws the factory's error (default CoreError `ABORTED`); CoreError `INVALID_ARGUMENT` when `makeError` is
 *   not a function.
 * @example
 * throwIfAborted(options.signal, (s) => new MyError('ABORTED', 'stopped', { cause: s.reason }));
 */
export function throwIfAborted(
  signal: AbortSignal | undefined,
  makeError: AbortErrorFactory = coreAbortError,
): void {
  checkFunction('throwIfAborted', 'makeError', makeError);
  if (signal?.aborted) throw makeError(signal);
}

interface AbortFanOut {
  callbacks: Set<() => void>;
  listener: () => void;
}

const fanOuts = new WeakMap<AbortSignal, AbortFanOut>();

/**
 * Calls `callback` once when `signal` aborts, through one listener per signal: concurrent requests and sleeps
 * share the caller's long-lived signal, and a listener each would exceed Node's MaxListeners (a warning on
 * every busy run). The signal's listener is removed when its last callback unsubscribes.
 * @param signal the caller's signal (not aborted yet).
 * @param callback runs on abort.
 * @returns unsubscribe (idempotent); call it in `finally`.
 * @throws {CoreError} `INVALID_ARGUMENT` when `signal` is not an `AbortSignal` or `callback` not a function.
 * @example
 * const off = onAbort(signal, () => socket.destroy());
 * try { await work(); } finally { off(); }
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  checkSignal('onAbort', 'signal', signal);
  checkFunction('onAbort', 'callback', callback);
  let fan = fanOuts.get(signal);
  if (!fan) {
    const callbacks = new Set<() => void>();
    const listener = () => {
      fanOuts.delete(signal);
      for (const cb of [...callbacks]) cb();
      callbacks.clear();
    };
    fan = { callbacks, listener };
    fanOuts.set(signal, fan);
    signal.addEventListener('abort', listener, { once: true });
  }
  const own = fan;
  const entry = () => callback();
  own.callbacks.add(entry);
  return () => {
    if (!own.callbacks.delete(entry) || own.callbacks.size > 0) return;
    signal.removeEventListener('abort', own.listener);
    if (fanOuts.get(signal) === own) fanOuts.delete(signal);
  };
}

/**
 * Sleeps `ms` milliseconds; rejects as soon as `signal` fires (also when it fired before the call).
 * @param ms delay; ≤ 0 resolves at once; longer than setTimeout's 2^31 − 1 ms is waited out in steps, `Infinity`
 *   until `signal` fires.
 * @param signal optional signal.
 * @param makeError the rejection on abort (default {@link coreAbortError}).
 * @returns a promise resolved after the delay; rejected with CoreError `INVALID_ARGUMENT` when `ms` is not a
 *   number, `makeError` not a function, or `signal` is not an `AbortSignal` (nor null or undefined) for a positive delay.
 * @example
 * await sleep(250, signal);
 */
export function sleep(
  ms: number,
  signal?: AbortSignal,
  makeError: AbortErrorFactory = coreAbortError,
): Promise<void> {
  if (typeof makeError !== 'function')
    return Promise.reject(invalidArgument('sleep', 'makeError', 'a function', makeError));
  // `ms > 0` converts: an object, a bigint or a symbol would throw there or in setTimeout
  const kind = typeof ms;
  if ((kind === 'object' && ms !== null) || kind === 'function' || kind === 'symbol' || kind === 'bigint')
    return Promise.reject(invalidArgument('sleep', 'ms', 'a number', ms));
  if (signal?.aborted) return Promise.reject(makeError(signal));
  if (!(ms > 0)) return Promise.resolve();
  // only a signal that is listened to must be one (no signal: null or undefined)
  if (signal != null && !isSignalLike(signal))
    return Promise.reject(invalidArgument('sleep', 'signal', 'an AbortSignal or undefined', signal));
  return new Promise((resolve, reject) => {
    let left = Number(ms);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = signal
      ? onAbort(signal, () => {
          clearTimeout(timer);
          reject(makeError(signal));
        })
      : () => {};
    // setTimeout fires a longer delay than 2^31 − 1 ms at once: wait it out in steps
    const wait = () => {
      const step = Math.min(left, MAX_TIMEOUT_MS);
      left -= step;
      timer = setTimeout(() => {
        if (left > 0) return wait();
        unsubscribe();
        resolve();
      }, step);
    };
    wait();
  });
}

/** The longest delay setTimeout keeps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
