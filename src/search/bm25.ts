// Okapi BM25 over an inverted index (term → postings of document ids and term frequencies), so a query
// touches only the documents that share a term with it: a few ms on a 50k-function corpus.
import { type CodeTokenOptions, codeTokens } from './code-tokens.js';

export interface Bm25Options extends CodeTokenOptions {
  /** Term-frequency saturation (default 1.2). */
  k1?: number;
  /** Length normalization, 0 = none, 1 = full (default 0.75). */
  b?: number;
}

export interface ScoredDoc {
  /** Index of the document in the order it was given. */
  doc: number;
  score: number;
}

interface Postings {
  docs: number[];
  tfs: number[];
}

/**
 * BM25 with Lucene's non-negative IDF, idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)), and
 * score(q, d) = Σ over the distinct terms t of q: idf(t) · tf·(k1+1) / (tf + k1·(1 - b + b·|d|/avgdl)).
 * Documents and queries go through the same code-aware tokenizer.
 */
export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  readonly size: number;
  private readonly tokenOptions: CodeTokenOptions;
  private readonly postings = new Map<string, Postings>();
  /** k1·(1 - b + b·|d|/avgdl) per document, precomputed once. */
  private readonly lengthNorm: Float64Array;

  constructor(documents: readonly string[], options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    if (!(this.k1 >= 0)) throw new RangeError(`BM25 k1 must be >= 0, got ${options.k1}`);
    if (!(this.b >= 0 && this.b <= 1)) throw new RangeError(`BM25 b must be in [0, 1], got ${options.b}`);
    this.tokenOptions = { dropStopWords: options.dropStopWords ?? false };
    this.size = documents.length;
    const lengths = new Float64Array(documents.length);
    let total = 0;
    documents.forEach((text, doc) => {
      const counts = new Map<string, number>();
      const tokens = codeTokens(text, this.tokenOptions);
      for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [term, tf] of counts) {
        let p = this.postings.get(term);
        if (!p) {
          p = { docs: [], tfs: [] };
          this.postings.set(term, p);
        }
        p.docs.push(doc);
        p.tfs.push(tf);
      }
      lengths[doc] = tokens.length;
      total += tokens.length;
    });
    const avgdl = documents.length > 0 ? total / documents.length : 0;
    this.lengthNorm = lengths.map((len) => this.k1 * (1 - this.b + (avgdl > 0 ? (this.b * len) / avgdl : 0)));
  }

  /** Inverse document frequency of an already tokenized term (0 for an unknown term). */
  idf(term: string): number {
    const df = this.postings.get(term)?.docs.length ?? 0;
    if (df === 0) return 0;
    return Math.log(1 + (this.size - df + 0.5) / (df + 0.5));
  }

  /** The BM25 score of every document for `query` (0 where no term is shared). */
  scoreAll(query: string): Float64Array {
    const scores = new Float64Array(this.size);
    this.accumulate(query, scores, null);
    return scores;
  }

  /** The `k` best documents with a positive score, best first (ties: lower document index first). */
  search(query: string, k: number): ScoredDoc[] {
    const scores = new Float64Array(this.size);
    const touched: number[] = [];
    this.accumulate(query, scores, touched);
    return topK(touched, scores, k).map((doc) => ({ doc, score: scores[doc]! }));
  }

  private accumulate(query: string, scores: Float64Array, touched: number[] | null): void {
    const k1 = this.k1;
    for (const term of new Set(codeTokens(query, this.tokenOptions))) {
      const p = this.postings.get(term);
      if (!p) continue;
      const idf = this.idf(term);
      const { docs, tfs } = p;
      for (let i = 0; i < docs.length; i++) {
        const doc = docs[i]!;
        const tf = tfs[i]!;
        if (touched && scores[doc] === 0) touched.push(doc);
        scores[doc]! += (idf * tf * (k1 + 1)) / (tf + this.lengthNorm[doc]!);
      }
    }
  }
}

/** The k best of `docs` by score (ties: lower index first), best first: a bounded insertion, O(n·log k)-ish. */
function topK(docs: readonly number[], scores: Float64Array, k: number): number[] {
  const better = (a: number, b: number) => scores[a]! > scores[b]! || (scores[a] === scores[b] && a < b);
  const top: number[] = [];
  if (k <= 0) return top;
  for (const d of docs) {
    if (top.length === k && !better(d, top[k - 1]!)) continue;
    // Binary search for the insertion point, then shift: k is small.
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (better(d, top[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    top.splice(lo, 0, d);
    if (top.length > k) top.pop();
  }
  return top;
}
