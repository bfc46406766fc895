import { describe, expect, it } from 'vitest';
import { evaluateRankers, evaluateRetrieval } from '../src/eval/corpus-retrieval.js';
import {
  dcg,
  firstRelevantRank,
  meanReciprocalRank,
  ndcgAtK,
  pessimisticRank,
  recallAtK,
  reciprocalRank,
  topKOrder,
} from '../src/eval/metrics.js';

describe('rank metrics (ties count against the model)', () => {
  it('ranks the correct candidate behind every candidate scoring >= it', () => {
    expect(pessimisticRank([0.9, 0.5, 0.9, 0.1], 0)).toBe(2);
    expect(pessimisticRank([0.9, 0.5, 0.9, 0.1], 1)).toBe(3);
    expect(pessimisticRank([0.9, 0.5, 0.9, 0.1], 3)).toBe(4);
    expect(pessimisticRank([0.2, 0.9, 0.1], 1)).toBe(1);
    // A model that scores everything equally is ranked last.
    expect(pessimisticRank([1, 1, 1, 1], 0)).toBe(4);
    expect(reciprocalRank([1, 1, 1, 1], 2)).toBe(0.25);
    expect(() => pessimisticRank([1, 2], 2)).toThrow(/outside the 2/);
  });

  it('averages reciprocal ranks', () => {
    expect(meanReciprocalRank([1, 2, 4])).toBeCloseTo((1 + 0.5 + 0.25) / 3, 12);
    expect(meanReciprocalRank([])).toBe(0);
  });

  it('finds the best-ranked relevant candidate, ties with irrelevant ones against it', () => {
    expect(firstRelevantRank([0.2, 0.8, 0.8, 0.5], new Set([1, 2]))).toBe(1);
    expect(firstRelevantRank([0.2, 0.8, 0.8, 0.5], new Set([3]))).toBe(3);
    expect(firstRelevantRank([0.5, 0.5, 0.5], new Set([0]))).toBe(3);
  });

  it('computes Recall@k with ties placed against the model', () => {
    const scores = [0.3, 0.9, 0.3, 0.1];
    expect(recallAtK(scores, new Set([0]), 2)).toBe(0);
    expect(recallAtK(scores, new Set([0]), 3)).toBe(1);
    expect(recallAtK(scores, new Set([1]), 1)).toBe(1);
    // Two relevant candidates tied at the top: one is at position 1, the other at 2.
    expect(recallAtK([0.5, 0.5, 0.2], new Set([0, 1]), 1)).toBe(0.5);
    expect(recallAtK([0.5, 0.5, 0.2], new Set([0, 1]), 2)).toBe(1);
    expect(recallAtK([0.5, 0.5, 0.2], new Set(), 2)).toBe(0);
  });

  it('orders the top k by score, then least relevant first', () => {
    const scores = [0.1, 0.7, 0.7, 0.9, 0.3];
    expect(topKOrder(scores, new Map(), 3)).toEqual([3, 1, 2]);
    expect(topKOrder(scores, new Map([[1, 2]]), 3)).toEqual([3, 2, 1]);
    expect(topKOrder(scores, new Map(), 10)).toEqual([3, 1, 2, 4, 0]);
    expect(topKOrder(scores, new Map(), 0)).toEqual([]);
  });

  it('computes NDCG@k with graded relevance, by hand', () => {
    expect(dcg([3, 2])).toBeCloseTo(3 + 2 / Math.log2(3), 12);
    // Ranked 0,1,2,3 with grades 0,3,2,0: DCG = 3/log2(3) + 2/log2(4); ideal = 3 + 2/log2(3).
    const ndcg = ndcgAtK(
      [0.9, 0.8, 0.7, 0.6],
      new Map([
        [0, 0],
        [1, 3],
        [2, 2],
      ]),
      10,
    );
    expect(ndcg).toBeCloseTo((3 / Math.log2(3) + 1) / (3 + 2 / Math.log2(3)), 12);
    expect(ndcg).toBeCloseTo(0.678762, 5);
    // A tie puts the unjudged candidate first: DCG = 3/log2(3), ideal 3.
    expect(ndcgAtK([0.5, 0.5], new Map([[0, 3]]), 10)).toBeCloseTo(1 / Math.log2(3), 12);
    // Cut at k=1: only the first place counts.
    expect(ndcgAtK([0.9, 0.8], new Map([[1, 3]]), 1)).toBe(0);
    expect(ndcgAtK([0.9, 0.8], new Map([[1, 0]]), 10)).toBe(0);
  });

  it('evaluates retrieval over a whole corpus', () => {
    // 2 queries, 4 candidates; query 0's relevant candidate ranks 2nd, query 1's ranks 1st.
    const scores = [
      [0.1, 0.9, 0.5, 0.0],
      [0.8, 0.1, 0.2, 0.3],
    ];
    const judged = [new Map([[2, 1]]), new Map([[0, 3]]), new Map([[1, 0]])];
    const out = evaluateRetrieval(judged, 4, (q) => scores[q]!, { graded: true });
    expect(out.queries).toBe(2); // the third query has no relevant candidate
    expect(out.mrr).toBeCloseTo((0.5 + 1) / 2, 12);
    expect(out.recall[1]).toBe(0.5);
    expect(out.recall[5]).toBe(1);
    expect(out.ndcg10).toBeCloseTo((1 / Math.log2(3) + 1) / 2, 12);
    expect(() => evaluateRetrieval(judged, 5, (q) => scores[q]!)).toThrow(/4 scores for 5 candidates/);
    // Several rankers in one pass give what each gives alone.
    const reversed = scores.map((row) => row.map((x) => -x));
    const both = evaluateRankers(judged, 4, 2, (q) => [scores[q]!, reversed[q]!], { graded: true });
    expect(both[0]).toEqual(out);
    expect(both[1]).toEqual(evaluateRetrieval(judged, 4, (q) => reversed[q]!, { graded: true }));
    expect(both[1]!.mrr).toBeCloseTo((1 / 3 + 1 / 4) / 2, 12);
  });
});
