import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { paretoFront } from '../../src/report/pareto.js';

describe('paretoFront (cost down, quality up)', () => {
  it('keeps exactly the non-dominated points, cheapest first', () => {
    const points = [
      { cost: 10, quality: 0.90 }, // 0: front
      { cost: 5, quality: 0.80 }, // 1: front (cheapest)
      { cost: 12, quality: 0.85 }, // 2: dominated by 0
      { cost: 20, quality: 0.95 }, // 3: front (best)
      { cost: 20, quality: 0.94 }, // 4: dominated by 3 (same cost, lower quality)
    ];
    assert.deepEqual(paretoFront(points), [1, 0, 3]);
  });

  it('a point better on both axes leaves a front of one', () => {
    assert.deepEqual(paretoFront([{ cost: 3, quality: 0.5 }, { cost: 1, quality: 0.9 }, { cost: 2, quality: 0.7 }]), [1]);
  });

  it('identical points do not dominate each other; non-finite points are never on the front', () => {
    const points = [{ cost: 1, quality: 0.5 }, { cost: 1, quality: 0.5 }, { cost: NaN, quality: 1 }, { cost: 0, quality: Infinity }];
    assert.deepEqual(paretoFront(points), [0, 1]);
    assert.deepEqual(paretoFront([]), []);
  });

  it('matches a brute-force definition on random points', () => {
    let state = 12345;
    const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 50; trial++) {
      const points = Array.from({ length: 12 }, () => ({ cost: Math.floor(next() * 6), quality: Math.floor(next() * 6) }));
      const expected = points
        .map((p, i) => i)
        .filter((i) => !points.some((q) => (q.cost < points[i]!.cost && q.quality >= points[i]!.quality) || (q.cost <= points[i]!.cost && q.quality > points[i]!.quality)));
      assert.deepEqual([...paretoFront(points)].sort((a, b) => a - b), expected, `trial ${trial}: ${JSON.stringify(points)}`);
    }
  });
});
