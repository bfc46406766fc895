// One search as the server and the MCP tools ask it: dense, BM25 or hybrid (fused by DEFAULT_FUSION, as
// `secora search --mode hybrid`), optionally one language and a path glob. The query vector comes in from the
// caller (the micro-batcher), so a search never embeds twice.
import type { CodeIndex } from '../search/code-index.js';
import { DEFAULT_FUSION, fuse as fuseRankings } from '../search/fusion.js';
import { pathMatcher as globMatcher } from '../search/path-glob.js';
import type { SearchHit } from '../search/snippet.js';

export type SearchMode = 'dense' | 'bm25' | 'hybrid';
export const SEARCH_MODES: readonly SearchMode[] = ['dense', 'bm25', 'hybrid'];

export interface SearchRequest {
  query: string;
  k: number;
  mode: SearchMode;
  language?: string;
  /** A glob over the indexed paths ('src/**', '*.py': without a slash it matches the file name). */
  path?: string;
}

/** A predicate for a path glob (as `secora search --path` reads it), or undefined for none. */
export function pathMatcher(glob: string | undefined): ((path: string) => boolean) | undefined {
  return glob === undefined || glob === '' ? undefined : globMatcher(glob);
}

/** A dense search: the `want` nearest snippets to the vector (optionally of one language). */
export type DenseSearch = (
  index: CodeIndex,
  vector: Float32Array,
  want: number,
  language?: string,
) => SearchHit[] | Promise<SearchHit[]>;

const searchOne: DenseSearch = (index, vector, want, language) => index.searchVector(vector, want, language);

/**
 * The best `k` hits for the request; `vector` is the query's embedding (unused in bm25 mode). `dense` does the
 * vector search (the server passes a VectorSearchBatcher's, so concurrent requests share faiss calls).
 */
export async function searchIndex(
  index: CodeIndex,
  request: SearchRequest,
  vector?: Float32Array,
  dense: DenseSearch = searchOne,
): Promise<SearchHit[]> {
  const { k, mode, language } = request;
  const matches = pathMatcher(request.path);
  const keep = (hits: SearchHit[]) => (matches ? hits.filter((h) => matches(h.path)) : hits);
  const total = index.size;
  // Fusion ranks within a pool wider than k, as CodeIndex.search does; a path filter widens it until k are left.
  let pool = mode === 'hybrid' ? Math.max(50, 5 * k) : k;
  if (matches) pool = Math.max(pool, 10 * k, 100);
  for (;;) {
    const want = Math.min(pool, total);
    const denseHits = mode === 'bm25' ? [] : keep(await dense(index, needVector(vector), want, language));
    const lexical = mode === 'dense' ? [] : keep(index.searchBm25(request.query, want, language));
    const ranked = mode === 'dense' ? denseHits : mode === 'bm25' ? lexical : fuse(denseHits, lexical);
    if (ranked.length >= k || want >= total) return ranked.slice(0, k);
    pool *= 4;
  }
}

function needVector(vector: Float32Array | undefined): Float32Array {
  if (!vector) throw new Error('a dense or hybrid search needs the query vector');
  return vector;
}

function fuse(dense: SearchHit[], lexical: SearchHit[]): SearchHit[] {
  const byId = new Map<number, SearchHit>();
  for (const h of [...dense, ...lexical]) byId.set(h.id, h);
  const fused = fuseRankings(dense, lexical, DEFAULT_FUSION);
  return fused.map(({ id, score }) => ({ ...byId.get(id)!, score }));
}
