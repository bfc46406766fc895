// Hits whose code is the same function copied (the same source in several bundles of node_modules, a file
// vendored twice) are shown once, with the other places it is found.
import type { SearchHit } from './snippet.js';

export interface CollapsedHit extends SearchHit {
  /** The other places the same code was found, in rank order. */
  alsoAt: { path: string; startLine: number }[];
}

/** The code with comments' markers kept but all whitespace removed: copies that differ only in layout match. */
export function codeKey(code: string): string {
  return code.replace(/\s+/g, '');
}

/** Keeps the best-ranked hit of each group of identical (up to whitespace) code, the first `k` groups. */
export function collapseHits(hits: readonly SearchHit[], k: number): CollapsedHit[] {
  const groups = new Map<string, CollapsedHit>();
  for (const hit of hits) {
    const key = codeKey(hit.code);
    const group = groups.get(key);
    if (group) group.alsoAt.push({ path: hit.path, startLine: hit.startLine });
    else if (groups.size < k) groups.set(key, { ...hit, alsoAt: [] });
  }
  return [...groups.values()];
}
