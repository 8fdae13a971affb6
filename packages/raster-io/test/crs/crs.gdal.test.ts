// Compares transformCoords with GDAL/PROJ's gdaltransform on seeded random points.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { transformCoords, utmEpsgForLonLat } from '../../src/index.js';
import { requireTool } from '../support/require-tool.js';

const hasGdal = spawnSync('gdaltransform', ['--version']).status === 0;

function gdaltransform(from: string, to: string, pts: [number, number][]): [number, number][] {
  const r = spawnSync('gdaltransform', ['-s_srs', from, '-t_srs', to, '-output_xy'], {
    input: pts.map((p) => p.join(' ')).join('\n'),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
}

// Skipped only where GDAL is not installed (CI installs gdal-bin).
describe.runIf(requireTool('gdaltransform', hasGdal))('transformCoords vs gdaltransform (PROJ)', () => {
  let seed = 7;
  const rand = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const pts: [number, number][] = Array.from({ length: 60 }, () => [rand() * 358 - 179, rand() * 160 - 80]);

  it('lon/lat → own UTM zone agrees to 1 mm', () => {
    // group by zone: gdaltransform takes one CRS pair per call
    const byZone = new Map<number, [number, number][]>();
    for (const p of pts) {
      const epsg = utmEpsgForLonLat(p[0], p[1]);
      byZone.set(epsg, [...(byZone.get(epsg) ?? []), p]);
    }
    let worst = 0;
    for (const [epsg, group] of byZone) {
      const ours = transformCoords(4326, epsg, group);
      const ref = gdaltransform('EPSG:4326', `EPSG:${epsg}`, group);
      ours.forEach(([x, y], i) => {
        worst = Math.max(worst, Math.hypot(x - (ref[i] as number[])[0]!, y - (ref[i] as number[])[1]!));
      });
    }
    expect(worst).toBeLessThan(1e-3);
  });

  it('lon/lat → Mollweide (ESRI:54009) and Web Mercator agree to 1 mm', () => {
    for (const crs of ['ESRI:54009', 'EPSG:3857']) {
      const use = crs === 'EPSG:3857' ? pts.filter((p) => Math.abs(p[1]) < 85) : pts;
      const ours = transformCoords(4326, crs, use);
      const ref = gdaltransform('EPSG:4326', crs, use);
      ours.forEach(([x, y], i) => {
        expect(Math.hypot(x - (ref[i] as number[])[0]!, y - (ref[i] as number[])[1]!)).toBeLessThan(1e-3);
      });
    }
  });

  it('UTM zone → neighbouring zone agrees to 1 mm', () => {
    const utm: [number, number][] = Array.from({ length: 30 }, () => [
      400000 + rand() * 200000,
      5_000_000 + rand() * 1_000_000,
    ]);
    const ours = transformCoords(32633, 32634, utm);
    const ref = gdaltransform('EPSG:32633', 'EPSG:32634', utm);
    ours.forEach(([x, y], i) => {
      expect(Math.hypot(x - (ref[i] as number[])[0]!, y - (ref[i] as number[])[1]!)).toBeLessThan(1e-3);
    });
  });
  // PROJ fails points off Mollweide's ellipse; proj4 inverted them to finite lon/lat (clamped or wrapped), which
  // warps then filled with data where gdalwarp leaves no-data.
  it('ESRI:54009 → lon/lat: the points PROJ fails (off the ellipse) are NaN, the others agree to 1e-9°', () => {
    const lattice: [number, number][] = [];
    for (let y = -9_350_000; y <= 9_350_000; y += 425_000)
      for (let x = -18_700_000; x <= 18_700_000; x += 425_000) lattice.push([x, y]);
    const ours = transformCoords('ESRI:54009', 4326, lattice);
    const ref = gdaltransform('ESRI:54009', 'EPSG:4326', lattice);
    let failed = 0;
    ours.forEach(([lon, lat], i) => {
      const [rl, rb] = ref[i] as [number, number];
      expect(Number.isNaN(lon), `${lattice[i]}`).toBe(Number.isNaN(rl));
      if (Number.isNaN(rl)) failed++;
      else {
        expect(Math.abs(lon - rl)).toBeLessThan(1e-9);
        expect(Math.abs(lat - rb)).toBeLessThan(1e-9);
      }
    });
    expect(failed).toBeGreaterThan(400); // the corners: ~21% of the box
  });
});
