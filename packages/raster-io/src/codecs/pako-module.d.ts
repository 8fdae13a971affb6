// Types of the part of pako (zlib ported to JavaScript; no bundled types) that the deflate codec uses.
declare module 'pako' {
  export class Inflate {
    constructor(options?: { chunkSize?: number });
    /** Called with each chunk of output; the default collects them for `result`. */
    onData: (chunk: Uint8Array) => void;
    push(data: Uint8Array, finish: boolean): boolean;
    /** zlib's status after an error (0 while none), and its message. */
    err: number;
    msg: string;
    /** Whether the stream ended (its end reached, or an error). */
    ended: boolean;
  }
}
