// Ranking metrics as pure functions of scores. Ties count against the model everywhere: an item tied with
// the correct one is ranked ahead of it, so a model that scores everything equally earns nothing.

/** 1-based rank of `scores[target]`: 1 + the number of other candidates scoring >= it. */
export function pessimisticRank(scores: ArrayLike<number>, target: number): number {
  if (target < 0 || target >= scores.length) {
    throw new RangeError(`target ${target} is outside the ${scores.length} candidate scores`);
  }
  const own = scores[target]!;
  if (Number.isNaN(own)) return scores.length;
  let rank = 1;
  for (let i = 0; i < scores.length; i++) if (i !== target && scores[i]! >= own) rank++;
  return rank;
}

/** 1 / pessimisticRank: the reciprocal rank of the one correct candidate. */
export function reciprocalRank(scores: ArrayLike<number>, target: number): number {
  return 1 / pessimisticRank(scores, target);
}

/** The mean of a list of per-query values (reciprocal ranks, recalls, NDCGs); 0 for an empty list. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Mean reciprocal rank over queries given as 1-based ranks of their correct candidate. */
export function meanReciprocalRank(ranks: readonly number[]): number {
  return mean(ranks.map((r) => (r > 0 && Number.isFinite(r) ? 1 / r : 0)));
}

/**
 * 1-based rank of the best-ranked relevant candidate: 1 + the number of non-relevant candidates scoring >= the
 * best relevant score. With one relevant candidate this is pessimisticRank.
 */
export function firstRelevantRank(scores: ArrayLike<number>, relevant: ReadonlySet<number>): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const r of relevant) {
    if (r < 0 || r >= scores.length)
      throw new RangeError(`relevant candidate ${r} is outside ${scores.length} scores`);
    if (scores[r]! > best) best = scores[r]!;
  }
  if (relevant.size === 0) return Number.POSITIVE_INFINITY;
  let rank = 1;
  for (let i = 0; i < scores.length; i++) if (!relevant.has(i) && !(scores[i]! < best)) rank++;
  return rank;
}

/**
 * Recall@k: the share of the relevant candidates placed within the first k, where a relevant candidate tied
 * with a non-relevant one is placed after it (ties among relevant ones: lower index first). With one
 * relevant candidate: 1 or 0.
 */
export function recallAtK(scores: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  for (const r of relevant) {
    const own = scores[r]!;
    let position = 1;
    for (let i = 0; i < scores.length && position <= k; i++) {
      if (i === r) continue;
      const s = scores[i]!;
      if (s > own || (s === own && (!relevant.has(i) || i < r))) position++;
    }
    if (position <= k) hits++;
  }
  return hits / relevant.size;
}

/** Ranked-order comparison: score descending, then less relevant first (ties against the model), then index. */
function before(
  scores: ArrayLike<number>,
  grades: ReadonlyMap<number, number>,
  a: number,
  b: number,
): boolean {
  const sa = scores[a]!;
  const sb = scores[b]!;
  if (sa !== sb) return sa > sb;
  const ga = grades.get(a) ?? 0;
  const gb = grades.get(b) ?? 0;
  return ga !== gb ? ga < gb : a < b;
}

/** The first k candidate indices in ranked order (see `before`), in one pass. */
export function topKOrder(
  scores: ArrayLike<number>,
  grades: ReadonlyMap<number, number>,
  k: number,
): number[] {
  const top: number[] = [];
  if (k <= 0) return top;
  for (let i = 0; i < scores.length; i++) {
    if (top.length === k && !before(scores, grades, i, top[k - 1]!)) continue;
    let at = top.length === k ? k - 1 : top.length;
    while (at > 0 && before(scores, grades, i, top[at - 1]!)) {
      top[at] = top[at - 1]!;
      at--;
    }
    top[at] = i;
  }
  return top;
}

/** Discounted cumulative gain of graded gains in ranked order: sum of gain_i / log2(i + 1), i 1-based. */
export function dcg(gains: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < gains.length; i++) sum += gains[i]! / Math.log2(i + 2);
  return sum;
}

/**
 * NDCG@k with graded relevance (CodeSearchNet's 0–3; linear gains, log2 discount). `relevance` maps a
 * candidate index to its grade; unjudged candidates count 0. The ideal ordering uses every judged grade.
 * 0 when no candidate has a positive grade.
 */
export function ndcgAtK(
  scores: ArrayLike<number>,
  relevance: ReadonlyMap<number, number>,
  k: number,
): number {
  const ideal = dcg(
    [...relevance.values()]
      .filter((g) => g > 0)
      .sort((a, b) => b - a)
      .slice(0, k),
  );
  if (ideal === 0) return 0;
  const ranked = topKOrder(scores, relevance, k);
  return dcg(ranked.map((i) => relevance.get(i) ?? 0)) / ideal;
}
