// What the index holds per function, besides its vector: where it is and what it says.

export interface Snippet {
  /** Path of the file, relative to the indexed root. */
  path: string;
  /** 1-based first and last line of the function in its file. */
  startLine: number;
  endLine: number;
  /** Qualified function name. */
  name: string;
  language: string;
  /** The text that is embedded, scored by BM25 and shown (the function as written). */
  code: string;
}

export interface SearchHit extends Snippet {
  /** The ranking score: inner product (dense), BM25, or the fused score (hybrid). */
  score: number;
  /** The slot of the snippet in its index. */
  id: number;
}

/** The first `lines` non-blank lines of a snippet's code, each cut to `width` characters. */
export function preview(code: string, lines = 3, width = 100): string[] {
  return code
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, lines)
    .map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
}
