// Which faiss index to build for n vectors. Thresholds and defaults are from bench/search-bench.ts
// (bench/RESULTS.md): exact search costs ~0.2 ms per 1k vectors of 256 dims per query on 2 cores, HNSW stays
// under a millisecond, and building HNSW (0.5–1 s per 1k vectors) is small next to embedding the same functions.

/** Up to this many vectors an exact (flat) index is used. */
export const FLAT_LIMIT = 20_000;

/**
 * HNSW efSearch: recall@10 0.995–1.000 at 100k vectors in the benchmark, under 1 ms a query (64: 0.966 on the
 * harder data; 16, faiss's default: 0.65–0.88). The query's embedding costs ten times more.
 */
export const DEFAULT_EF_SEARCH = 128;
/** IVF nprobe: recall@10 0.998–1.000 at 100k in the benchmark (1, faiss's default: 0.96–0.97, 0.50 at 10k). */
export const DEFAULT_NPROBE = 16;

/** 'Flat' up to FLAT_LIMIT vectors, HNSW (32 links per node) beyond. */
export function chooseFactory(n: number): string {
  return n <= FLAT_LIMIT ? 'Flat' : 'HNSW32,Flat';
}

/**
 * The kind an updated index should have: the one asked for; else a Flat index grown past FLAT_LIMIT becomes
 * HNSW; else it stays as it is (an IVF or HNSW kind chosen by hand is kept).
 */
export function factoryAfterUpdate(current: string, size: number, asked?: string): string {
  if (asked !== undefined) return asked;
  return current === 'Flat' && size > FLAT_LIMIT ? chooseFactory(size) : current;
}

/** IVF with about 4·√n lists (a power of two), for callers who ask for IVF without a list count. */
export function ivfFactory(n: number): string {
  const nlist = 2 ** Math.max(4, Math.round(Math.log2(4 * Math.sqrt(Math.max(n, 1)))));
  return `IVF${nlist},Flat`;
}
