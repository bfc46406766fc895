// Coalesces the dense searches of concurrent requests into one faiss call per index, k and language (see
// CodeIndex.searchVectors: a flat index reads its vectors once for the whole batch). The micro-batcher resolves
// a batch of queries' embeddings in one turn of the event loop; their searches, asked for in that turn, are
// run together on the next (setImmediate).
import type { CodeIndex, SnippetFilter } from '../search/code-index.js';
import type { SearchHit } from '../search/snippet.js';

interface Waiting {
  vector: Float32Array;
  resolve: (hits: SearchHit[]) => void;
  reject: (error: unknown) => void;
}

interface Group {
  index: CodeIndex;
  k: number;
  language: SnippetFilter | undefined;
  waiting: Waiting[];
}

export class VectorSearchBatcher {
  private groups = new Map<string, Group>();
  private ids = new WeakMap<CodeIndex, number>();
  private nextId = 0;
  private scheduled = false;
  /** faiss calls made, and queries searched (for /stats and the tests). */
  calls = 0;
  queries = 0;

  search(index: CodeIndex, vector: Float32Array, k: number, language?: SnippetFilter): Promise<SearchHit[]> {
    // A function filter cannot be compared: it goes alone.
    if (typeof language === 'function') return Promise.resolve(this.run(index, [vector], k, language)[0]!);
    let id = this.ids.get(index);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(index, id);
    }
    const key = `${id}\u0000${k}\u0000${language ?? ''}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { index, k, language, waiting: [] };
      this.groups.set(key, group);
    }
    const waiting = group.waiting;
    const promise = new Promise<SearchHit[]>((resolve, reject) => waiting.push({ vector, resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return promise;
  }

  private flush(): void {
    this.scheduled = false;
    const groups = [...this.groups.values()];
    this.groups.clear();
    for (const { index, k, language, waiting } of groups) {
      try {
        const results = this.run(
          index,
          waiting.map((w) => w.vector),
          k,
          language,
        );
        for (const [i, w] of waiting.entries()) w.resolve(results[i]!);
      } catch (error) {
        for (const w of waiting) w.reject(error);
      }
    }
  }

  private run(index: CodeIndex, vectors: Float32Array[], k: number, language: SnippetFilter | undefined) {
    this.calls++;
    this.queries += vectors.length;
    return index.searchVectors(vectors, k, language);
  }
}
