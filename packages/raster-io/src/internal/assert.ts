// Small checks shared by the IO code (never re-exported).
import { throwIfAborted as throwIfSignalAborted } from '@worldstrat/core';
import { RasterIoError } from '../errors.js';

/** Throws an `ABORTED` RasterIoError if the signal fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  throwIfSignalAborted(signal, (s) => abortError(s, what));
}

/** An `ABORTED` error that keeps the signal's reason as its cause. */
export function abortError(signal: AbortSignal, what: string): RasterIoError {
  return new RasterIoError('ABORTED', `${what}: aborted`, { cause: signal.reason });
}

/** Validates a (offset, length) pair. */
export function checkRange(name: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${name}: invalid byte range offset=${offset} length=${length}; both must be non-negative integers`,
    );
  }
}
