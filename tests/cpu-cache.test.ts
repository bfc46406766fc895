// The cache of large CPU blocks (native/cpu_allocator.h): training and embedding give bitwise the same results
// with it on and off, a repeated step is served from it, and off (limit 0) it keeps nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { Encoder, setJunkFill } from '../src/model/encoder.js';
import { native } from '../src/native.js';
import { randomBatch, tinyConfig } from './encoder-helpers.js';

const limit = 256 * 2 ** 20;
afterAll(() => native().setCpuCacheLimit(1024 * 2 ** 20));

// Large enough that activations pass the cache's 1 MiB floor: 16 rows × 64 tokens × 256 wide in fp32 is 1 MiB.
const config = tinyConfig({
  hiddenSize: 256,
  numAttentionHeads: 4,
  intermediateSize: 512,
  maxPositionEmbeddings: 80,
  vocabSize: 64,
});
const a = randomBatch(1, 16, 64, 64, 0, 20);
const b = randomBatch(2, 16, 64, 64, 0, 20);

async function steps(): Promise<{ losses: number[]; embedding: Float32Array }> {
  const enc = await Encoder.create(config, { seed: 5 });
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) {
    losses.push(
      (await enc.trainStep({ objective: 'pairs', a, b, temperature: 0.05, lr: 1e-3, symmetric: true })).loss,
    );
  }
  const embedding = await enc.embedTokens(b);
  await enc.dispose();
  return { losses, embedding };
}

describe('CPU block cache', () => {
  it('gives the same results on and off, serves a repeated step from the cache, and keeps nothing off', async () => {
    const addon = native();
    addon.setCpuCacheLimit(0);
    expect(addon.cpuCacheStats()).toMatchObject({ cachedBytes: 0, limitBytes: 0 });
    const off = await steps();
    expect(addon.cpuCacheStats().cachedBytes).toBe(0);

    addon.setCpuCacheLimit(limit);
    const before = addon.cpuCacheStats();
    const on = await steps();
    const after = addon.cpuCacheStats();
    expect(on).toEqual(off);
    // The first step mapped its blocks; the next two, and the second encoder's, found them again.
    expect(after.misses - before.misses).toBeGreaterThan(0);
    expect(after.hits - before.hits).toBeGreaterThan(2 * (after.misses - before.misses));
    expect(after.cachedBytes).toBeGreaterThan(0);

    // Reused blocks hold what the last tensor left there; with every block handed out NaN-filled, the results
    // are still the same, so no kernel reads a reused block before writing it.
    setJunkFill(true);
    const junk = await steps();
    setJunkFill(false);
    expect(junk).toEqual(off);

    // Off again: the cache gives its blocks back at once.
    addon.setCpuCacheLimit(0);
    expect(addon.cpuCacheStats().cachedBytes).toBe(0);
  });

  it('refuses a negative limit', () => {
    expect(() => native().setCpuCacheLimit(-1)).toThrow(/setCpuCacheLimit\(bytes\) takes one number >= 0/);
  });
});
