// What a CCITT (fax) compressed TIFF block needs besides its bytes; kept apart from the decoder so that opening a
// file does not load it.

/** TIFF compression codes of the CCITT bilevel codecs: Modified Huffman rows, T.4 (Group 3) and T.6 (Group 4). */
export const CCITT_RLE = 2;
export const CCITT_T4 = 3;
export const CCITT_T6 = 4;

/** Whether a TIFF compression code is one of the CCITT codecs. */
export const isCcitt = (compression: number): boolean =>
  compression === CCITT_RLE || compression === CCITT_T4 || compression === CCITT_T6;

/** The IFD's CCITT settings (FillOrder 2 is undone for every codec before decoding: see `msbFirst`). */
export interface CcittLayout {
  /** T4Options (compression 3) or T6Options (4): bit 0 2-D coding (T.4), bit 1 uncompressed mode, bit 2 fill bits. */
  options: number;
}

/** What a CCITT tile or strip needs from its IFD. */
export interface CcittBlockParams extends CcittLayout {
  compression: number;
  /** Pixels per row and rows: the tile size, or the image width × the strip's rows. */
  width: number;
  height: number;
}
