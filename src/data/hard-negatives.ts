// BM25-mined hard negatives: for each training pair, the functions of the same language whose code BM25 ranks
// highest for the pair's docstring, its own function excluded (and any with the same docstring or the same
// code, which would be a second right answer rather than a wrong one). The contrastive loss gets them as extra
// candidates beside the in-batch negatives.
import { codeTokens } from '../search/code-tokens.js';

export interface NegativeItem {
  language: string;
  /** The docstring: what BM25 ranks the code for. */
  query: string;
  code: string;
}

export interface HardNegativeOptions {
  /** The query's rarest terms scored (default 6): common terms cost the most and tell the least. */
  queryTerms?: number;
  /** Terms in more than this fraction of a language's functions are not scored (default 0.05). */
  maxDocumentFrequency?: number;
  k1?: number;
  b?: number;
}

const normalize = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * For every item, up to `perPair` indices of other items of its language, best BM25 score first (ties: the
 * lower index). Never the item itself, nor an item with the same docstring or code. Deterministic.
 */
export function mineHardNegatives(
  items: readonly NegativeItem[],
  perPair: number,
  options: HardNegativeOptions = {},
): number[][] {
  const result: number[][] = items.map(() => []);
  if (perPair < 1) return result;
  const byLanguage = new Map<string, number[]>();
  items.forEach((item, i) => {
    const list = byLanguage.get(item.language) ?? [];
    list.push(i);
    byLanguage.set(item.language, list);
  });
  for (const members of byLanguage.values()) minePool(items, members, perPair, options, result);
  return result;
}

function minePool(
  items: readonly NegativeItem[],
  members: readonly number[],
  perPair: number,
  options: HardNegativeOptions,
  result: number[][],
): void {
  const k1 = options.k1 ?? 1.2;
  const b = options.b ?? 0.75;
  const n = members.length;
  // The inverted index of the pool's code: term -> (local doc, tf) postings.
  const postings = new Map<string, { docs: number[]; tfs: number[] }>();
  const lengths = new Float64Array(n);
  members.forEach((item, doc) => {
    const tokens = codeTokens(items[item]!.code);
    lengths[doc] = tokens.length;
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const [term, tf] of counts) {
      const p = postings.get(term) ?? { docs: [], tfs: [] };
      if (p.docs.length === 0) postings.set(term, p);
      p.docs.push(doc);
      p.tfs.push(tf);
    }
  });
  const avgdl = lengths.reduce((s, v) => s + v, 0) / Math.max(1, n);
  const norm = lengths.map((len) => k1 * (1 - b + (avgdl > 0 ? (b * len) / avgdl : 0)));
  const maxDf = Math.max(1, Math.floor((options.maxDocumentFrequency ?? 0.05) * n));
  const scores = new Float64Array(n);
  const touched: number[] = [];
  const docOf = new Map<number, number>(members.map((item, doc) => [item, doc]));
  const docstrings = members.map((i) => normalize(items[i]!.query));
  for (const item of members) {
    const self = docOf.get(item)!;
    const terms = [...new Set(codeTokens(items[item]!.query, { dropStopWords: true }))]
      .map((term) => ({ term, p: postings.get(term) }))
      .filter((t) => t.p !== undefined && t.p.docs.length <= maxDf)
      .sort((x, y) => x.p!.docs.length - y.p!.docs.length || (x.term < y.term ? -1 : 1))
      .slice(0, options.queryTerms ?? 6);
    for (const { p } of terms) {
      const df = p!.docs.length;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      for (let j = 0; j < df; j++) {
        const doc = p!.docs[j]!;
        const tf = p!.tfs[j]!;
        if (scores[doc] === 0) touched.push(doc);
        scores[doc]! += (idf * tf * (k1 + 1)) / (tf + norm[doc]!);
      }
    }
    // The best perPair by a bounded insertion (perPair is small; sorting every touched document is not).
    const ranked: number[] = [];
    for (const doc of touched) {
      if (
        doc === self ||
        docstrings[doc] === docstrings[self] ||
        items[members[doc]!]!.code === items[item]!.code
      )
        continue;
      const score = scores[doc]!;
      let at = ranked.length;
      while (
        at > 0 &&
        (scores[ranked[at - 1]!]! < score || (scores[ranked[at - 1]!] === score && ranked[at - 1]! > doc))
      )
        at--;
      if (at < perPair) {
        ranked.splice(at, 0, doc);
        if (ranked.length > perPair) ranked.pop();
      }
    }
    result[item] = ranked.map((doc) => members[doc]!);
    for (const doc of touched) scores[doc] = 0;
    touched.length = 0;
  }
}
