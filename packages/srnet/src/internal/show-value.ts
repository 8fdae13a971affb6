// Values of hostile documents quoted in error messages: short, and never a second error while quoting.

/** A value for an error message; never throws (String() of a hostile object can). */
export function showValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    text = undefined;
  }
  text ??= typeof v;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
