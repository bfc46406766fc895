// Retrieval over a whole corpus: every query ranked against every candidate, with one or more judged
// candidates per query (a paired dataset gives one; CodeSearchNet's annotations give graded 0–3).
import { firstRelevantRank, mean, ndcgAtK, recallAtK } from './metrics.js';

/** Judgments of one query: candidate index → grade (> 0 is relevant; 0 is judged irrelevant). */
export type Judgments = ReadonlyMap<number, number>;

export interface RetrievalScores {
  mrr: number;
  /** Recall@k for each k asked. */
  recall: Record<number, number>;
  /** NDCG@10, only when the judgments are graded. */
  ndcg10?: number;
  /** Queries with at least one relevant candidate (the others are skipped). */
  queries: number;
  candidates: number;
}

export interface RetrievalOptions {
  ks?: readonly number[];
  /** Compute NDCG@10 (for graded judgments). */
  graded?: boolean;
}

/**
 * Ranks every query with `scoreQuery(q)` (a score per candidate) and averages MRR, Recall@k and, for graded
 * judgments, NDCG@10. Ties count against the model.
 */
export function evaluateRetrieval(
  judgments: readonly Judgments[],
  candidates: number,
  scoreQuery: (query: number) => ArrayLike<number>,
  options: RetrievalOptions = {},
): RetrievalScores {
  return evaluateRankers(judgments, candidates, 1, (q) => [scoreQuery(q)], options)[0]!;
}

/**
 * The same for several rankers at once: `scoreQuery(q)` returns one score array per ranker, so work they
 * share (a fusion of the others) is done once per query.
 */
export function evaluateRankers(
  judgments: readonly Judgments[],
  candidates: number,
  rankers: number,
  scoreQuery: (query: number) => readonly ArrayLike<number>[],
  options: RetrievalOptions = {},
): RetrievalScores[] {
  const ks = options.ks ?? [1, 5, 10];
  const acc = Array.from({ length: rankers }, () => ({
    rr: [] as number[],
    recalls: ks.map(() => [] as number[]),
    ndcgs: [] as number[],
  }));
  judgments.forEach((judged, q) => {
    const relevant = new Set([...judged].filter(([, g]) => g > 0).map(([c]) => c));
    if (relevant.size === 0) return;
    const all = scoreQuery(q);
    if (all.length !== rankers)
      throw new RangeError(`query ${q}: ${all.length} score arrays for ${rankers} rankers`);
    all.forEach((scores, r) => {
      if (scores.length !== candidates) {
        throw new RangeError(`query ${q}: ${scores.length} scores for ${candidates} candidates`);
      }
      const a = acc[r]!;
      a.rr.push(1 / firstRelevantRank(scores, relevant));
      ks.forEach((k, i) => {
        a.recalls[i]!.push(recallAtK(scores, relevant, k));
      });
      if (options.graded) a.ndcgs.push(ndcgAtK(scores, judged, 10));
    });
  });
  return acc.map((a) => {
    const out: RetrievalScores = {
      mrr: mean(a.rr),
      recall: Object.fromEntries(ks.map((k, i) => [k, mean(a.recalls[i]!)])),
      queries: a.rr.length,
      candidates,
    };
    if (options.graded) out.ndcg10 = mean(a.ndcgs);
    return out;
  });
}
