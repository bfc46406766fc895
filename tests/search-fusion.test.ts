import { describe, expect, it } from 'vitest';
import { embedAll } from '../src/model/embedder.js';
import {
  competitionRanks,
  reciprocalRankFusion,
  reciprocalRankFusionScores,
  weightedFusion,
} from '../src/search/fusion.js';
import { fnv1a, HashingEmbedder } from '../src/search/hashing-embedder.js';

describe('fusion', () => {
  it('fuses ranked lists by reciprocal rank, by hand', () => {
    const dense = [
      { id: 1, score: 0.9 },
      { id: 2, score: 0.8 },
    ];
    const bm25 = [
      { id: 2, score: 12 },
      { id: 3, score: 3 },
    ];
    const fused = reciprocalRankFusion([dense, bm25], 60);
    expect(fused.map((f) => f.id)).toEqual([2, 1, 3]);
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(fused[1]!.score).toBeCloseTo(1 / 61, 12);
    expect(fused[2]!.score).toBeCloseTo(1 / 62, 12);
  });

  it('fuses min-max scaled scores with a weight, by hand', () => {
    const dense = [
      { id: 1, score: 0.9 },
      { id: 2, score: 0.5 },
      { id: 3, score: 0.1 },
    ];
    const bm25 = [
      { id: 3, score: 10 },
      { id: 2, score: 5 },
    ];
    // dense scaled: 1 → 1, 2 → 0.5, 3 → 0; bm25 scaled: 3 → 1, 2 → 0.
    const fused = weightedFusion(dense, bm25, 0.75);
    expect(fused).toEqual([
      { id: 1, score: 0.75 },
      { id: 2, score: 0.375 },
      { id: 3, score: 0.25 },
    ]);
    expect(() => weightedFusion(dense, bm25, 2)).toThrow(/weight must be in \[0, 1\], got 2/);
  });

  it('gives tied scores the same competition rank, and fuses full score arrays', () => {
    expect([...competitionRanks([0.5, 0.9, 0.5, 0.1])]).toEqual([2, 1, 2, 4]);
    const fused = reciprocalRankFusionScores(
      [
        [0.5, 0.9, 0.5, 0.1],
        [1, 2, 3, 4],
      ],
      60,
    );
    expect(fused[0]).toBeCloseTo(1 / 62 + 1 / 64, 12);
    expect(fused[3]).toBeCloseTo(1 / 64 + 1 / 61, 12);
    expect(() => reciprocalRankFusionScores([[1], [1, 2]])).toThrow(/fusing 2 scores with 1/);
  });
});

describe('HashingEmbedder (the lexical baseline)', () => {
  it('makes deterministic unit rows that share buckets for shared subtokens', async () => {
    const e = new HashingEmbedder(64);
    expect(e.modelId).toBe('hashing-bag-of-subtokens/v1/dim=64');
    expect(fnv1a('a')).toBe(0xe40c292c); // FNV-1a 32-bit test vector
    const [a, b, c] = await embedAll(e, ['parseHttpResponse', 'parse_http_response', 'sort the list'], 2);
    expect(a).toEqual(b);
    let norm = 0;
    for (const x of a!) norm += x * x;
    expect(norm).toBeCloseTo(1, 6);
    expect(c).not.toEqual(a);
    expect([...(await e.embed(['']))[0]!].every((x) => x === 0)).toBe(true);
    expect(() => new HashingEmbedder(1)).toThrow(/dim must be an integer >= 2/);
  });

  it('checks what an embedder returns', async () => {
    const bad = { modelId: 'bad', dim: 4, embed: async (t: string[]) => t.map(() => new Float32Array(3)) };
    await expect(embedAll(bad, ['x'])).rejects.toThrow(/embedder bad returned a row of 3 values, expected 4/);
  });
});
