// The terminal table of `secora eval`: per language, the model beside BM25 (and their fusion) on every metric.
import type { RetrievalScores } from './corpus-retrieval.js';
import type { Compared, ModelEval } from './evaluate-model.js';

const f = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(4));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
    )
    .join('\n');
}

function retrievalRows(language: string, s: Compared<RetrievalScores>, graded: boolean): string[][] {
  const systems: [string, RetrievalScores | undefined][] = [
    ['model', s.model],
    ['bm25', s.bm25],
    ['hybrid', s.hybrid],
  ];
  return systems
    .filter((x): x is [string, RetrievalScores] => x[1] !== undefined)
    .map(([name, r]) => [
      `${language} ${name}`,
      String(r.queries),
      String(r.candidates),
      f(r.mrr),
      f(r.recall[1]),
      f(r.recall[5]),
      f(r.recall[10]),
      ...(graded ? [f(r.ndcg10)] : []),
    ]);
}

export function formatModelEval(e: ModelEval): string {
  const p = e.protocol;
  const parts: string[] = [
    `model ${e.modelId}, ${e.direction}; CodeSearchNet MRR: chunks of ${p.chunkSize}, seed ${p.seed}, ` +
      `incomplete last chunk ${p.incompleteChunk === 'drop' ? 'dropped' : 'kept'}; ties count against the ranker`,
    table([
      ['language', 'pairs', 'candidates', 'ranked', 'MRR model', 'MRR bm25'],
      ...e.languages.map((l) => [
        l.language,
        String(l.pairs),
        String(l.candidates),
        String(l.csn.model.queries),
        f(l.csn.model.mrr),
        f(l.csn.bm25.mrr),
      ]),
      ['macro', '', '', '', f(e.macro.csn.model), f(e.macro.csn.bm25)],
    ]),
  ];
  const notes = e.languages.flatMap((l) => {
    if (l.csn.model.queries === 0)
      return [
        `${l.language}: ${l.pairs} pairs, fewer than a chunk of ${p.chunkSize}, so none was ranked: ` +
          '--small-split one-chunk ranks them as one smaller chunk, --keep-last keeps incomplete chunks, --chunk N sets the size',
      ];
    if (l.candidates < p.chunkSize)
      return [
        `${l.language}: ${l.pairs} pairs, fewer than a chunk of ${p.chunkSize}: ranked as one chunk of ${l.candidates} ` +
          '(easier than a full chunk; --small-split protocol drops it as CodeSearchNet does)',
      ];
    return [];
  });
  if (notes.length) parts.push(notes.join('\n'));
  const corpus = e.languages.filter((l) => l.corpus);
  if (corpus.length > 0) {
    parts.push(
      'whole-corpus retrieval (each query against every candidate of its language)',
      table([
        ['language / ranker', 'queries', 'candidates', 'MRR', 'R@1', 'R@5', 'R@10'],
        ...corpus.flatMap((l) => retrievalRows(l.language, l.corpus!, false)),
      ]),
    );
  }
  const annotated = e.languages.filter((l) => l.annotations);
  if (annotated.length > 0) {
    parts.push(
      'graded annotations (relevance 0–3; NDCG with linear gains)',
      table([
        ['language / ranker', 'queries', 'candidates', 'MRR', 'R@1', 'R@5', 'R@10', 'NDCG@10'],
        ...annotated.flatMap((l) => retrievalRows(l.language, l.annotations!, true)),
      ]),
    );
    const missing = annotated.reduce((n, l) => n + l.annotations!.missing, 0);
    if (missing > 0) parts.push(`${missing} annotated urls are not in the evaluated data and were left out`);
  }
  return parts.join('\n\n');
}
