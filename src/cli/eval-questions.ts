// `secora eval --questions FILE [--model DIR|hashing]`: the real-questions evaluation over the fixed
// corpora (see questions/README.md), and `secora eval --tune-fusion DATA --model DIR`: the hybrid's fusion
// tuned on a validation split.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DATA_FORMATS, type DataFormat, openDataSource } from '../data/data-source.js';
import type { CodeRecord, Split } from '../data/record.js';
import { prepareQuestions } from '../eval/questions/questions-eval.js';
import { evaluateQuestions, formatQuestionsReport } from '../eval/questions/run-questions.js';
import { sampleCorpus } from '../eval/questions/sample-corpus.js';
import {
  DEFAULT_FUSION_GRID,
  formatTuning,
  TUNING_QUERIES,
  type TuningQueries,
  tuneFusion,
} from '../eval/questions/tune-fusion.js';
import { packageRoot } from '../package-root.js';
import { checkEmbedText, DEFAULT_EMBED_TEXT } from '../search/embed-text.js';
import { DEFAULT_FUSION, formatFusion, parseFusion } from '../search/fusion.js';
import { resolveModel } from '../search/resolve-model.js';
import { parseCommandLine } from './args.js';
import type { CommandMain } from './run.js';

export const EVAL_QUESTIONS_USAGE = `usage: secora eval --questions FILE [--model DIR|hashing[:DIM]] [options]
       secora eval --tune-fusion DATA --model DIR [--format F] [--split valid] [--max N] [--queries Q]
  --questions FILE   the questions (JSON lines; format in questions/README.md)
  --model M          a model folder, or hashing[:DIM]; none: BM25 only
  --check            only validate the file and resolve every judged answer to one mined function
  --corpus N=DIR     read corpus N from DIR (N=LANG:DIR adds a corpus); repeatable
  --fusion F         the hybrid's fusion: rrf[:K] or weighted[:W] (default ${formatFusion(DEFAULT_FUSION)}, as secora search)
  --pool N           candidates of each ranking fused (default 50)
  --fusion-grid      rank the hybrid with every fusion of the tuning grid (rrf k 1–200, weighted 0.1–0.9) and
                     print macro MRR per fusion: tuning on a validation file (questions/validation.jsonl),
                     never on the test questions
  --embed-text T     what the model embeds of a function (default ${DEFAULT_EMBED_TEXT}, as secora index does): whole
                     (as written, doc comment included) | code (without its doc comment, as training pairs
                     hold it) | code-doc (that code, then the docstring's first paragraph) | doc-code (the
                     docstring's first paragraph, then the code)
  --sample N         rank against at most N functions per corpus: every judged one plus a seeded sample
                     of the rest (when embedding the whole corpus is too slow); --seed S (default 0)
  --cache DIR        mined corpora and embeddings (default $SECORA_CACHE or <package>/.cache/secora, + /questions)
  --json             print the report as JSON instead of a table; --out FILE also writes it
  --tune-fusion DATA grid-search the fusion on DATA's --split (default valid), each docstring's own code
                     the answer; --queries docstring (as written, the default) | shortened (4 content
                     words of its first sentence, as people type searches)`;

export const evalQuestionsCommand: CommandMain = async (argv) => {
  const { values } = parseCommandLine(
    {
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        questions: { type: 'string' },
        'tune-fusion': { type: 'string' },
        model: { type: 'string' },
        check: { type: 'boolean', default: false },
        corpus: { type: 'string', multiple: true, default: [] },
        fusion: { type: 'string' },
        pool: { type: 'string', default: '50' },
        sample: { type: 'string' },
        seed: { type: 'string', default: '0' },
        cache: { type: 'string' },
        json: { type: 'boolean', default: false },
        out: { type: 'string' },
        format: { type: 'string', default: 'codesearchnet' },
        split: { type: 'string', default: 'valid' },
        max: { type: 'string', default: '1000' },
        queries: { type: 'string', default: 'docstring' },
        'embed-text': { type: 'string', default: DEFAULT_EMBED_TEXT },
        'fusion-grid': { type: 'boolean', default: false },
      },
    },
    EVAL_QUESTIONS_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${EVAL_QUESTIONS_USAGE}\n`);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const pool = Number(values.pool);
  if (!Number.isInteger(pool) || pool < 1)
    throw new Error(`--pool must be an integer >= 1, got '${values.pool}'`);
  const emit = (report: object, table: string) => {
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (values.out) writeFileSync(resolve(values.out), json);
    process.stdout.write(values.json ? json : `${table}\n`);
  };

  if (values['tune-fusion'] !== undefined) {
    if (!values.model) throw new Error('--tune-fusion needs --model (a model folder, or hashing)');
    if (!DATA_FORMATS.includes(values.format as DataFormat))
      throw new Error(`--format must be one of ${DATA_FORMATS.join(', ')}, got '${values.format}'`);
    const max = Number(values.max);
    if (!Number.isInteger(max) || max < 2)
      throw new Error(`--max must be an integer >= 2, got '${values.max}'`);
    const queries = values.queries as TuningQueries;
    if (!TUNING_QUERIES.includes(queries))
      throw new Error(`--queries must be one of ${TUNING_QUERIES.join(', ')}, got '${values.queries}'`);
    const source = openDataSource({
      format: values.format as DataFormat,
      path: values['tune-fusion'],
      split: values.split as Split,
    });
    const records: CodeRecord[] = [];
    for await (const r of source.records()) records.push(r);
    const model = await resolveModel(values.model);
    try {
      const tuning = await tuneFusion(model.embedder, records, {
        grid: DEFAULT_FUSION_GRID,
        maxPerLanguage: max,
        pool,
        queries,
        log,
      });
      emit(
        { modelSource: model.source, data: resolve(values['tune-fusion']), split: values.split, ...tuning },
        formatTuning(tuning),
      );
    } finally {
      await model.close();
    }
    return 0;
  }

  if (!values.questions) {
    process.stderr.write(`${EVAL_QUESTIONS_USAGE}\n`);
    return 2;
  }
  const cacheDir = join(
    values.cache ?? process.env['SECORA_CACHE'] ?? join(packageRoot, '.cache', 'secora'),
    'questions',
  );
  const prepared = await prepareQuestions(values.questions, { cacheDir, corpora: values.corpus, log });
  if (values.check) {
    const sizes = prepared.corpora.map((c) => `${c.corpus.name} ${c.functions.length} functions`).join(', ');
    const answers = prepared.resolved.reduce((a, q) => a + q.judgments.size, 0);
    process.stdout.write(
      `${values.questions}: ${prepared.questions.length} questions, ${answers} judged answers, all resolved (${sizes})\n`,
    );
    return 0;
  }
  let { corpora, resolved } = prepared;
  if (values.sample !== undefined) {
    const size = Number(values.sample);
    const seed = Number(values.seed);
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`--sample must be an integer >= 1, got '${values.sample}'`);
    if (!Number.isInteger(seed) || seed < 0)
      throw new Error(`--seed must be an integer >= 0, got '${values.seed}'`);
    const sampled = corpora.map((c) => sampleCorpus(c, resolved, size, seed));
    corpora = sampled.map((s) => s.corpus);
    resolved = sampled.flatMap((s) => s.questions);
  }
  const fusion = values.fusion ? parseFusion(values.fusion) : undefined;
  const embedText = checkEmbedText(values['embed-text'], '--embed-text');
  const model = values.model ? await resolveModel(values.model) : undefined;
  if (values['fusion-grid']) {
    if (!model) throw new Error('--fusion-grid needs --model (a model folder, or hashing)');
    try {
      const rows: { fusion: string; mrr: number; ndcg10: number; corpora: Record<string, number> }[] = [];
      let last: Awaited<ReturnType<typeof evaluateQuestions>> | undefined;
      for (const spec of DEFAULT_FUSION_GRID) {
        last = await evaluateQuestions(corpora, resolved, {
          embedder: model.embedder,
          modelName: model.source,
          fusion: spec,
          pool,
          cacheDir,
          embedText,
        });
        const byCorpus = Object.fromEntries(last.corpora.map((c) => [c.corpus, c.scores.hybrid!.mrr]));
        rows.push({
          fusion: formatFusion(spec),
          mrr: last.macro.hybrid!.mrr,
          ndcg10: last.macro.hybrid!.ndcg10,
          corpora: byCorpus,
        });
      }
      const names = last!.corpora.map((c) => c.corpus);
      const line = (name: string, mrr: number, ndcg: number, per: Record<string, number>) =>
        `| ${name} | ${names.map((n) => per[n]!.toFixed(4)).join(' | ')} | ${mrr.toFixed(4)} | ${ndcg.toFixed(4)} |`;
      const alone = (r: 'model' | 'bm25') =>
        line(
          r,
          last!.macro[r]!.mrr,
          last!.macro[r]!.ndcg10,
          Object.fromEntries(last!.corpora.map((c) => [c.corpus, c.scores[r]!.mrr])),
        );
      const best = rows.reduce((a, b) => (b.mrr > a.mrr ? b : a));
      emit(
        { model: model.source, embedText, rows, best: best.fusion },
        [
          `| ranking | ${names.join(' | ')} | macro MRR | macro nDCG@10 |`,
          `| --- | ${names.map(() => '---').join(' | ')} | --- | --- |`,
          alone('model'),
          alone('bm25'),
          ...rows.map((r) => line(r.fusion, r.mrr, r.ndcg10, r.corpora)),
          `best by macro MRR: ${best.fusion} (the model embeds: ${embedText})`,
        ].join('\n'),
      );
    } finally {
      await model.close();
    }
    return 0;
  }
  try {
    const report = await evaluateQuestions(corpora, resolved, {
      ...(model ? { embedder: model.embedder, modelName: model.source } : {}),
      ...(fusion ? { fusion } : {}),
      pool,
      cacheDir,
      embedText,
      onProgress: log,
    });
    const sample =
      values.sample === undefined ? null : { size: Number(values.sample), seed: Number(values.seed) };
    const note = sample
      ? `\ncandidates: every judged function + a seeded sample, ${sample.size} per corpus (seed ${sample.seed})`
      : '';
    emit(
      { ...report, sample },
      `${formatQuestionsReport(report)}\nfusion: ${formatFusion(report.fusion)}${report.embedText ? `, the model embeds: ${report.embedText}` : ''}${note}`,
    );
  } finally {
    await model?.close();
  }
  return 0;
};
