import { describe, expect, it } from 'vitest';
import { createRng, samplePointsInRegion } from '../src/index.js';

const allLand = { source: 'test: all land', isLand: () => true };

describe('samplePointsInRegion', () => {
  it('is seeded, stays in the box, is area-uniform in sin(lat), and rejects water', () => {
    const a = samplePointsInRegion(2000, [0, 0, 10, 60], allLand, createRng(3));
    expect(a).toEqual(samplePointsInRegion(2000, [0, 0, 10, 60], allLand, createRng(3)));
    expect(a.every((p) => p.lon >= 0 && p.lon <= 10 && p.lat >= 0 && p.lat <= 60)).toBe(true);
    expect(a.map((p) => p.id)).toEqual(a.map((_, i) => i));
    // P(lat < 30°) = sin 30° / sin 60° = 0.577 for area-uniform points (0.5 if latitude were uniform)
    const below = a.filter((p) => p.lat < 30).length / a.length;
    expect(below).toBeGreaterThan(0.54);
    expect(below).toBeLessThan(0.615);
    const eastOnly = { source: 'east', isLand: (lon: number) => lon > 5 };
    expect(samplePointsInRegion(50, [0, 0, 10, 10], eastOnly, createRng(1)).every((p) => p.lon > 5)).toBe(
      true,
    );
    expect(() =>
      samplePointsInRegion(5, [0, 0, 1, 1], { source: 'sea', isLand: () => false }, createRng(1)),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
