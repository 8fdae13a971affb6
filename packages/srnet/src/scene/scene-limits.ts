// Size limits of whole-scene inference, checked before anything is allocated: the output grid is sized by the
// model's outputSize / chipSize, and a model file may state any outputSize up to 65536 (a 100² scene at
// 65536/50 asked for 131 072² px per band: a RangeError, or many GB, before the first tile ran).
import { SrnetError } from '../errors.js';

/**
 * Most pixels of one output band of {@link superResolve} (2^31; a 46 340² raster), and most values of one
 * model call's input or output (a seamless tile, a batch of chips). One 10980² Sentinel-2 tile at the models'
 * 156/50 = 3.12 is 34 258² ≈ 1.17·10⁹ px per band.
 */
export const MAX_OUTPUT_PIXELS = 2 ** 31;

/**
 * Most values of one {@link superResolve} result, all bands together (2^32 float32 values, 16 GiB): three bands
 * of that Sentinel-2 tile (3.5·10⁹) fit.
 */
export const MAX_OUTPUT_SAMPLES = 2 ** 32;

/**
 * The output grid `[OH, OW]` of a `W × H` LR scene at `scale` [y, x], checked against {@link MAX_OUTPUT_PIXELS}
 * per band and {@link MAX_OUTPUT_SAMPLES} in all before any plane is allocated.
 *
 * @param how - what fixes the scale, for the message (e.g. `outputSize 156×156 / chipSize 50`).
 * @throws SrnetError `BAD_SCENE_OPTIONS` naming the scene size, the scale and the limit
 */
export function checkedOutputGrid(
  W: number,
  H: number,
  scale: [number, number],
  bands: number,
  how: string,
): [number, number] {
  const OW = Math.round(W * scale[1]);
  const OH = Math.round(H * scale[0]);
  const pixels = OW * OH;
  if (pixels <= MAX_OUTPUT_PIXELS && pixels * bands <= MAX_OUTPUT_SAMPLES) return [OH, OW];
  const over =
    pixels > MAX_OUTPUT_PIXELS
      ? `${pixels} px per band, more than the ${MAX_OUTPUT_PIXELS} allowed (MAX_OUTPUT_PIXELS)`
      : `${pixels} px × ${bands} bands = ${pixels * bands} values, more than the ${MAX_OUTPUT_SAMPLES} allowed (MAX_OUTPUT_SAMPLES)`;
  throw new SrnetError(
    'BAD_SCENE_OPTIONS',
    `a ${W}×${H} LR scene at ${showScale(scale)} output px per LR px (${how}) gives a ${OW}×${OH} output: ${over}; super-resolve the scene in parts, or check the model's outputSize and chipSize`,
    { width: W, height: H, scale, output: [OH, OW], bands, limit: [MAX_OUTPUT_PIXELS, MAX_OUTPUT_SAMPLES] },
  );
}

/**
 * One model call's input and output (`[what, values]`) each hold at most {@link MAX_OUTPUT_PIXELS} values, checked
 * before the input is allocated or the engine asked: a larger one is no typed array.
 *
 * @param call - the call, for the message (e.g. `a 384×384 LR tile (tileSize 384)`).
 * @throws SrnetError `BAD_SCENE_OPTIONS`
 */
export function checkCallSize(call: string, parts: [string, number][], fix: string): void {
  for (const [what, values] of parts)
    if (values > MAX_OUTPUT_PIXELS)
      throw new SrnetError(
        'BAD_SCENE_OPTIONS',
        `${call} needs ${values} ${what} values, more than the ${MAX_OUTPUT_PIXELS} one model call may hold (MAX_OUTPUT_PIXELS); ${fix}`,
        { values, limit: MAX_OUTPUT_PIXELS },
      );
}

const showScale = (s: [number, number]): string =>
  s[0] === s[1]
    ? `${Number(s[0].toPrecision(6))}`
    : `${Number(s[0].toPrecision(6))}×${Number(s[1].toPrecision(6))}`;
