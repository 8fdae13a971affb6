// Values of hostile documents quoted in error messages: short, and never a second error while quoting.
import { describeValue } from '@worldstrat/core';

/** A value for an error message (core's rendering, up to 80 characters); never throws. */
export const showValue = (v: unknown): string => describeValue(v, 80);
