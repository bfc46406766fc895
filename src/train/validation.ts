// Validation and test: each query ranked against its own code and `distractors` others of the same language and
// split (the CodeSearchNet protocol), for the model and for BM25 on the same chunks.

import type { DataSource } from '../data/data-source.js';
import type { CodeRecord } from '../data/record.js';
import { type CsnScore, csnBm25Mrr, csnMrr, macroMrr } from '../eval/csn-protocol.js';
import { type LanguagePairs, pairsByLanguage } from '../eval/evaluate-model.js';
import type { Encoder } from '../model/encoder.js';

/** The first `maxPerLanguage` pairs of each language of a split, in the source's stable order (streamed). */
export async function loadEvalSets(source: DataSource, maxPerLanguage: number): Promise<LanguagePairs[]> {
  const kept: CodeRecord[] = [];
  const counts = new Map<string, number>();
  for await (const r of source.records()) {
    const n = counts.get(r.language) ?? 0;
    if (n >= maxPerLanguage) continue;
    counts.set(r.language, n + 1);
    kept.push(r);
  }
  return pairsByLanguage(kept, maxPerLanguage);
}

export interface LanguageScore {
  language: string;
  pairs: number;
  /** Candidates each query is ranked against (its own code included). */
  candidates: number;
  mrr: number;
  bm25Mrr?: number;
}

export interface EvalReport {
  languages: LanguageScore[];
  /** Macro average over languages. */
  mrr: number;
  bm25Mrr?: number;
}

/** Chunks of distractors + 1; a split smaller than that is ranked as one smaller chunk (said in `candidates`). */
function chunking(n: number, distractors: number, seed: number) {
  const chunkSize = Math.max(2, Math.min(distractors + 1, n));
  return { chunkSize, seed, incompleteChunk: 'drop' as const };
}

export async function evaluate(
  encoder: Encoder,
  sets: readonly LanguagePairs[],
  options: {
    distractors: number;
    seed: number;
    maxQueryLength: number;
    maxCodeLength: number;
    bm25?: boolean;
  },
): Promise<EvalReport> {
  const languages: LanguageScore[] = [];
  const dense: CsnScore[] = [];
  const lexical: CsnScore[] = [];
  for (const set of sets) {
    if (set.docstrings.length < 2) continue;
    const opts = chunking(set.docstrings.length, options.distractors, options.seed);
    const q = await encoder.embed(set.docstrings, { maxLength: options.maxQueryLength });
    const c = await encoder.embed(set.codes, { maxLength: options.maxCodeLength });
    const score = csnMrr(q, c, opts);
    dense.push(score);
    const entry: LanguageScore = {
      language: set.language,
      pairs: score.queries,
      candidates: opts.chunkSize,
      mrr: score.mrr,
    };
    if (options.bm25) {
      const b = csnBm25Mrr(set.docstrings, set.codes, opts);
      lexical.push(b);
      entry.bm25Mrr = b.mrr;
    }
    languages.push(entry);
  }
  const report: EvalReport = { languages, mrr: macroMrr(dense) };
  if (options.bm25) report.bm25Mrr = macroMrr(lexical);
  return report;
}

export function formatEvalReport(title: string, r: EvalReport): string {
  const lines = [
    `${title}`,
    `  ${'language'.padEnd(12)} ${'pairs'.padStart(6)} ${'cands'.padStart(6)} ${'MRR'.padStart(7)} ${r.bm25Mrr !== undefined ? 'BM25'.padStart(7) : ''}`,
  ];
  for (const l of r.languages) {
    lines.push(
      `  ${l.language.padEnd(12)} ${String(l.pairs).padStart(6)} ${String(l.candidates).padStart(6)} ${l.mrr.toFixed(4).padStart(7)} ${l.bm25Mrr !== undefined ? l.bm25Mrr.toFixed(4).padStart(7) : ''}`,
    );
  }
  lines.push(
    `  ${'average'.padEnd(12)} ${''.padStart(6)} ${''.padStart(6)} ${r.mrr.toFixed(4).padStart(7)} ${r.bm25Mrr !== undefined ? r.bm25Mrr.toFixed(4).padStart(7) : ''}`,
  );
  return lines.join('\n');
}
