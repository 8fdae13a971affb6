// What a WEBP-compressed TIFF block needs besides its bytes; kept apart from the decoder so that opening a file
// does not load it.

/** TIFF compression code of WEBP (as GDAL/libtiff register it). */
export const WEBP_COMPRESSION = 50001;

/** What a WEBP tile or strip needs from its IFD. */
export interface WebpBlockParams {
  /** The size the image in the block must have: the tile size, or the image width × the strip's rows. */
  width: number;
  height: number;
  /** Samples per pixel: 3 (RGB) or 4 (RGBA, the fourth sample decoded as the WebP alpha). */
  samples: 3 | 4;
}
