// The train/valid/test split, drawn by hashing a repository (or top-level module) name: the same name lands
// in the same split on every run and machine, and no repository straddles two splits.
import { createHash } from 'node:crypto';
import type { Split } from '../record.js';

export interface SplitRatios {
  /** Fraction of units in train (default 0.8). */
  train: number;
  /** Fraction in valid (default 0.1); the rest is test. */
  valid: number;
}

export const DEFAULT_RATIOS: SplitRatios = { train: 0.8, valid: 0.1 };

/** A number in [0, 1) from the first 32 bits of the SHA-256 of the name. */
export function unitHash(name: string): number {
  return createHash('sha256').update(name, 'utf8').digest().readUInt32BE(0) / 2 ** 32;
}

export function splitOf(unit: string, ratios: SplitRatios = DEFAULT_RATIOS): Split {
  if (!(ratios.train >= 0 && ratios.valid >= 0 && ratios.train + ratios.valid <= 1))
    throw new Error(
      `split ratios must be >= 0 and sum to at most 1: train ${ratios.train}, valid ${ratios.valid}`,
    );
  const h = unitHash(unit);
  return h < ratios.train ? 'train' : h < ratios.train + ratios.valid ? 'valid' : 'test';
}
