import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { flatInnerProductBytes } from '../src/search/faiss-flat-bytes.js';
import { faissKind, readSearchParams, writeSearchParams } from '../src/search/faiss-search-params.js';

const faiss = createRequire(import.meta.url)('faiss-node') as typeof import('faiss-node');

function data(n: number, d: number): number[] {
  return Array.from({ length: n * d }, (_, i) => Math.sin(i * 12.9898) * 0.5);
}

describe('search parameters in a serialized faiss index', () => {
  it('reads faiss defaults where faiss wrote them and sets new values that survive a reload', () => {
    const d = 8;
    const ivf = faiss.Index.fromFactory(d, 'IVF8,Flat', faiss.MetricType.METRIC_INNER_PRODUCT);
    ivf.train(data(500, d));
    ivf.add(data(500, d));
    const ivfBytes = ivf.toBuffer();
    expect(faissKind(ivfBytes)).toBe('IwFl');
    expect(readSearchParams(ivfBytes)).toEqual({ nprobe: 1 });
    const ivf2 = faiss.Index.fromBuffer(writeSearchParams(ivfBytes, { nprobe: 6 }));
    expect(readSearchParams(ivf2.toBuffer())).toEqual({ nprobe: 6 });
    expect(ivf2.ntotal()).toBe(500);
    // nprobe is capped at the number of lists.
    expect(readSearchParams(writeSearchParams(ivf2.toBuffer(), { nprobe: 100 }))).toEqual({ nprobe: 8 });

    const hnsw = faiss.Index.fromFactory(d, 'HNSW16,Flat', faiss.MetricType.METRIC_INNER_PRODUCT);
    hnsw.add(data(300, d));
    const hnswBytes = hnsw.toBuffer();
    expect(faissKind(hnswBytes)).toBe('IHNf');
    expect(readSearchParams(hnswBytes)).toEqual({ efSearch: 16 });
    const hnsw2 = faiss.Index.fromBuffer(writeSearchParams(hnswBytes, { efSearch: 77 }));
    expect(readSearchParams(hnsw2.toBuffer())).toEqual({ efSearch: 77 });
    expect(hnsw2.search(data(1, d), 3).labels).toHaveLength(3);

    const flat = new faiss.IndexFlatIP(d);
    expect(readSearchParams(flat.toBuffer())).toEqual({});
    expect(() => writeSearchParams(flat.toBuffer(), { nprobe: 2 })).toThrow(/nprobe applies to an IVF index/);
    expect(() => writeSearchParams(hnswBytes, { efSearch: 0 })).toThrow(
      /efSearch must be an integer >= 1, got 0/,
    );
  });

  it('writes a flat inner-product index byte for byte as faiss does', () => {
    const d = 6;
    const values = data(40, d);
    const flat = new faiss.IndexFlatIP(d);
    flat.add(values);
    const ours = flatInnerProductBytes(d, Float32Array.from(values));
    expect(ours.equals(flat.toBuffer())).toBe(true);
    const read = faiss.Index.fromBuffer(ours);
    expect(read.ntotal()).toBe(40);
    expect(read.search(values.slice(0, d), 3)).toEqual(flat.search(values.slice(0, d), 3));
    expect(() => flatInnerProductBytes(4, new Float32Array(6))).toThrow(/6 values are not rows of 4/);
  });
});
