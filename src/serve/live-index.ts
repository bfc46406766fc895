// The index a server answers from, and its replacement: a search takes the current CodeIndex once and uses
// only that object, and an update builds a whole new CodeIndex before the reference is swapped, so no search
// ever sees a half-updated index.
import type { CodeIndex } from '../search/code-index.js';

export interface IndexSummary {
  snippets: number;
  files: number;
  factory: string;
  languages: string[];
}

export class LiveIndex {
  private summaryCache: IndexSummary | null = null;
  /** When the index was last swapped in (ms since the epoch), and how many swaps happened. */
  swappedAt = Date.now();
  generation = 0;

  constructor(
    private index: CodeIndex,
    readonly file: string,
  ) {}

  get current(): CodeIndex {
    return this.index;
  }

  swap(next: CodeIndex): void {
    this.index = next;
    this.summaryCache = null;
    this.swappedAt = Date.now();
    this.generation++;
  }

  summary(): IndexSummary {
    if (!this.summaryCache) {
      const snippets = this.index.snippets();
      this.summaryCache = {
        snippets: snippets.length,
        files: new Set(snippets.map((s) => s.path)).size,
        factory: this.index.factory,
        languages: [...new Set(snippets.map((s) => s.language))].sort(),
      };
    }
    return this.summaryCache;
  }
}
