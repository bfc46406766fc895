// Which faiss index to build for n vectors. Thresholds and defaults are from bench/search-bench.ts
// (bench/RESULTS.md): exact search is fast enough up to tens of thousands of vectors.

/** Up to this many vectors an exact (flat) index is used. */
export const FLAT_LIMIT = 50_000;

/** Default search parameters per kind, chosen for recall@10 >= 0.95 in the benchmark. */
export const DEFAULT_EF_SEARCH = 64;
export const DEFAULT_NPROBE = 16;

/** 'Flat' up to FLAT_LIMIT vectors, HNSW (32 links per node) beyond. */
export function chooseFactory(n: number): string {
  return n <= FLAT_LIMIT ? 'Flat' : 'HNSW32,Flat';
}

/** IVF with about 4·√n lists (a power of two), for callers who ask for IVF without a list count. */
export function ivfFactory(n: number): string {
  const nlist = 2 ** Math.max(4, Math.round(Math.log2(4 * Math.sqrt(Math.max(n, 1)))));
  return `IVF${nlist},Flat`;
}
