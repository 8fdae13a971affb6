// `worldstrat aois`: points → AOI boxes on the WGS-84 ellipsoid (optionally 3×3 tiles of each).
import { createAois, tileAoi3x3 } from '@worldstrat/geo-sampling';
import { readPoisFile, writeAoisFile } from '@worldstrat/geo-sampling/node';
import type { Command } from 'commander';
import { checkOutputPaths } from '../../internal/output-paths.node.js';
import { checkInputFile } from '../input-file.js';
import { areaOption } from '../options.js';
import type { CliRunner } from '../runtime.js';

/** Options of `worldstrat aois`. */
interface AoisOptions {
  out: string;
  area: number;
  tile3x3: boolean;
  nameColumn?: string;
  source?: string;
}

/** Register the command. */
export function registerAois(program: Command, run: CliRunner): void {
  program
    .command('aois')
    .description('build AOI boxes (side = √area, geodesic) around points from a CSV/GeoJSON file')
    .argument('<points>', 'points file (.csv with lon/lat or longitude/latitude, or .geojson)')
    .requiredOption('--out <file>', 'output .csv, .geojson or .arrow')
    .option('--area <km2>', 'AOI area in km² (2.5 = WorldStrat tile, 22.5 = 3×3 order)', areaOption(), 2.5)
    .option('--tile3x3', 'split each AOI into 3×3 tiles named <parent>-<x>-<y>', false)
    .option('--name-column <col>', 'column holding the point name (default: name → id → poi_name → poi_id)')
    .option('--source <label>', 'source label recorded on every AOI')
    .action((points: string, _opts, cmd: Command) =>
      run<AoisOptions>(cmd, async (o, rt) => {
        await checkInputFile(points, 'points file');
        await checkOutputPaths([{ path: o.out, what: '--out' }], [{ path: points, what: 'points file' }]);
        const { pois } = await readPoisFile(points, { nameColumn: o.nameColumn, source: o.source });
        let aois = createAois(pois, o.area);
        if (o.tile3x3) aois = aois.flatMap((a) => tileAoi3x3(a));
        await writeAoisFile(o.out, aois);
        rt.done(
          { points: pois.length, aois: aois.length, areaKm2: o.area, out: o.out },
          `wrote ${aois.length} AOIs (${o.area} km²${o.tile3x3 ? ', 3×3 tiles' : ''}) to ${o.out}`,
        );
      }),
    );
}
