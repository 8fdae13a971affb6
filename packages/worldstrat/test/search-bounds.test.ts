// `worldstrat search` refuses oversized AOIs before any catalogue request (nothing listens on the STAC URL).
import { describe, expect, it } from 'vitest';
import { cli } from './support/run-cli.js';

const common = ['--from', '2022-06-01', '--to', '2022-06-30', '--stac-url', 'http://127.0.0.1:9/stac'];

describe('search AOI size bound', () => {
  it('refuses a world-sized box and, with --max-aoi-px, a smaller one; typed errors, no search', async () => {
    const world = await cli('search', '--bbox', '-180,-60,180,60', ...common);
    expect(world.code).not.toBe(0);
    expect(world.err).toMatch(/AOI_TOO_LARGE.*limit 10000 px a side/);
    const small = await cli('search', '--bbox', '8.5,47.3,8.6,47.4', '--max-aoi-px', '500', ...common);
    expect(small.code).not.toBe(0);
    expect(small.err).toMatch(/AOI_TOO_LARGE.*\d+ × \d+ px at 10 m \(limit 500 px a side\)/);
    const bad = await cli('search', '--bbox', '8.5,47.3,8.6,47.4', '--max-aoi-px', '0', ...common);
    expect([bad.code, bad.err.includes('--max-aoi-px 0')]).toEqual([2, true]);
  });
});
