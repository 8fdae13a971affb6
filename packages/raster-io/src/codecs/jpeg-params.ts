// What a JPEG-compressed TIFF block needs besides its bytes; kept apart from the decoder so that opening a file
// does not load it.

/** TIFF compression code of JPEG ("new-style", TIFF 6.0 technote 2). */
export const JPEG_COMPRESSION = 7;

/** What a JPEG tile or strip needs from its IFD. */
export interface JpegBlockParams {
  /** The JPEGTables tag: an abbreviated stream holding the shared quantization and Huffman tables. */
  tables?: Uint8Array;
  /** PhotometricInterpretation YCbCr: convert to RGB as libtiff's JPEGCOLORMODE_RGB (GDAL's setting) does. */
  ycbcrToRgb: boolean;
  /** YCbCr only: the IFD's YCbCrSubSampling, which the frame's first component must have (others 1×1). */
  sampling?: [number, number];
  /** The frame size the block must declare: the tile size, or the image width × the strip's rows. */
  width: number;
  height: number;
  /** Samples per pixel of the block (components of the frame). */
  samples: number;
}
