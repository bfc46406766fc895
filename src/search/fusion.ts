// Hybrid ranking: fuse a dense and a BM25 ranking. Pure functions over ranked lists or full score arrays.

export interface Ranked {
  id: number;
  score: number;
}

/**
 * Reciprocal-rank fusion of ranked lists (best first): fused(d) = Σ_lists 1 / (k + rank(d)), rank 1-based;
 * an item absent from a list gets nothing from it. k = 60 (Cormack et al.) damps the head of each list.
 */
export function reciprocalRankFusion(lists: readonly (readonly Ranked[])[], k = 60): Ranked[] {
  const fused = new Map<number, number>();
  for (const list of lists) {
    list.forEach((item, i) => {
      fused.set(item.id, (fused.get(item.id) ?? 0) + 1 / (k + i + 1));
    });
  }
  return [...fused].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || a.id - b.id);
}

/** Min-max scaling of a list's scores to [0, 1] (all equal → all 1), so lists of different scales mix. */
function scaled(list: readonly Ranked[]): Map<number, number> {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const { score } of list) {
    lo = Math.min(lo, score);
    hi = Math.max(hi, score);
  }
  return new Map(list.map(({ id, score }) => [id, hi > lo ? (score - lo) / (hi - lo) : 1]));
}

/** Weighted sum of min-max scaled scores: weight·dense + (1 − weight)·bm25; an absent item counts 0. */
export function weightedFusion(dense: readonly Ranked[], bm25: readonly Ranked[], weight = 0.5): Ranked[] {
  if (!(weight >= 0 && weight <= 1)) throw new RangeError(`fusion weight must be in [0, 1], got ${weight}`);
  const d = scaled(dense);
  const s = scaled(bm25);
  const ids = new Set([...d.keys(), ...s.keys()]);
  return [...ids]
    .map((id) => ({ id, score: weight * (d.get(id) ?? 0) + (1 - weight) * (s.get(id) ?? 0) }))
    .sort((a, b) => b.score - a.score || a.id - b.id);
}

/** Competition ranks (1, 2, 2, 4): rank = 1 + the number of strictly higher scores, so ties share a rank. */
export function competitionRanks(scores: ArrayLike<number>): Uint32Array {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const ranks = new Uint32Array(scores.length);
  order.forEach((id, i) => {
    const prev = order[i - 1];
    ranks[id] = prev !== undefined && scores[prev] === scores[id] ? ranks[prev]! : i + 1;
  });
  return ranks;
}

/** RRF over full score arrays (every candidate scored by every ranker), for evaluation. */
export function reciprocalRankFusionScores(scoreLists: readonly ArrayLike<number>[], k = 60): Float64Array {
  const n = scoreLists[0]?.length ?? 0;
  const fused = new Float64Array(n);
  for (const scores of scoreLists) {
    if (scores.length !== n) throw new RangeError(`fusing ${scores.length} scores with ${n}`);
    const ranks = competitionRanks(scores);
    for (let i = 0; i < n; i++) fused[i]! += 1 / (k + ranks[i]!);
  }
  return fused;
}

/** How the hybrid fuses: reciprocal ranks with constant k, or min-max scaled scores with the dense weight. */
export type FusionSpec = { method: 'rrf'; k: number } | { method: 'weighted'; weight: number };

/**
 * The hybrid's fusion when none is asked for: the best of the tuning grid on the validation questions
 * (questions/validation.jsonl, never the test questions) with the default run's model embedding doc-code
 * (`secora eval --questions questions/validation.jsonl --fusion-grid`); bench/RESULTS.md, "What the model embeds
 * of a function", has the grid.
 */
export const DEFAULT_FUSION: FusionSpec = { method: 'weighted', weight: 0.4 };

export const SEARCH_MODES = ['dense', 'hybrid', 'bm25'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/**
 * What `secora search`, `secora serve` and the MCP tools rank by when no mode is asked for: the best of the
 * three on the real questions (bench/RESULTS.md, "The default run again"). With the default run's model the
 * hybrid wins there (macro MRR 0.503 against the model's 0.416 and BM25's 0.404); rerun
 * `secora eval --questions` with a new model and change this when another mode wins.
 */
export const DEFAULT_SEARCH_MODE: SearchMode = 'hybrid';

/** Fuses a dense and a BM25 ranked list the way the spec says. */
export function fuse(dense: readonly Ranked[], bm25: readonly Ranked[], spec: FusionSpec): Ranked[] {
  return spec.method === 'rrf'
    ? reciprocalRankFusion([dense, bm25], spec.k)
    : weightedFusion(dense, bm25, spec.weight);
}

/** "rrf:60" / "weighted:0.7" (or a bare "rrf" / "weighted" with the default constant) to a FusionSpec. */
export function parseFusion(text: string): FusionSpec {
  const [method, value] = text.split(':');
  if (method === 'rrf') {
    const k = value === undefined ? 60 : Number(value);
    if (!(Number.isFinite(k) && k >= 0)) throw new Error(`fusion '${text}': RRF's k must be a number >= 0`);
    return { method, k };
  }
  if (method === 'weighted') {
    const weight = value === undefined ? 0.5 : Number(value);
    if (!(weight >= 0 && weight <= 1)) throw new Error(`fusion '${text}': the weight must be in [0, 1]`);
    return { method, weight };
  }
  throw new Error(`fusion '${text}': expected rrf[:K] or weighted[:W]`);
}

export function formatFusion(spec: FusionSpec): string {
  return spec.method === 'rrf' ? `rrf:${spec.k}` : `weighted:${spec.weight}`;
}
