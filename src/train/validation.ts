// Validation and test: each query ranked against its own code and `distractors` others of the same language and
// split (the CodeSearchNet protocol), for the model and for BM25 on the same chunks.

import type { DataSource } from '../data/data-source.js';
import type { CodeRecord } from '../data/record.js';
import { evaluateModel, type LanguagePairs, pairsByLanguage } from '../eval/evaluate-model.js';
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

/**
 * The model (and BM25) on the sets by CodeSearchNet's protocol, through the same evaluateModel as `secora eval`:
 * chunks of distractors + 1 (a split smaller than that is one smaller chunk, said in `candidates`), the run's
 * seed and token lengths. `secora eval` on a run's checkpoint reads the same settings from its config.yml.
 */
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
  const report = await evaluateModel(
    encoder,
    sets.filter((set) => set.docstrings.length >= 2),
    {
      chunkSize: options.distractors + 1,
      seed: options.seed,
      incompleteChunk: 'drop',
      smallSplit: 'one-chunk',
      maxQueryLength: options.maxQueryLength,
      maxCodeLength: options.maxCodeLength,
    },
  );
  const languages: LanguageScore[] = report.languages.map((l) => ({
    language: l.language,
    pairs: l.csn.model.queries,
    candidates: l.candidates,
    mrr: l.csn.model.mrr,
    ...(options.bm25 ? { bm25Mrr: l.csn.bm25.mrr } : {}),
  }));
  const out: EvalReport = { languages, mrr: report.macro.csn.model };
  if (options.bm25) out.bm25Mrr = report.macro.csn.bm25;
  return out;
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
