// Types of the parts of Esri's `lerc` decoder (plain JavaScript, no bundled types) that the LERC codec uses.
declare module 'lerc' {
  interface LercDecodedBlock {
    width: number;
    height: number;
    /** One typed array per blob (band), `width × height × dimCount` values. */
    pixels: ArrayLike<number>[];
    dimCount: number;
  }
  const Lerc: {
    decode(input: ArrayBuffer, options?: { returnPixelInterleavedDims?: boolean }): LercDecodedBlock;
  };
  export default Lerc;
}
