// The CodeSearchNet MRR protocol: per language, pairs are shuffled (seeded) and cut into chunks of 1000;
// each query is ranked against the codes of its chunk (its own code + 999 distractors). The training loop's
// validation calls this too, with embeddings it already holds.
import { Bm25Index, type Bm25Options } from '../search/bm25.js';
import { asRows, type EmbeddingRows, scoreAgainst } from './embedding-rows.js';
import { mean, pessimisticRank } from './metrics.js';
import { seededPermutation } from './seeded-shuffle.js';

export interface CsnOptions {
  /** Candidates per chunk (default 1000). */
  chunkSize?: number;
  /** Seed of the shuffle (default 0). */
  seed?: number;
  /**
   * What happens to a last chunk smaller than chunkSize: 'drop' (default, as CodeSearchNet does) or 'keep'
   * (ranked among fewer distractors, so its queries are easier).
   */
  incompleteChunk?: 'drop' | 'keep';
}

export interface CsnScore {
  /** Mean reciprocal rank over the ranked queries; NaN when no query was ranked. */
  mrr: number;
  /** Queries ranked. */
  queries: number;
  chunks: number;
  /** Pairs left out in a dropped incomplete chunk. */
  dropped: number;
}

/** The chunks of pair indices for `n` pairs: a seeded permutation cut into chunkSize pieces. */
export function csnChunks(n: number, options: CsnOptions = {}): number[][] {
  const size = options.chunkSize ?? 1000;
  if (!Number.isInteger(size) || size < 2)
    throw new RangeError(`chunkSize must be an integer >= 2, got ${size}`);
  const order = seededPermutation(n, options.seed ?? 0);
  const chunks: number[][] = [];
  for (let start = 0; start < n; start += size) {
    const chunk = order.slice(start, start + size);
    if (chunk.length < size && (options.incompleteChunk ?? 'drop') === 'drop') break;
    chunks.push(chunk);
  }
  return chunks;
}

function summarize(ranks: number[], chunks: number[][], n: number): CsnScore {
  const ranked = chunks.reduce((s, c) => s + c.length, 0);
  return {
    mrr: ranks.length > 0 ? mean(ranks.map((r) => 1 / r)) : Number.NaN,
    queries: ranks.length,
    chunks: chunks.length,
    dropped: n - ranked,
  };
}

/**
 * The protocol on embeddings: `queries[i]` belongs with `codes[i]`. Scores are inner products (cosine on
 * normalized rows); ties count against the model.
 */
export function csnMrr(queries: EmbeddingRows, codes: EmbeddingRows, options: CsnOptions = {}): CsnScore {
  const q = asRows(queries, 'query embeddings');
  const c = asRows(codes, 'code embeddings');
  if (q.length !== c.length)
    throw new RangeError(`${q.length} query embeddings but ${c.length} code embeddings`);
  if (q.length > 0 && q[0]!.length !== c[0]!.length) {
    throw new RangeError(`query embeddings have ${q[0]!.length} dimensions, code embeddings ${c[0]!.length}`);
  }
  const chunks = csnChunks(q.length, options);
  const ranks: number[] = [];
  for (const chunk of chunks) {
    const candidates = chunk.map((i) => c[i]!);
    chunk.forEach((pair, position) => {
      ranks.push(pessimisticRank(scoreAgainst(q[pair]!, candidates), position));
    });
  }
  return summarize(ranks, chunks, q.length);
}

/** The same protocol with BM25: same seed and chunk size, so the same chunks as csnMrr. */
export function csnBm25Mrr(
  queryTexts: readonly string[],
  codeTexts: readonly string[],
  options: CsnOptions & { bm25?: Bm25Options } = {},
): CsnScore {
  if (queryTexts.length !== codeTexts.length) {
    throw new RangeError(`${queryTexts.length} queries but ${codeTexts.length} codes`);
  }
  const chunks = csnChunks(queryTexts.length, options);
  const ranks: number[] = [];
  for (const chunk of chunks) {
    const bm25 = new Bm25Index(
      chunk.map((i) => codeTexts[i]!),
      options.bm25,
    );
    chunk.forEach((pair, position) => {
      ranks.push(pessimisticRank(bm25.scoreAll(queryTexts[pair]!), position));
    });
  }
  return summarize(ranks, chunks, queryTexts.length);
}

export interface CsnLanguageScores {
  language: string;
  dense?: CsnScore;
  bm25?: CsnScore;
}

/** Macro average of per-language MRRs, over the languages that ranked at least one query. */
export function macroMrr(scores: readonly (CsnScore | undefined)[]): number {
  const ranked = scores.filter((s): s is CsnScore => s !== undefined && s.queries > 0);
  return ranked.length > 0 ? mean(ranked.map((s) => s.mrr)) : Number.NaN;
}
