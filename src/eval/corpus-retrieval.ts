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
  const ks = options.ks ?? [1, 5, 10];
  const rr: number[] = [];
  const recalls = ks.map(() => [] as number[]);
  const ndcgs: number[] = [];
  judgments.forEach((judged, q) => {
    const relevant = new Set([...judged].filter(([, g]) => g > 0).map(([c]) => c));
    if (relevant.size === 0) return;
    const scores = scoreQuery(q);
    if (scores.length !== candidates) {
      throw new RangeError(`query ${q}: ${scores.length} scores for ${candidates} candidates`);
    }
    rr.push(1 / firstRelevantRank(scores, relevant));
    ks.forEach((k, i) => {
      recalls[i]!.push(recallAtK(scores, relevant, k));
    });
    if (options.graded) ndcgs.push(ndcgAtK(scores, judged, 10));
  });
  const out: RetrievalScores = {
    mrr: mean(rr),
    recall: Object.fromEntries(ks.map((k, i) => [k, mean(recalls[i]!)])),
    queries: rr.length,
    candidates,
  };
  if (options.graded) out.ndcg10 = mean(ndcgs);
  return out;
}
