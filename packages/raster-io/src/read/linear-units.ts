// The linear unit GDAL gives a projected EPSG code, and the one a file's ProjLinearUnitsGeoKey (or user-defined
// ProjLinearUnitSizeGeoKey) says: GDAL drops the code when the two differ (it keeps the CRS, rescaled to the
// file's unit, which no EPSG code names).
import { EPSG_PROJECTED_UNITS, LINEAR_UNIT_SIZES } from './epsg-linear-units.js';

const USER_DEFINED = 32767;

let projectedUnits: Map<number, number> | undefined;
let unitSizes: Map<number, number> | undefined;

/** {@link EPSG_PROJECTED_UNITS}, decoded once: projected CRS code → EPSG unit code. */
function projectedUnitTable(): Map<number, number> {
  if (projectedUnits) return projectedUnits;
  const table = new Map<number, number>();
  let code = 0;
  for (const cell of EPSG_PROJECTED_UNITS.split(',')) {
    const [run = '', unit] = cell.split(':');
    const [gap = '', count] = run.split('*');
    const first = code + Number.parseInt(gap, 36);
    const n = count === undefined ? 1 : Number.parseInt(count, 36);
    const u = unit === undefined ? 9001 : Number.parseInt(unit, 36);
    for (let k = 0; k < n; k++) table.set(first + k, u);
    code = first + n - 1;
  }
  projectedUnits = table;
  return table;
}

/** {@link LINEAR_UNIT_SIZES}, decoded once: unit code → metres (codes not listed are 1). */
function unitSizeTable(): Map<number, number> {
  if (unitSizes) return unitSizes;
  unitSizes = new Map(
    LINEAR_UNIT_SIZES.split(',').map((cell) => {
      const [code = '', size = ''] = cell.split(':');
      return [Number.parseInt(code, 36), Number(size)] as [number, number];
    }),
  );
  return unitSizes;
}

/** The size in metres GDAL gives a ProjLinearUnitsGeoKey value (1 for metre and for codes it does not know). */
export function linearUnitSize(unit: number): number {
  return unitSizeTable().get(unit) ?? 1;
}

/** The size in metres of a projected EPSG code's unit, or undefined for a code the tables do not know. */
export function epsgUnitSize(code: number): number | undefined {
  const unit = projectedUnitTable().get(code);
  return unit === undefined ? undefined : linearUnitSize(unit);
}

/** The unit keys as libgeotiff reads them: SHORT ProjLinearUnitsGeoKey, DOUBLE ProjLinearUnitSizeGeoKey. */
export interface UnitKeys {
  units?: number;
  size?: number;
}

/**
 * Whether the unit keys contradict projected code `code`'s unit as GDAL finds it: the key's size (the user-defined
 * size for 32767; none without that) differs from the code's by more than GDAL's 1e-15 relative tolerance. A code
 * the tables do not know (newer than their EPSG version) is taken as contradicted by any unit but one of 1 metre,
 * the unit of most codes: its code is then not claimed for keys that may describe another CRS.
 */
export function unitsContradict(code: number, keys: UnitKeys): boolean {
  if (keys.units === undefined) return false;
  let size: number;
  if (keys.units === USER_DEFINED) {
    if (keys.size === undefined) return false;
    size = keys.size;
  } else {
    size = linearUnitSize(keys.units);
  }
  const own = epsgUnitSize(code) ?? 1;
  return !(Math.abs(size - own) <= 1e-15 * Math.abs(size));
}
