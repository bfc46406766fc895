// The dropout masks secora draws (native/dropout.h): a counter-based generator instead of libtorch's serial
// bernoulli_. Each entry is 0 or the exact inverse of its keep probability, kept at the rate asked, independent
// of its neighbours, the same for the same seed whatever the thread count.
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import './encoder-helpers.js'; // one libtorch thread, as the other native tests

const N = 1 << 20;
const draw = (p: number, seed: number) => native().dropoutMask({ size: N, p, seed }).mask;

/** |observed - expected| in standard deviations, for a count of `n` Bernoulli(q) trials. */
const sigmas = (count: number, n: number, q: number) => Math.abs(count - n * q) / Math.sqrt(n * q * (1 - q));

afterAll(() => native().setNumThreads(1));

describe('dropout masks', () => {
  for (const p of [0.1, 0.5]) {
    it(`p = ${p}: entries are 0 or the exact scale, kept at rate 1 - p, neighbours independent`, () => {
      const mask = draw(p, 11);
      const keep = Math.round((1 - p) * 65536);
      const scale = Math.fround(65536 / keep);
      let kept = 0;
      let both = 0;
      let other = 0;
      const byLane = [0, 0, 0, 0];
      for (let i = 0; i < N; i++) {
        const v = mask[i]!;
        if (v !== 0 && v !== scale) other++;
        if (v !== 0) {
          kept++;
          byLane[i % 4]!++;
          if (i + 1 < N && mask[i + 1] !== 0) both++;
        }
      }
      expect(other).toBe(0);
      const q = keep / 65536;
      expect(sigmas(kept, N, q)).toBeLessThan(5);
      // Each of the four 16-bit lanes of one 64-bit draw, and pairs of neighbours (same draw or the next).
      for (const lane of byLane) expect(sigmas(lane, N / 4, q)).toBeLessThan(5);
      expect(sigmas(both, N - 1, q * q)).toBeLessThan(5);
    });
  }

  it('is the same for the same seed, whatever the thread count; another seed gives another mask', () => {
    native().setNumThreads(1);
    const one = draw(0.1, 3);
    native().setNumThreads(2);
    const two = draw(0.1, 3);
    native().setNumThreads(1);
    expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
    const other = draw(0.1, 4);
    let differ = 0;
    for (let i = 0; i < N; i++) if (other[i] !== one[i]) differ++;
    // Two independent masks differ where exactly one keeps: 2 q (1 - q) of the entries.
    expect(sigmas(differ, N, 2 * 0.9 * 0.1)).toBeLessThan(5);
  });

  it('refuses a probability outside (0, 1)', () => {
    expect(() => native().dropoutMask({ size: 8, p: 1 })).toThrow(/p must be in \(0, 1\)/);
    expect(() => native().dropoutMask({ size: 8, p: 0 })).toThrow(/p must be in \(0, 1\)/);
  });
});
