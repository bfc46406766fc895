// `secora eval` as a library call: per language, the CodeSearchNet chunked MRR and (optionally) retrieval over
// the whole language corpus and over CodeSearchNet's graded annotations, each for the model, BM25 on the same
// queries and candidates, and their reciprocal-rank fusion.
import type { CodeRecord } from '../data/record.js';
import { type Embedder, embedAll } from '../model/embedder.js';
import { Bm25Index } from '../search/bm25.js';
import { reciprocalRankFusionScores } from '../search/fusion.js';
import type { Annotation } from './annotations.js';
import { evaluateRankers, type Judgments, type RetrievalScores } from './corpus-retrieval.js';
import { type CsnOptions, type CsnScore, csnBm25Mrr, csnMrr, macroMrr } from './csn-protocol.js';
import { scoreAgainst } from './embedding-rows.js';

/** query-to-code: docstrings search code (a search); code-to-query: code searches docstrings. */
export type Direction = 'query-to-code' | 'code-to-query';

/** One language's (docstring, code) pairs; urls identify the functions for the annotations. */
export interface LanguagePairs {
  language: string;
  docstrings: string[];
  /** The code without its docstring (what the CodeSearchNet protocol ranks). */
  codes: string[];
  /** The function as written (what an index holds), for retrieval against the annotations. */
  functions: string[];
  urls: string[];
}

/** Groups records with a docstring by language, at most `maxPerLanguage` each (in reading order). */
export function pairsByLanguage(
  records: Iterable<CodeRecord>,
  maxPerLanguage = Number.POSITIVE_INFINITY,
): LanguagePairs[] {
  const out = new Map<string, LanguagePairs>();
  for (const r of records) {
    if (r.docstring.trim() === '' || r.code.trim() === '') continue;
    let p = out.get(r.language);
    if (!p) {
      p = { language: r.language, docstrings: [], codes: [], functions: [], urls: [] };
      out.set(r.language, p);
    }
    if (p.docstrings.length >= maxPerLanguage) continue;
    p.docstrings.push(r.docstring);
    p.codes.push(r.code);
    p.functions.push(r.originalString ?? r.code);
    p.urls.push(r.url);
  }
  return [...out.values()].sort((a, b) => a.language.localeCompare(b.language));
}

export interface ModelEvalOptions extends CsnOptions {
  direction?: Direction;
  /** Also rank every query against the language's whole corpus (quadratic: cap with maxPerLanguage). */
  corpus?: boolean;
  /**
   * Graded annotations (CodeSearchNet's annotationStore.csv), matched to the pairs by url; their natural-language
   * queries always search the functions as written, whatever the direction.
   */
  annotations?: readonly Annotation[];
  batchSize?: number;
  /** Tokens a docstring and a code are cut to (an Encoder's embed option; others ignore it). */
  maxQueryLength?: number;
  maxCodeLength?: number;
  /**
   * A language with fewer pairs than a chunk: 'one-chunk' (default, as training's validation does) ranks them
   * as one smaller chunk (LanguageEval.candidates says how many); 'protocol' applies incompleteChunk to it.
   */
  smallSplit?: 'one-chunk' | 'protocol';
  onProgress?: (message: string) => void;
}

export interface Compared<T> {
  model: T;
  bm25: T;
  /** Reciprocal-rank fusion of the model's and BM25's rankings. */
  hybrid?: T;
}

export interface LanguageEval {
  language: string;
  pairs: number;
  /** Candidates each query was ranked among (the chunk size, or a smaller split's size). */
  candidates: number;
  csn: Compared<CsnScore>;
  corpus?: Compared<RetrievalScores>;
  annotations?: Compared<RetrievalScores> & { judged: number; missing: number };
}

export interface ModelEval {
  modelId: string;
  direction: Direction;
  protocol: { chunkSize: number; seed: number; incompleteChunk: 'drop' | 'keep' };
  languages: LanguageEval[];
  macro: { csn: Compared<number> };
}

function compareRetrieval(
  judgments: readonly Judgments[],
  queries: Float32Array[],
  queryTexts: readonly string[],
  candidates: Float32Array[],
  candidateTexts: readonly string[],
  graded: boolean,
): Compared<RetrievalScores> {
  const bm25 = new Bm25Index(candidateTexts);
  const [model, lexical, hybrid] = evaluateRankers(
    judgments,
    candidates.length,
    3,
    (q) => {
      const dense = scoreAgainst(queries[q]!, candidates);
      const sparse = bm25.scoreAll(queryTexts[q]!);
      return [dense, sparse, reciprocalRankFusionScores([dense, sparse])];
    },
    { graded },
  );
  return { model: model!, bm25: lexical!, hybrid: hybrid! };
}

/** An embedder that cuts its inputs to `maxLength` tokens (Encoder.embed's option). */
function cutTo(embedder: Embedder, maxLength: number | undefined): Embedder {
  if (maxLength === undefined) return embedder;
  const embed = embedder.embed.bind(embedder) as (
    texts: string[],
    options: { maxLength: number },
  ) => Promise<Float32Array[]>;
  return { modelId: embedder.modelId, dim: embedder.dim, embed: (texts) => embed(texts, { maxLength }) };
}

export async function evaluateModel(
  embedder: Embedder,
  languages: readonly LanguagePairs[],
  options: ModelEvalOptions = {},
): Promise<ModelEval> {
  const direction = options.direction ?? 'query-to-code';
  const protocol = {
    chunkSize: options.chunkSize ?? 1000,
    seed: options.seed ?? 0,
    incompleteChunk: options.incompleteChunk ?? 'drop',
  };
  const say = options.onProgress ?? (() => {});
  const results: LanguageEval[] = [];
  for (const p of languages) {
    say(`${p.language}: embedding ${p.docstrings.length} docstrings and ${p.codes.length} functions`);
    const docVectors = await embedAll(
      cutTo(embedder, options.maxQueryLength),
      p.docstrings,
      options.batchSize,
    );
    const codeVectors = await embedAll(cutTo(embedder, options.maxCodeLength), p.codes, options.batchSize);
    const small =
      (options.smallSplit ?? 'one-chunk') === 'one-chunk' && p.docstrings.length < protocol.chunkSize;
    const chunking = small ? { ...protocol, chunkSize: Math.max(2, p.docstrings.length) } : protocol;
    const [qv, cv, qt, ct] =
      direction === 'query-to-code'
        ? [docVectors, codeVectors, p.docstrings, p.codes]
        : [codeVectors, docVectors, p.codes, p.docstrings];
    const result: LanguageEval = {
      language: p.language,
      pairs: p.docstrings.length,
      candidates: chunking.chunkSize,
      csn: { model: csnMrr(qv, cv, chunking), bm25: csnBm25Mrr(qt, ct, chunking) },
    };
    if (options.corpus) {
      say(`${p.language}: ranking ${qt.length} queries against all ${ct.length} candidates`);
      const judgments = qt.map((_, i) => new Map([[i, 1]]));
      result.corpus = compareRetrieval(judgments, qv, qt, cv, ct, false);
    }
    const judged = options.annotations?.filter((a) => a.language === p.language) ?? [];
    if (judged.length > 0) {
      const byUrl = new Map(p.urls.map((u, i) => [u, i]));
      const byQuery = new Map<string, Map<number, number>>();
      let missing = 0;
      for (const a of judged) {
        const at = byUrl.get(a.url);
        if (at === undefined) {
          missing++;
          continue;
        }
        const m = byQuery.get(a.query) ?? new Map<number, number>();
        m.set(at, Math.max(m.get(at) ?? 0, a.relevance));
        byQuery.set(a.query, m);
      }
      if (byQuery.size > 0) {
        const queries = [...byQuery.keys()];
        say(`${p.language}: ${queries.length} annotated queries against ${p.functions.length} functions`);
        const functionVectors = await embedAll(embedder, p.functions, options.batchSize);
        const queryVectors = await embedAll(embedder, queries, options.batchSize);
        const scores = compareRetrieval(
          [...byQuery.values()],
          queryVectors,
          queries,
          functionVectors,
          p.functions,
          true,
        );
        result.annotations = { ...scores, judged: judged.length - missing, missing };
      }
    }
    results.push(result);
  }
  return {
    modelId: embedder.modelId,
    direction,
    protocol,
    languages: results,
    macro: {
      csn: {
        model: macroMrr(results.map((r) => r.csn.model)),
        bm25: macroMrr(results.map((r) => r.csn.bm25)),
      },
    },
  };
}
