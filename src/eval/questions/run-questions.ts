// Runs the questions: per corpus, BM25 over the functions as `secora index` stores them, the model's
// embeddings (when there is a model) and the hybrid exactly as CodeIndex.search fuses them (the top pool
// of each ranking, fused), then MRR, Recall@1/@10 and NDCG@10 per corpus and their macro average.

import type { Embedder } from '../../model/embedder.js';
import { Bm25Index } from '../../search/bm25.js';
import { DEFAULT_EMBED_TEXT, type EmbedText, textToEmbed } from '../../search/embed-text.js';
import { DEFAULT_FUSION, type FusionSpec, fuse, type Ranked } from '../../search/fusion.js';
import { evaluateRankers, type RetrievalScores } from '../corpus-retrieval.js';
import { firstRelevantRank } from '../metrics.js';
import type { LoadedCorpus } from './corpus-cache.js';
import { cachedEmbeddings, embeddingsFile, innerProducts } from './embeddings-cache.js';
import type { ResolvedQuestion } from './resolve.js';

export const RANKERS = ['model', 'bm25', 'hybrid'] as const;
export type RankerName = (typeof RANKERS)[number];

export interface QuestionScores {
  mrr: number;
  recall1: number;
  recall10: number;
  ndcg10: number;
  queries: number;
}

export interface CorpusReport {
  corpus: string;
  language: string;
  functions: number;
  questions: number;
  scores: Partial<Record<RankerName, QuestionScores>>;
}

export interface QuestionsReport {
  model: string | null;
  fusion: FusionSpec;
  /** What the model embedded of each function (null without a model). */
  embedText: EmbedText | null;
  corpora: CorpusReport[];
  /** The unweighted mean over the corpora (each language counts the same). */
  macro: Partial<Record<RankerName, QuestionScores>>;
  /** The 1-based rank of each question's best judged answer, per ranker. */
  perQuestion: { id: string; corpus: string; query: string; ranks: Partial<Record<RankerName, number>> }[];
}

export interface QuestionsEvalOptions {
  /** The model; without one only BM25 is run. */
  embedder?: Embedder;
  modelName?: string;
  fusion?: FusionSpec;
  /** Candidates from each ranking fused by the hybrid (CodeIndex.search's pool for k = 10). */
  pool?: number;
  /** Folder of the embeddings cache; none: not cached. */
  cacheDir?: string;
  /** What the model embeds of each function (src/search/embed-text.ts; default: what `secora index` does). */
  embedText?: EmbedText;
  onProgress?: (line: string) => void;
}

const toScores = (r: RetrievalScores): QuestionScores => ({
  mrr: r.mrr,
  recall1: r.recall[1] ?? 0,
  recall10: r.recall[10] ?? 0,
  ndcg10: r.ndcg10 ?? 0,
  queries: r.queries,
});

/** The best `k` of a full score array as a ranked list (ties: lower index first). */
export function topRanked(scores: ArrayLike<number>, k: number): Ranked[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order.slice(0, k).map((id) => ({ id, score: scores[id]! }));
}

/** A fused list as a full score array: candidates outside it score -Infinity (ranked last, tied). */
export function listScores(list: readonly Ranked[], n: number): Float64Array {
  const scores = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  for (const { id, score } of list) scores[id] = score;
  return scores;
}

function average(reports: readonly QuestionScores[]): QuestionScores {
  const m = (f: (s: QuestionScores) => number) => reports.reduce((a, s) => a + f(s), 0) / reports.length;
  return {
    mrr: m((s) => s.mrr),
    recall1: m((s) => s.recall1),
    recall10: m((s) => s.recall10),
    ndcg10: m((s) => s.ndcg10),
    queries: reports.reduce((a, s) => a + s.queries, 0),
  };
}

/** Runs every question over its corpus with BM25, the model and the hybrid. */
export async function evaluateQuestions(
  corpora: readonly LoadedCorpus[],
  questions: readonly ResolvedQuestion[],
  options: QuestionsEvalOptions = {},
): Promise<QuestionsReport> {
  const fusion = options.fusion ?? DEFAULT_FUSION;
  const embedText = options.embedText ?? DEFAULT_EMBED_TEXT;
  const pool = options.pool ?? 50;
  const { embedder } = options;
  const report: QuestionsReport = {
    model: embedder ? (options.modelName ?? embedder.modelId) : null,
    fusion,
    embedText: embedder ? embedText : null,
    corpora: [],
    macro: {},
    perQuestion: [],
  };
  const rankers: RankerName[] = embedder ? ['model', 'bm25', 'hybrid'] : ['bm25'];
  for (const loaded of corpora) {
    const asked = questions.filter((q) => q.question.corpus === loaded.corpus.name);
    if (asked.length === 0) continue;
    const codes = loaded.functions.map((f) => f.code);
    const texts = loaded.functions.map((f) => textToEmbed(f, embedText));
    const n = codes.length;
    const bm25 = new Bm25Index(codes);
    let matrix: Float32Array | undefined;
    let queryRows: Float32Array[] = [];
    if (embedder) {
      const file = options.cacheDir
        ? embeddingsFile(
            options.cacheDir,
            loaded.corpus.name,
            embedText === 'whole' ? loaded.key : `${loaded.key}-${embedText}`,
            embedder.modelId,
          )
        : undefined;
      let last = 0;
      matrix = await cachedEmbeddings(embedder, texts, file, (done, total) => {
        if (done - last >= 2000 || done === total) {
          last = done;
          options.onProgress?.(`${loaded.corpus.name}: embedded ${done}/${total}`);
        }
      });
      queryRows = await embedder.embed(asked.map((q) => q.question.query));
    }
    const perQuery = asked.map((q, i) => {
      const lexical = bm25.scoreAll(q.question.query);
      if (!embedder || !matrix) return [lexical];
      const dense = innerProducts(matrix, embedder.dim, queryRows[i]!);
      const fused = fuse(
        topRanked(dense, pool),
        bm25.search(q.question.query, pool).map(({ doc, score }) => ({ id: doc, score })),
        fusion,
      );
      return [dense, lexical, listScores(fused, n)];
    });
    const scores = evaluateRankers(
      asked.map((q) => q.judgments),
      n,
      rankers.length,
      (i) => perQuery[i]!,
      { ks: [1, 10], graded: true },
    );
    const corpusReport: CorpusReport = {
      corpus: loaded.corpus.name,
      language: loaded.corpus.language,
      functions: n,
      questions: asked.length,
      scores: {},
    };
    rankers.forEach((r, j) => {
      corpusReport.scores[r] = toScores(scores[j]!);
    });
    report.corpora.push(corpusReport);
    asked.forEach((q, i) => {
      const relevant = new Set([...q.judgments].filter(([, g]) => g > 0).map(([c]) => c));
      const ranks: Partial<Record<RankerName, number>> = {};
      rankers.forEach((r, j) => {
        ranks[r] = firstRelevantRank(perQuery[i]![j]!, relevant);
      });
      report.perQuestion.push({
        id: q.question.id,
        corpus: loaded.corpus.name,
        query: q.question.query,
        ranks,
      });
    });
  }
  for (const r of rankers) {
    const rows = report.corpora.map((c) => c.scores[r]).filter((s): s is QuestionScores => s !== undefined);
    if (rows.length > 0) report.macro[r] = average(rows);
  }
  return report;
}

/** The report as a table: one row per corpus and ranker, then the macro rows. */
export function formatQuestionsReport(report: QuestionsReport): string {
  const cells = (name: string, functions: string, ranker: string, s: QuestionScores) =>
    name.padEnd(15) +
    functions.padStart(10) +
    `  ${ranker.padEnd(7)}` +
    String(s.queries).padStart(8) +
    [s.mrr, s.recall1, s.recall10, s.ndcg10].map((v) => v.toFixed(3).padStart(9)).join('');
  const lines = [
    `${'corpus'.padEnd(15)}${'functions'.padStart(10)}  ${'ranker'.padEnd(7)}${'queries'.padStart(8)}${['MRR', 'R@1', 'R@10', 'nDCG@10'].map((h) => h.padStart(9)).join('')}`,
  ];
  for (const c of report.corpora)
    for (const r of RANKERS)
      if (c.scores[r]) lines.push(cells(c.corpus, String(c.functions), r, c.scores[r]!));
  for (const r of RANKERS) if (report.macro[r]) lines.push(cells('macro', '', r, report.macro[r]!));
  return lines.join('\n');
}
