// Waiting on work that others share (a cached block read, a lazily read tag array): a waiter's abort must end
// its own wait, not the work the other waiters still need.
import { onAbort } from '@worldstrat/core';
import { abortError } from '../internal/assert.js';

/**
 * `work`'s result, or an `ABORTED` rejection as soon as `signal` fires (`work` itself goes on).
 *
 * @param work - the shared work
 * @param signal - this waiter's signal, if any
 * @param what - the name for the error message
 * @returns what `work` resolves to
 */
export function waitOrAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {}); // an abandoned rejection is the other waiters' business, not an unhandled one
    return Promise.reject(abortError(signal, what));
  }
  let abort: (() => void) | undefined;
  let off: () => void;
  try {
    off = onAbort(signal, () => abort?.());
  } catch (err) {
    work.catch(() => {}); // nobody else may wait for it: its rejection must not go unhandled
    throw err;
  }
  return new Promise<T>((resolve, reject) => {
    abort = () => reject(abortError(signal, what));
    work.then(
      (value) => {
        off();
        resolve(value);
      },
      (err: unknown) => {
        off();
        reject(err);
      },
    );
  });
}
