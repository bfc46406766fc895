// Making a faiss index: the kind from a factory string, inner product, IVF training, rows added in bounded
// pieces, and the search parameters faiss-node cannot set written into the index's serialized form.
import { createRequire } from 'node:module';
import type { Index } from 'faiss-node';
import { DEFAULT_EF_SEARCH, DEFAULT_NPROBE } from './choose-factory.js';
import { flatInnerProductBytes } from './faiss-flat-bytes.js';
import {
  type FaissSearchParams,
  faissKind,
  readSearchParams,
  writeSearchParams,
} from './faiss-search-params.js';

export type FaissIndex = Index;
let faissModule: typeof import('faiss-node') | undefined;

/** faiss-node, loaded on first use: importing secora (or training) needs no faiss until an index is built. */
export function faiss(): typeof import('faiss-node') {
  faissModule ??= createRequire(import.meta.url)('faiss-node') as typeof import('faiss-node');
  return faissModule;
}

const ROWS_PER_FAISS_CALL = 8192;

export function isFlat(factory: string): boolean {
  return factory === 'Flat';
}

/** Adds rows to a faiss index in bounded pieces (faiss-node takes plain arrays). */
export function addRows(index: FaissIndex, rows: readonly Float32Array[]): void {
  for (let start = 0; start < rows.length; start += ROWS_PER_FAISS_CALL) {
    const flat: number[] = [];
    for (const row of rows.slice(start, start + ROWS_PER_FAISS_CALL)) for (const x of row) flat.push(x);
    index.add(flat);
  }
}

/** A new, trained and filled faiss index over `rows` (inner product), with search parameters applied. */
export function buildFaiss(
  dim: number,
  factory: string,
  rows: readonly Float32Array[],
  params: FaissSearchParams,
): FaissIndex {
  // Exact search: the serialized form is the rows themselves, far faster to hand over than number arrays.
  if (isFlat(factory)) {
    const all = new Float32Array(rows.length * dim);
    rows.forEach((row, i) => {
      all.set(row, i * dim);
    });
    return faiss().Index.fromBuffer(flatInnerProductBytes(dim, all));
  }
  let index: FaissIndex;
  try {
    index = faiss().Index.fromFactory(dim, factory, faiss().MetricType.METRIC_INNER_PRODUCT);
  } catch (error) {
    throw new Error(`faiss could not make an index from '${factory}': ${(error as Error).message}`);
  }
  if (!index.isTrained()) {
    const nlist = Number(/IVF(\d+)/.exec(factory)?.[1] ?? 0);
    if (rows.length < Math.max(nlist, 1)) {
      throw new Error(
        `'${factory}' needs at least ${nlist} vectors to train, got ${rows.length}: use 'Flat'`,
      );
    }
    // Train on an even spread of the rows (at most 256 per list): rows come grouped by file.
    const stride = Math.max(1, Math.floor(rows.length / (256 * Math.max(nlist, 1))));
    const sample: number[] = [];
    for (let i = 0; i < rows.length; i += stride) for (const x of rows[i]!) sample.push(x);
    index.train(sample);
  }
  addRows(index, rows);
  return applyParams(index, factory, params);
}

/** faiss-node cannot set nprobe/efSearch: write them into the serialized index and read it back. */
function applyParams(index: FaissIndex, factory: string, params: FaissSearchParams): FaissIndex {
  if (isFlat(factory)) return index;
  const bytes = index.toBuffer();
  const kind = faissKind(bytes);
  const wanted: FaissSearchParams = {};
  const current = readSearchParams(bytes);
  if (current.nprobe !== undefined) wanted.nprobe = params.nprobe ?? DEFAULT_NPROBE;
  if (current.efSearch !== undefined) wanted.efSearch = params.efSearch ?? DEFAULT_EF_SEARCH;
  if (params.nprobe !== undefined && wanted.nprobe === undefined) {
    throw new Error(`nprobe was given but '${factory}' (faiss '${kind}') is not an IVF index`);
  }
  if (params.efSearch !== undefined && wanted.efSearch === undefined) {
    throw new Error(`efSearch was given but '${factory}' (faiss '${kind}') is not an HNSW index`);
  }
  if (wanted.nprobe === undefined && wanted.efSearch === undefined) return index;
  return faiss().Index.fromBuffer(writeSearchParams(bytes, wanted));
}
