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
import { type EmbedText, LEGACY_EMBED_TEXT } from './embed-text.js';
import { addRows, buildFaiss, type FaissIndex, faiss, isFlat } from './faiss-build.js';
import { flatInnerProductBytes } from './faiss-flat-bytes.js';
import type { FaissSearchParams } from './faiss-search-params.js';
import { DEFAULT_FUSION, type FusionSpec, fuse } from './fusion.js';
import {
  INDEX_FORMAT_VERSION,
  IndexFileError,
  type IndexHeader,
  readIndexFile,
  readIndexHeader,
  writeIndexFile,
} from './index-file.js';
import { pathMatcher } from './path-glob.js';
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
  /**
   * What the model embeds of each snippet (one text per snippet, src/search/embed-text.ts); default each
   * snippet's code. `embedText` names the choice, recorded in the file.
   */
  texts?: readonly string[];
  embedText?: EmbedText;
}

export interface SearchOptions {
  /** Hits to return (default 10). */
  k?: number;
  /** Only snippets of this language. */
  language?: string;
  /**
   * Fuse with BM25: 'rrf' (reciprocal-rank fusion) or 'weighted' (min-max scaled scores), with the tuned
   * constant of DEFAULT_FUSION when it is of that method (else k = 60, weight 0.5), or `fusion` when given.
   */
  hybrid?: 'rrf' | 'weighted' | false;
  /** 'bm25' ranks by BM25 alone (no query embedding; works on an index opened without a model). */
  mode?: 'dense' | 'bm25' | 'hybrid';
  /** Only snippets whose path matches this glob (src/**, *.py, lib/). */
  path?: string;
  /** The exact fusion of a hybrid search (overrides the method named by `hybrid`). */
  fusion?: FusionSpec;
}

/** The fusion a hybrid search of this method uses: the tuned default when it is of that method. */
export function fusionFor(method: 'rrf' | 'weighted'): FusionSpec {
  if (DEFAULT_FUSION.method === method) return DEFAULT_FUSION;
  return method === 'rrf' ? { method, k: 60 } : { method, weight: 0.5 };
}

/** faiss's distance_compute_blas_threshold (1.7.x): from this many queries a flat search is one sgemm. */
const FAISS_BLAS_THRESHOLD = 20;

/** The texts the model embeds: `texts` (one per snippet) when given, else each snippet's code. */
function textsOf(snippets: readonly Snippet[], texts: readonly string[] | undefined): readonly string[] {
  if (texts === undefined) return snippets.map((s) => s.code);
  if (texts.length !== snippets.length)
    throw new RangeError(`${texts.length} texts to embed for ${snippets.length} snippets`);
  return texts;
}

/** Which snippets a search keeps: a language name, or any predicate. */
export type SnippetFilter = string | ((snippet: Snippet) => boolean);

function keeps(filter: SnippetFilter | undefined, s: Snippet): boolean {
  if (filter === undefined) return true;
  return typeof filter === 'string' ? s.language === filter : filter(s);
}

function filterOf(options: SearchOptions): SnippetFilter | undefined {
  if (options.path === undefined) return options.language;
  const matches = pathMatcher(options.path);
  const language = options.language;
  return (s) => matches(s.path) && (language === undefined || s.language === language);
}

/** A file's [mtime in ms, size] as `secora index` last saw it. */
export type FileStamp = [mtimeMs: number, size: number];

/**
 * k as search takes it: a positive whole number (faiss reads NaN or 0.5 as 0 and fails in C++). A k beyond the
 * index's size is allowed: every snippet is returned, which is what asking for more than there is means.
 */
export function checkK(k: unknown): number {
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1)
    throw new RangeError(
      `k must be a whole number >= 1, got ${typeof k === 'number' ? k : JSON.stringify(k)}`,
    );
  return k;
}

export class CodeIndex {
  private bm25: { index: Bm25Index; slots: number[] } | null = null;
  /** BM25 as read from the file, parsed on its first use (a dense query never needs it). */
  private bm25Stored: { bytes: Buffer; slots: number[]; file: string } | null = null;
  /** A loaded faiss index is made on its first use (a BM25 query never needs it). */
  private faissLoader: (() => FaissIndex) | null = null;
  private readonly stamps = new Map<string, FileStamp>();
  /** The folder the snippets' paths are relative to, when known. */
  root: string | undefined;
  /** What the model embedded of each snippet (src/search/embed-text.ts). */
  embedText: EmbedText = LEGACY_EMBED_TEXT;
  private readonly storedModel: { modelId: string; dim: number };

  private constructor(
    private encoder: Embedder | null,
    private faissIndex: FaissIndex | null,
    private kind: string,
    private searchParams: FaissSearchParams,
    private slots: (Snippet | null)[],
    private vectors: Float32Array[],
    private readonly hashes: Map<string, string>,
    readonly modelSource?: string,
    storedModel?: { modelId: string; dim: number },
  ) {
    this.storedModel = storedModel ?? { modelId: encoder!.modelId, dim: encoder!.dim };
  }

  /** The embedder, or a clear error for an index opened for BM25 alone. */
  private get embedder(): Embedder {
    if (!this.encoder)
      throw new Error('this index was opened without a model (BM25 only): load it with its model to embed');
    return this.encoder;
  }

  private get faissReady(): FaissIndex {
    if (!this.faissIndex) {
      this.faissIndex = this.faissLoader!();
      this.faissLoader = null;
    }
    return this.faissIndex;
  }

  /** Embeds the snippets with `embedder` and indexes them. */
  static async build(
    embedder: Embedder,
    snippets: readonly Snippet[],
    options: CodeIndexOptions = {},
  ): Promise<CodeIndex> {
    const vectors = await embedAll(
      embedder,
      textsOf(snippets, options.texts),
      options.batchSize,
      options.onProgress,
    );
    const factory = options.factory ?? chooseFactory(snippets.length);
    const params = options.searchParams ?? {};
    const index = buildFaiss(embedder.dim, factory, vectors, params);
    const built = new CodeIndex(
      embedder,
      index,
      factory,
      params,
      [...snippets],
      vectors,
      new Map(),
      options.modelSource,
    );
    if (options.embedText) built.embedText = options.embedText;
    return built;
  }

  /** Reads the header of an index file (model, size, kind) without loading a model. */
  static describe(file: string): Omit<IndexHeader, 'slots'> & { snippets: number; slots: number } {
    const { slots, ...rest } = readIndexHeader(file);
    return { ...rest, snippets: slots.filter((s) => s !== null).length, slots: slots.length };
  }

  /**
   * Opens an index file; refuses an embedder other than the one that built it. With `null` the index is
   * opened for BM25 alone (no model is loaded; dense search and adding snippets are refused). The faiss
   * index and BM25 are made from the file's bytes on their first use.
   */
  static load(file: string, embedder: Embedder | null): CodeIndex {
    const { header, faissBytes, vectors, bm25Bytes } = readIndexFile(file);
    if (embedder && (header.modelId !== embedder.modelId || header.dim !== embedder.dim)) {
      throw new ModelMismatchError(file, header, embedder);
    }
    const rows = Array.from({ length: header.slots.length }, (_, i) =>
      vectors.subarray(i * header.dim, (i + 1) * header.dim),
    );
    const hashes = new Map(Object.entries(header.fileHashes));
    const loaded = new CodeIndex(
      embedder,
      null,
      header.factory,
      header.searchParams,
      header.slots,
      rows,
      hashes,
      header.modelSource,
      { modelId: header.modelId, dim: header.dim },
    );
    loaded.faissLoader = () => {
      // The bytes passed their checksum; faiss may still refuse them (another faiss version): say which file.
      let index: FaissIndex;
      try {
        index = faiss().Index.fromBuffer(
          isFlat(header.factory) ? flatInnerProductBytes(header.dim, vectors) : Buffer.from(faissBytes),
        );
      } catch (error) {
        throw new IndexFileError(file, `faiss cannot read its index: ${(error as Error).message}`);
      }
      if (index.ntotal() !== rows.length) {
        throw new Error(
          `${file}: the faiss index holds ${index.ntotal()} vectors but the file lists ${rows.length}`,
        );
      }
      return index;
    };
    for (const [path, stamp] of Object.entries(header.fileStamps ?? {})) loaded.stamps.set(path, stamp);
    loaded.root = header.root;
    loaded.embedText = header.embedText ?? LEGACY_EMBED_TEXT;
    if (header.bm25) loaded.bm25Stored = { bytes: bm25Bytes, slots: header.bm25.slots, file };
    return loaded;
  }

  /**
   * Gives an index opened without a model (load(file, null)) the model that built it, once its header said
   * which: `secora search` reads the file once. Another model: ModelMismatchError.
   */
  attach(embedder: Embedder, file = 'this index'): this {
    if (embedder.modelId !== this.storedModel.modelId || embedder.dim !== this.storedModel.dim)
      throw new ModelMismatchError(file, this.storedModel, embedder);
    this.encoder = embedder;
    return this;
  }

  /** The faiss factory string of the index ('Flat', 'HNSW32,Flat', …). */
  get factory(): string {
    return this.kind;
  }

  get modelId(): string {
    return this.storedModel.modelId;
  }

  get dim(): number {
    return this.storedModel.dim;
  }

  /** The languages of the live snippets, sorted. */
  languages(): string[] {
    return [...new Set(this.snippets().map((s) => s.language))].sort();
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

  /** Records a file's content hash, and optionally its [mtime, size] when hashed. */
  setFileHash(path: string, hash: string, stamp?: FileStamp): void {
    this.hashes.set(path, hash);
    if (stamp) this.stamps.set(path, stamp);
    else this.stamps.delete(path);
  }

  /** The [mtime, size] recorded with a file's hash, if any. */
  fileStamp(path: string): FileStamp | undefined {
    return this.stamps.get(path);
  }

  /** Embeds and adds snippets (`texts`: what the model embeds of each, as this index's `embedText` says). */
  async add(
    snippets: readonly Snippet[],
    options: Pick<CodeIndexOptions, 'batchSize' | 'onProgress' | 'texts'> = {},
  ): Promise<void> {
    if (snippets.length === 0) return;
    const rows = await embedAll(
      this.embedder,
      textsOf(snippets, options.texts),
      options.batchSize,
      options.onProgress,
    );
    addRows(this.faissReady, rows);
    this.slots.push(...snippets);
    this.vectors.push(...rows);
    this.dropBm25();
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
    this.stamps.delete(path);
    if (removed > 0) {
      this.dropBm25();
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
    this.faissLoader = null;
    this.kind = factory;
    this.searchParams = searchParams;
    this.slots = live.map((i) => this.slots[i]!);
    this.vectors = vectors;
    this.dropBm25();
  }

  private dropBm25(): void {
    this.bm25 = null;
    this.bm25Stored = null;
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
    if (this.stamps.size > 0) header.fileStamps = Object.fromEntries(this.stamps);
    if (this.root !== undefined) header.root = this.root;
    header.embedText = this.embedText;
    if (this.modelSource !== undefined) header.modelSource = this.modelSource;
    const faissBytes = isFlat(this.kind) ? Buffer.alloc(0) : this.faissReady.toBuffer();
    const bm25 = this.lexical();
    const bm25Bytes = bm25.index.toBytes();
    header.bm25 = { slots: bm25.slots, bytes: bm25Bytes.length };
    writeIndexFile(file, { header, faissBytes, vectors, bm25Bytes });
  }

  /**
   * The query embedded by the index's model, then searched (dense, or fused with BM25); or ranked by BM25
   * alone with mode 'bm25'. mode 'hybrid' without `hybrid` fuses by DEFAULT_FUSION.
   */
  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    const k = checkK(options.k ?? 10);
    const filter = filterOf(options);
    if (options.mode === 'bm25') return this.searchBm25(query, k, filter);
    const hybrid =
      options.mode === 'dense'
        ? false
        : (options.hybrid ?? (options.mode === 'hybrid' && DEFAULT_FUSION.method));
    const [vector] = await this.embedder.embed([query]);
    if (!vector || vector.length !== this.dim)
      throw new Error(`embedder ${this.modelId} returned no ${this.dim}-wide row`);
    if (!hybrid) return this.searchVector(vector, k, filter);
    const pool = Math.max(50, 5 * k);
    const dense = this.searchVector(vector, pool, filter).map((h) => ({
      id: h.id,
      score: h.score,
    }));
    const lexical = this.searchBm25(query, pool, filter).map((h) => ({ id: h.id, score: h.score }));
    const fused = fuse(dense, lexical, options.fusion ?? fusionFor(hybrid));
    return fused.slice(0, k).map(({ id, score }) => ({ ...this.slots[id]!, score, id }));
  }

  /** The k nearest live snippets to a normalized vector (optionally of one language, or filtered), best first. */
  searchVector(vector: Float32Array, k: number, language?: SnippetFilter): SearchHit[] {
    return this.searchVectors([vector], k, language)[0]!;
  }

  /**
   * searchVector for several queries in one faiss call. A flat index scans every vector once per query below
   * faiss's BLAS threshold (20 queries), which is memory bound; from 20 on it is one matrix product that reads
   * the vectors once for all. So a batch of 2–19 queries is padded to 20 with zero rows (dropped after):
   * concurrent searches then cost little more than one (bench/RESULTS.md, Serving).
   */
  searchVectors(vectors: readonly Float32Array[], k: number, language?: SnippetFilter): SearchHit[][] {
    checkK(k);
    for (const v of vectors) {
      if (v.length !== this.dim)
        throw new Error(`searchVector: the query has ${v.length} values, the index ${this.dim}`);
    }
    const total = this.faissReady.ntotal();
    if (total === 0 || vectors.length === 0) return vectors.map(() => []);
    // Tombstones and the language filter hide some results: widen the search until k are found or all are seen.
    const want = Math.min(total, k + (this.slots.length - this.size));
    const rows =
      vectors.length > 1 && isFlat(this.kind)
        ? Math.max(vectors.length, FAISS_BLAS_THRESHOLD)
        : vectors.length;
    const query = new Array<number>(rows * this.dim).fill(0);
    vectors.forEach((v, q) => {
      for (let j = 0; j < this.dim; j++) query[q * this.dim + j] = v[j]!;
    });
    const { labels, distances } = this.faissReady.search(query, want);
    return vectors.map((vector, q) => {
      const hits = this.hitsOf(labels, distances, q * want, want, k, language);
      return hits.length >= k || want >= total ? hits : this.widened(vector, k, language, want * 4, total);
    });
  }

  /** The first k kept hits of one query's `count` results at `from` in faiss's flat label and distance arrays. */
  private hitsOf(
    labels: ArrayLike<number>,
    distances: ArrayLike<number>,
    from: number,
    count: number,
    k: number,
    language: SnippetFilter | undefined,
  ): SearchHit[] {
    const hits: SearchHit[] = [];
    for (let i = from; i < from + count && hits.length < k; i++) {
      const id = labels[i]!;
      const s = id >= 0 ? this.slots[id] : null;
      if (s && keeps(language, s)) hits.push({ ...s, score: distances[i]!, id });
    }
    return hits;
  }

  /** One query searched ever wider (×4) until k kept hits are found or every vector is seen. */
  private widened(
    vector: Float32Array,
    k: number,
    language: SnippetFilter | undefined,
    start: number,
    total: number,
  ): SearchHit[] {
    const query = Array.from(vector);
    for (let want = Math.min(total, start); ; want = Math.min(total, want * 4)) {
      const { labels, distances } = this.faissReady.search(query, want);
      const hits = this.hitsOf(labels, distances, 0, want, k, language);
      if (hits.length >= k || want >= total) return hits;
    }
  }

  /** BM25 over the live snippets: as loaded, or built on first use after a change. */
  private lexical(): { index: Bm25Index; slots: number[] } {
    if (!this.bm25 && this.bm25Stored) {
      const { bytes, slots, file } = this.bm25Stored;
      this.bm25 = { index: Bm25Index.fromBytes(bytes, `${file} (BM25)`), slots };
      this.bm25Stored = null;
    }
    if (!this.bm25) {
      const slots = this.slots.flatMap((s, i) => (s ? [i] : []));
      this.bm25 = { index: new Bm25Index(slots.map((i) => this.slots[i]!.code)), slots };
    }
    return this.bm25;
  }

  /** The k best live snippets for `query` by BM25 (stored in the index file, or built after a change). */
  searchBm25(query: string, k: number, language?: SnippetFilter): SearchHit[] {
    checkK(k);
    const { index, slots } = this.lexical();
    const hits: SearchHit[] = [];
    for (const { doc, score } of index.search(query, language === undefined ? k : index.size)) {
      const id = slots[doc]!;
      const s = this.slots[id]!;
      if (!keeps(language, s)) continue;
      hits.push({ ...s, score, id });
      if (hits.length === k) break;
    }
    return hits;
  }
}
