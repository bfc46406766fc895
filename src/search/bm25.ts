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
  docs: number[] | Uint32Array;
  tfs: number[] | Uint32Array;
}

/**
 * BM25 with Lucene's non-negative IDF, idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)), and
 * score(q, d) = Σ over the distinct terms t of q: idf(t) · tf·(k1+1) / (tf + k1·(1 - b + b·|d|/avgdl)).
 * Documents and queries go through the same code-aware tokenizer.
 */
export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  private count: number;
  private readonly tokenOptions: CodeTokenOptions;
  private readonly postings = new Map<string, Postings>();
  /** k1·(1 - b + b·|d|/avgdl) per document, precomputed once. */
  private lengthNorm: Float64Array;

  constructor(documents: readonly string[], options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    if (!(this.k1 >= 0)) throw new RangeError(`BM25 k1 must be >= 0, got ${options.k1}`);
    if (!(this.b >= 0 && this.b <= 1)) throw new RangeError(`BM25 b must be in [0, 1], got ${options.b}`);
    this.tokenOptions = { dropStopWords: options.dropStopWords ?? false };
    this.count = documents.length;
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
        (p.docs as number[]).push(doc);
        (p.tfs as number[]).push(tf);
      }
      lengths[doc] = tokens.length;
      total += tokens.length;
    });
    const avgdl = documents.length > 0 ? total / documents.length : 0;
    this.lengthNorm = lengths.map((len) => this.k1 * (1 - this.b + (avgdl > 0 ? (this.b * len) / avgdl : 0)));
  }

  /** Number of documents. */
  get size(): number {
    return this.count;
  }

  /**
   * The index as bytes, to store beside the documents and skip tokenizing them again:
   * u32 n | JSON {k1, b, dropStopWords, size, terms} | f64 lengthNorm[size] | u32 offsets[terms+1] | u32 docs | u32 tfs.
   */
  toBytes(): Buffer {
    const terms = [...this.postings.keys()];
    const head = Buffer.from(
      JSON.stringify({
        k1: this.k1,
        b: this.b,
        dropStopWords: this.tokenOptions.dropStopWords,
        size: this.count,
        terms,
      }),
    );
    const offsets = new Uint32Array(terms.length + 1);
    terms.forEach((t, i) => {
      offsets[i + 1] = offsets[i]! + this.postings.get(t)!.docs.length;
    });
    const total = offsets[terms.length]!;
    const docs = new Uint32Array(total);
    const tfs = new Uint32Array(total);
    terms.forEach((t, i) => {
      const p = this.postings.get(t)!;
      docs.set(p.docs, offsets[i]!);
      tfs.set(p.tfs, offsets[i]!);
    });
    const n = Buffer.alloc(4);
    n.writeUInt32LE(head.length);
    const bytes = (a: Float64Array | Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    return Buffer.concat([n, head, bytes(this.lengthNorm), bytes(offsets), bytes(docs), bytes(tfs)]);
  }

  /** An index from toBytes' output; `source` names it in errors. */
  static fromBytes(buf: Buffer, source = 'BM25 bytes'): Bm25Index {
    const fail = (why: string): never => {
      throw new Error(`${source}: not a BM25 index (${why})`);
    };
    if (buf.length < 4) fail('too short');
    const headLength = buf.readUInt32LE(0);
    let head: { k1: number; b: number; dropStopWords: boolean; size: number; terms: string[] };
    try {
      head = JSON.parse(buf.subarray(4, 4 + headLength).toString('utf8'));
    } catch (error) {
      return fail(`header is not JSON: ${(error as Error).message}`);
    }
    let at = 4 + headLength;
    const take = <T extends Float64Array | Uint32Array>(make: new (n: number) => T, n: number): T => {
      const out = new make(n);
      const bytes = n * out.BYTES_PER_ELEMENT;
      if (at + bytes > buf.length) fail(`truncated at byte ${at}`);
      Buffer.from(out.buffer).set(buf.subarray(at, at + bytes));
      at += bytes;
      return out;
    };
    const index = new Bm25Index([], { k1: head.k1, b: head.b, dropStopWords: head.dropStopWords });
    index.count = head.size;
    index.lengthNorm = take(Float64Array, head.size);
    const offsets = take(Uint32Array, head.terms.length + 1);
    const total = offsets[head.terms.length] ?? 0;
    const docs = take(Uint32Array, total);
    const tfs = take(Uint32Array, total);
    if (at !== buf.length) fail(`${buf.length - at} bytes left over`);
    head.terms.forEach((term, i) => {
      index.postings.set(term, {
        docs: docs.subarray(offsets[i]!, offsets[i + 1]!),
        tfs: tfs.subarray(offsets[i]!, offsets[i + 1]!),
      });
    });
    return index;
  }

  /** Inverse document frequency of an already tokenized term (0 for an unknown term). */
  idf(term: string): number {
    const df = this.postings.get(term)?.docs.length ?? 0;
    if (df === 0) return 0;
    return Math.log(1 + (this.count - df + 0.5) / (df + 0.5));
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
