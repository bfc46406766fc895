// Tunes the hybrid's fusion on a validation split (docstrings as queries against the split's code, per
// language, as CodeSearchNet's whole-corpus retrieval): every fusion of a grid is scored by macro MRR over
// the languages, beside the model and BM25 alone. The queries are the docstrings, or (queries: 'shortened')
// a few content words of each docstring's first sentence, shaped like what people type into a search box.
// The questions are never used to tune.
import { shortened } from '../../data/query-views.js';
import type { CodeRecord } from '../../data/record.js';
import { type Embedder, embedAll } from '../../model/embedder.js';
import { Bm25Index } from '../../search/bm25.js';
import { type FusionSpec, formatFusion, fuse } from '../../search/fusion.js';
import { firstRelevantRank } from '../metrics.js';
import { innerProducts } from './embeddings-cache.js';
import { listScores, topRanked } from './run-questions.js';

export const DEFAULT_FUSION_GRID: readonly FusionSpec[] = [
  ...[1, 5, 10, 20, 30, 60, 100, 200].map((k) => ({ method: 'rrf' as const, k })),
  ...[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((weight) => ({ method: 'weighted' as const, weight })),
];

export interface TuningRow {
  name: string;
  /** MRR per language, and their mean. */
  mrr: Record<string, number>;
  macro: number;
}

/** The validation queries: each docstring as written, or its shortened view (4 content words). */
export type TuningQueries = 'docstring' | 'shortened';
export const TUNING_QUERIES: readonly TuningQueries[] = ['docstring', 'shortened'];
const SHORTENED_WORDS = 4;

export interface FusionTuning {
  queries: TuningQueries;
  languages: { language: string; queries: number }[];
  model: TuningRow;
  bm25: TuningRow;
  fusions: (TuningRow & { fusion: FusionSpec })[];
  best: FusionSpec;
}

/** MRR of each query's one relevant candidate (its own code) under each of several scorings. */
function mrrOf(ranksPerQuery: number[]): number {
  return ranksPerQuery.reduce((a, r) => a + 1 / r, 0) / ranksPerQuery.length;
}

export async function tuneFusion(
  embedder: Embedder,
  records: readonly CodeRecord[],
  options: {
    grid?: readonly FusionSpec[];
    maxPerLanguage?: number;
    pool?: number;
    queries?: TuningQueries;
    log?: (line: string) => void;
  } = {},
): Promise<FusionTuning> {
  const queries = options.queries ?? 'docstring';
  const queryOf = (r: CodeRecord) =>
    queries === 'shortened' ? shortened(r.docstring, SHORTENED_WORDS) : r.docstring;
  const grid = options.grid ?? DEFAULT_FUSION_GRID;
  const pool = options.pool ?? 50;
  const max = options.maxPerLanguage ?? 1000;
  const byLanguage = new Map<string, CodeRecord[]>();
  for (const r of records) {
    if (!r.docstring.trim() || !r.code.trim()) continue;
    const list = byLanguage.get(r.language) ?? [];
    if (list.length < max) list.push(r);
    byLanguage.set(r.language, list);
  }
  const languages = [...byLanguage.keys()].sort();
  if (languages.length === 0) throw new Error('no (docstring, code) pairs to tune the fusion on');
  const ranks = { model: new Map<string, number[]>(), bm25: new Map<string, number[]>() };
  const fusedRanks = grid.map(() => new Map<string, number[]>());
  for (const language of languages) {
    const pairs = byLanguage.get(language)!;
    options.log?.(`tuning on ${pairs.length} ${language} pairs`);
    const codes = pairs.map((p) => p.code);
    const bm25 = new Bm25Index(codes);
    const codeRows = await embedAll(embedder, codes);
    const matrix = new Float32Array(codes.length * embedder.dim);
    codeRows.forEach((row, i) => {
      matrix.set(row, i * embedder.dim);
    });
    const texts = pairs.map(queryOf);
    const queryRows = await embedAll(embedder, texts);
    const m: number[] = [];
    const b: number[] = [];
    const f = grid.map(() => [] as number[]);
    texts.forEach((query, i) => {
      const relevant = new Set([i]);
      const dense = innerProducts(matrix, embedder.dim, queryRows[i]!);
      const lexical = bm25.scoreAll(query);
      m.push(firstRelevantRank(dense, relevant));
      b.push(firstRelevantRank(lexical, relevant));
      const denseTop = topRanked(dense, pool);
      const lexicalTop = bm25.search(query, pool).map(({ doc, score }) => ({ id: doc, score }));
      grid.forEach((spec, g) => {
        f[g]!.push(firstRelevantRank(listScores(fuse(denseTop, lexicalTop, spec), codes.length), relevant));
      });
    });
    ranks.model.set(language, m);
    ranks.bm25.set(language, b);
    grid.forEach((_, g) => {
      fusedRanks[g]!.set(language, f[g]!);
    });
  }
  const row = (name: string, perLanguage: Map<string, number[]>): TuningRow => {
    const mrr = Object.fromEntries(languages.map((l) => [l, mrrOf(perLanguage.get(l)!)]));
    return { name, mrr, macro: languages.reduce((a, l) => a + mrr[l]!, 0) / languages.length };
  };
  const fusions = grid.map((fusion, g) => ({ ...row(formatFusion(fusion), fusedRanks[g]!), fusion }));
  // Ties go to the earlier grid entry, so the choice is deterministic.
  const best = fusions.reduce((a, r) => (r.macro > a.macro ? r : a)).fusion;
  return {
    queries,
    languages: languages.map((language) => ({ language, queries: byLanguage.get(language)!.length })),
    model: row('model', ranks.model),
    bm25: row('bm25', ranks.bm25),
    fusions,
    best,
  };
}

export function formatTuning(t: FusionTuning): string {
  const langs = t.languages.map((l) => l.language);
  const head = `${'ranking'.padEnd(14)}${langs.map((l) => l.padStart(11)).join('')}${'macro'.padStart(9)}`;
  const line = (r: TuningRow) =>
    `${r.name.padEnd(14)}${langs.map((l) => r.mrr[l]!.toFixed(4).padStart(11)).join('')}${r.macro.toFixed(4).padStart(9)}`;
  return [
    `MRR on ${t.languages.map((l) => `${l.queries} ${l.language}`).join(', ')} validation pairs (whole split per language), ${t.queries === 'shortened' ? 'shortened docstrings' : 'docstrings'} as queries`,
    head,
    line(t.model),
    line(t.bm25),
    ...t.fusions.map(line),
    `best: ${formatFusion(t.best)}`,
  ].join('\n');
}
