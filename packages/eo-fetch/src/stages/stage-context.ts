// What a caller (an app's pipeline, a script) lends a long-running stage: cancellation, progress, notes.
// Structurally the same as the worldstrat app's pipeline context, so a pipeline passes its own through.

/** Services a stage receives from its caller. */
export interface StageContext {
  signal?: AbortSignal;
  onProgress?: (p: { stage: string; done: number; total: number }) => void;
  /** One-line human-readable notes (libraries never print; the caller decides where they go). */
  log?: (message: string) => void;
}
