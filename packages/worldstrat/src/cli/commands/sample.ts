// `worldstrat sample`: seeded uniform points over land (or the whole sphere).

import { toCsv } from '@worldstrat/core';
import { writeFileAtomic } from '@worldstrat/core/node';
import {
  loadLandMask,
  type NaturalEarthScale,
  samplePointsOnLand,
  samplePointsOnSphere,
} from '@worldstrat/geo-sampling';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { intOption, MAX_POINTS, seedOption } from '../options.js';
import type { CliRunner } from '../runtime.js';

/** Options of `worldstrat sample`. */
interface SampleOptions {
  count: number;
  seed: number;
  sphere: boolean;
  landScale: string;
  out?: string;
}

const isNaturalEarthScale = (s: string): s is NaturalEarthScale => s === '10m' || s === '50m' || s === '110m';

/** Register the command. */
export function registerSample(program: Command, run: CliRunner): void {
  program
    .command('sample')
    .description('sample points uniformly over land (Natural Earth mask, lakes count as land) or the sphere')
    .requiredOption('--count <n>', 'number of points', intOption('count', { min: 1, max: MAX_POINTS }))
    .option('--seed <n>', 'PRNG seed (geo-sampling createRng)', seedOption(), 0)
    .option('--sphere', 'uniform on the whole sphere (oceans included)', false)
    .option(
      '--land-scale <scale>',
      'Natural Earth land mask scale: 10m (default, exact) | 50m | 110m (fast)',
      '10m',
    )
    .option('--out <file>', 'output .csv or .geojson (default: CSV on stdout)')
    .action((_opts, cmd: Command) =>
      run<SampleOptions>(cmd, async (o, rt) => {
        const count = o.count;
        const options = { seed: o.seed, signal: rt.signal, onProgress: rt.onProgress };
        const scale = o.landScale;
        if (!isNaturalEarthScale(scale)) {
          throw new WorldStratError('INVALID_ARGUMENT', `--land-scale ${scale}: use 10m, 50m or 110m`);
        }
        const points = o.sphere
          ? samplePointsOnSphere(count, options)
          : await samplePointsOnLand(count, { ...options, mask: await loadLandMask({ scale }) });
        const out = o.out;
        let text: string;
        if (!out || out.endsWith('.csv')) {
          text = toCsv(
            ['id', 'lon', 'lat'],
            points.map((p) => [p.id, p.lon, p.lat]),
          );
        } else if (out.endsWith('.geojson') || out.endsWith('.json')) {
          text = `${JSON.stringify({
            type: 'FeatureCollection',
            features: points.map((p) => ({
              type: 'Feature',
              properties: { id: p.id },
              geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
            })),
          })}\n`;
        } else {
          throw new WorldStratError('INVALID_ARGUMENT', `--out ${out}: use a .csv or .geojson file`);
        }
        if (out) await writeFileAtomic(out, text);
        const result = { count: points.length, seed: o.seed, land: !o.sphere, out: out ?? null };
        if (out) rt.done(result, `wrote ${points.length} points to ${out}`);
        else if (rt.json) rt.done({ ...result, points });
        else rt.done(result, text.trimEnd());
      }),
    );
}
