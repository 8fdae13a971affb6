/** The deinterleave module's bytes, compiled from assembly/deinterleave.ts. */
export function compileDeinterleave(): Promise<Uint8Array>;
/** The text of src/read/deinterleave-wasm.generated.ts for `bytes`. */
export function generatedSource(bytes: Uint8Array): string;
