// What a LERC-compressed TIFF block needs besides its bytes; kept apart from the decoder so that opening a file
// does not load it.
import type { DType } from '../types.js';

/** TIFF compression code of LERC (Esri's Limited Error Raster Compression, as GDAL/libtiff register it). */
export const LERC_COMPRESSION = 34887;

/** LERC's data type codes (`lerc_decode`'s `dataType`) of the sample types we read. */
export const LERC_DATA_TYPES: Readonly<Record<DType, number>> = {
  uint8: 1,
  int16: 2,
  uint16: 3,
  int32: 4,
  uint32: 5,
  float32: 6,
  float64: 7,
};

/** What a LERC tile or strip needs from its IFD. */
export interface LercBlockParams {
  /** The size every blob of the block must declare: the tile size, or the image width × the strip's rows. */
  width: number;
  height: number;
  /** Samples per pixel of the block (1 when planar). */
  samples: number;
  dtype: DType;
  /** 8-bit pixel-interleaved blocks whose last sample is unassociated alpha: the alpha may travel as the mask. */
  alphaAsMask: boolean;
  /** The LercParameters tag's second value: what wraps the blobs (0 none, 1 deflate, 2 ZSTD). */
  additionalCompression: number;
}
