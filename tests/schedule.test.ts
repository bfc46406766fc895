import { describe, expect, it } from 'vitest';
import { learningRate } from '../src/train/schedule.js';

const base = { lr: 1, warmup_steps: 4, min_lr_ratio: 0 };

describe('learning-rate schedules', () => {
  it('warms up linearly to the peak', () => {
    const c = { ...base, schedule: 'constant' as const };
    expect([0, 1, 2, 3, 4, 50].map((s) => learningRate(s, 100, c))).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
  });

  it('decays linearly to the floor at the last step', () => {
    const c = { ...base, schedule: 'linear' as const, min_lr_ratio: 0.1 };
    expect(learningRate(4, 14, c)).toBeCloseTo(1);
    // step 9: 5 of 9 decay steps done, 0.1 + 0.9 * 4/9 = 0.5
    expect(learningRate(9, 14, c)).toBeCloseTo(0.5, 10);
    expect(learningRate(13, 14, c)).toBeCloseTo(0.1);
  });

  it('follows a half cosine after warmup', () => {
    const c = { ...base, schedule: 'cosine' as const };
    expect(learningRate(4, 15, c)).toBeCloseTo(1);
    expect(learningRate(9, 15, c)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI * 0.5)));
    expect(learningRate(14, 15, c)).toBeCloseTo(0);
  });

  it('is a pure function of the step', () => {
    const c = { ...base, schedule: 'cosine' as const };
    const first = Array.from({ length: 30 }, (_, s) => learningRate(s, 30, c));
    const again = Array.from({ length: 30 }, (_, s) => learningRate(s, 30, c));
    expect(again).toEqual(first);
    expect(() => learningRate(-1, 30, c)).toThrow(/step must be/);
  });
});
