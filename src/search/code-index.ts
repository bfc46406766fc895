// CodeIndex: functions and their embeddings in a faiss inner-product index (vectors are normalized, so
// this is cosine), with the metadata to show a hit, BM25 over the same snippets for hybrid search, the
// identity of the model that made it, and per-file content hashes for incremental re-indexing.
//
// Removal keeps a tombstone (the slot becomes null and is skipped at search) because faiss's HNSW cannot
// remove vectors (and faiss-node aborts the process if asked). When tombstones pass a quarter of the slots,
// the faiss index is rebuilt from the stored vectors of the live slots.

import { type Embedder, embedAll } from '../model/embedder.js';
import { Bm25Index } from './bm25.js';
import { chooseFactory } from './choose-factory.js';
import { addRows, buildFaiss, type FaissIndex, faiss, isFlat } from './faiss-build.js';
import { flatInnerProductBytes } from './faiss-flat-bytes.js';
import type { FaissSearchParams } from './faiss-search-params.js';
import { reciprocalRankFusion, weightedFusion } from './fusion.js';
import {
  INDEX_FORMAT_VERSION,
  type IndexHeader,
  readIndexFile,
  readIndexHeader,
  writeIndexFile,
} from './index-file.js';
import type { SearchHit, Snippet } from './snippet.js';

/** Thrown when an index is opened with a model other than the one that built it. */
export class ModelMismatchError extends Error {
  constructor(
    file: string,
    built: { modelId: string; dim: number },
    given: { modelId: string; dim: number },
  ) {
    super(
      `${file} was built with model '${built.modelId}' (dim ${built.dim}); it cannot be searched with ` +
        `'${given.modelId}' (dim ${given.dim}): use the model that built it, or rebuild the index with this one`,
    );
    this.name = 'ModelMismatchError';
  }
}

export interface CodeIndexOptions {
  /** A faiss factory string ('Flat', 'HNSW32,Flat', 'IVF256,Flat', …); default: chosen by size. */
  factory?: string;
  /** IVF nprobe / HNSW efSearch; defaults DEFAULT_NPROBE / DEFAULT_EF_SEARCH. */
  searchParams?: FaissSearchParams;
  /** Texts per embed call (default 32). */
  batchSize?: number;
  /** Called after every embedded batch. */
  onProgress?: (done: number, total: number) => void;
  /** Recorded in the file so `secora search` can load the same model. */
  modelSource?: string;
}

export interface SearchOptions {
  /** Hits to return (default 10). */
  k?: number;
  /** Only snippets of this language. */
  language?: string;
  /** Fuse with BM25: 'rrf' (reciprocal-rank fusion, k=60) or 'weighted' (min-max scaled, 0.5 each). */
  hybrid?: 'rrf' | 'weighted' | false;
}

export class CodeIndex {
  private bm25: { index: Bm25Index; slots: number[] } | null = null;

  private constructor(
    private readonly embedder: Embedder,
    private faissIndex: FaissIndex,
    private kind: string,
    private searchParams: FaissSearchParams,
    private slots: (Snippet | null)[],
    private vectors: Float32Array[],
    private readonly hashes: Map<string, string>,
    readonly modelSource?: string,
  ) {}

  /** Embeds the snippets with `embedder` and indexes them. */
  static async build(
    embedder: Embedder,
    snippets: readonly Snippet[],
    options: CodeIndexOptions = {},
  ): Promise<CodeIndex> {
    const vectors = await embedAll(
      embedder,
      snippets.map((s) => s.code),
      options.batchSize,
      options.onProgress,
    );
    const factory = options.factory ?? chooseFactory(snippets.length);
    const params = options.searchParams ?? {};
    const index = buildFaiss(embedder.dim, factory, vectors, params);
    return new CodeIndex(
      embedder,
      index,
      factory,
      params,
      [...snippets],
      vectors,
      new Map(),
      options.modelSource,
    );
  }

  /** Reads the header of an index file (model, size, kind) without loading a model. */
  static describe(file: string): Omit<IndexHeader, 'slots'> & { snippets: number; slots: number } {
    const { slots, ...rest } = readIndexHeader(file);
    return { ...rest, snippets: slots.filter((s) => s !== null).length, slots: slots.length };
  }

  /** Opens an index file; refuses an embedder other than the one that built it. */
  static load(file: string, embedder: Embedder): CodeIndex {
    const { header, faissBytes, vectors, bm25Bytes } = readIndexFile(file);
    if (header.modelId !== embedder.modelId || header.dim !== embedder.dim) {
      throw new ModelMismatchError(file, header, embedder);
    }
    const rows = Array.from({ length: header.slots.length }, (_, i) =>
      vectors.subarray(i * header.dim, (i + 1) * header.dim),
    );
    let index: FaissIndex;
    if (isFlat(header.factory)) {
      index = faiss().Index.fromBuffer(flatInnerProductBytes(header.dim, vectors));
    } else {
      index = faiss().Index.fromBuffer(Buffer.from(faissBytes));
    }
    if (index.ntotal() !== rows.length) {
      throw new Error(
        `${file}: the faiss index holds ${index.ntotal()} vectors but the file lists ${rows.length}`,
      );
    }
    const hashes = new Map(Object.entries(header.fileHashes));
    const loaded = new CodeIndex(
      embedder,
      index,
      header.factory,
      header.searchParams,
      header.slots,
      rows,
      hashes,
      header.modelSource,
    );
    if (header.bm25) {
      loaded.bm25 = { index: Bm25Index.fromBytes(bm25Bytes, `${file} (BM25)`), slots: header.bm25.slots };
    }
    return loaded;
  }

  /** The faiss factory string of the index ('Flat', 'HNSW32,Flat', …). */
  get factory(): string {
    return this.kind;
  }

  get modelId(): string {
    return this.embedder.modelId;
  }

  get dim(): number {
    return this.embedder.dim;
  }

  /** Live snippets (removed ones excluded). */
  get size(): number {
    return this.slots.reduce((n, s) => n + (s ? 1 : 0), 0);
  }

  /** The live snippets, in slot order. */
  snippets(): Snippet[] {
    return this.slots.filter((s): s is Snippet => s !== null);
  }

  /** The content hash recorded for a file, if any. */
  fileHash(path: string): string | undefined {
    return this.hashes.get(path);
  }

  /** The recorded files and their content hashes. */
  fileHashes(): ReadonlyMap<string, string> {
    return this.hashes;
  }

  setFileHash(path: string, hash: string): void {
    this.hashes.set(path, hash);
  }

  /** Embeds and adds snippets. */
  async add(
    snippets: readonly Snippet[],
    options: Pick<CodeIndexOptions, 'batchSize' | 'onProgress'> = {},
  ): Promise<void> {
    if (snippets.length === 0) return;
    const rows = await embedAll(
      this.embedder,
      snippets.map((s) => s.code),
      options.batchSize,
      options.onProgress,
    );
    addRows(this.faissIndex, rows);
    this.slots.push(...snippets);
    this.vectors.push(...rows);
    this.bm25 = null;
  }

  /** Removes every snippet of a file (and its hash); returns how many were removed. */
  removePath(path: string): number {
    let removed = 0;
    this.slots.forEach((s, i) => {
      if (s?.path === path) {
        this.slots[i] = null;
        removed++;
      }
    });
    this.hashes.delete(path);
    if (removed > 0) {
      this.bm25 = null;
      if (this.slots.length - this.size > this.slots.length / 4) this.compact();
    }
    return removed;
  }

  /** Rebuilds the faiss index from the live slots only, dropping tombstones. */
  compact(): void {
    if (this.size === this.slots.length) return;
    // An IVF index needs as many vectors as lists to train; with fewer left, exact search is the right kind.
    const nlist = Number(/IVF(\d+)/.exec(this.kind)?.[1] ?? 0);
    if (this.size < nlist) this.rebuildAs('Flat');
    else this.rebuildAs(this.kind, this.searchParams);
  }

  /**
   * Rebuilds the faiss index as another kind from the stored vectors of the live slots (nothing is embedded
   * again), dropping tombstones. On a faiss error the index is left as it was.
   */
  rebuildAs(factory: string, searchParams: FaissSearchParams = {}): void {
    const live = this.slots.flatMap((s, i) => (s ? [i] : []));
    const vectors = live.map((i) => this.vectors[i]!);
    this.faissIndex = buildFaiss(this.dim, factory, vectors, searchParams);
    this.kind = factory;
    this.searchParams = searchParams;
    this.slots = live.map((i) => this.slots[i]!);
    this.vectors = vectors;
    this.bm25 = null;
  }

  /** Writes the index to `file` atomically (temporary file + rename). */
  save(file: string): void {
    const dim = this.dim;
    const vectors = new Float32Array(this.vectors.length * dim);
    this.vectors.forEach((row, i) => {
      vectors.set(row, i * dim);
    });
    const header: IndexHeader = {
      version: INDEX_FORMAT_VERSION,
      modelId: this.modelId,
      dim,
      factory: this.kind,
      searchParams: this.searchParams,
      slots: this.slots,
      fileHashes: Object.fromEntries(this.hashes),
      bm25: null,
    };
    if (this.modelSource !== undefined) header.modelSource = this.modelSource;
    const faissBytes = isFlat(this.kind) ? Buffer.alloc(0) : this.faissIndex.toBuffer();
    const bm25 = this.lexical();
    const bm25Bytes = bm25.index.toBytes();
    header.bm25 = { slots: bm25.slots, bytes: bm25Bytes.length };
    writeIndexFile(file, { header, faissBytes, vectors, bm25Bytes });
  }

  /** The query embedded by the index's model, then searched (dense, or fused with BM25). */
  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    const k = options.k ?? 10;
    const [vector] = await this.embedder.embed([query]);
    if (!vector || vector.length !== this.dim)
      throw new Error(`embedder ${this.modelId} returned no ${this.dim}-wide row`);
    if (!options.hybrid) return this.searchVector(vector, k, options.language);
    const pool = Math.max(50, 5 * k);
    const dense = this.searchVector(vector, pool, options.language).map((h) => ({
      id: h.id,
      score: h.score,
    }));
    const lexical = this.searchBm25(query, pool, options.language).map((h) => ({ id: h.id, score: h.score }));
    const fused =
      options.hybrid === 'weighted' ? weightedFusion(dense, lexical) : reciprocalRankFusion([dense, lexical]);
    return fused.slice(0, k).map(({ id, score }) => ({ ...this.slots[id]!, score, id }));
  }

  /** The k nearest live snippets to a normalized vector (optionally of one language), best first. */
  searchVector(vector: Float32Array, k: number, language?: string): SearchHit[] {
    const total = this.faissIndex.ntotal();
    if (k <= 0 || total === 0) return [];
    const query = Array.from(vector);
    // Tombstones and the language filter hide some results: widen the search until k are found or all are seen.
    let want = Math.min(total, k + (this.slots.length - this.size));
    for (;;) {
      const { labels, distances } = this.faissIndex.search(query, want);
      const hits: SearchHit[] = [];
      for (let i = 0; i < labels.length && hits.length < k; i++) {
        const id = labels[i]!;
        const s = id >= 0 ? this.slots[id] : null;
        if (s && (language === undefined || s.language === language))
          hits.push({ ...s, score: distances[i]!, id });
      }
      if (hits.length >= k || want >= total) return hits;
      want = Math.min(total, want * 4);
    }
  }

  /** BM25 over the live snippets: as loaded, or built on first use after a change. */
  private lexical(): { index: Bm25Index; slots: number[] } {
    if (!this.bm25) {
      const slots = this.slots.flatMap((s, i) => (s ? [i] : []));
      this.bm25 = { index: new Bm25Index(slots.map((i) => this.slots[i]!.code)), slots };
    }
    return this.bm25;
  }

  /** The k best live snippets for `query` by BM25 (stored in the index file, or built after a change). */
  searchBm25(query: string, k: number, language?: string): SearchHit[] {
    const { index, slots } = this.lexical();
    const hits: SearchHit[] = [];
    for (const { doc, score } of index.search(query, language === undefined ? k : index.size)) {
      const id = slots[doc]!;
      const s = this.slots[id]!;
      if (language !== undefined && s.language !== language) continue;
      hits.push({ ...s, score, id });
      if (hits.length === k) break;
    }
    return hits;
  }
}
