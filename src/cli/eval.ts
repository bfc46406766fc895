// `secora eval <model dir> <data>`: the CodeSearchNet MRR per language with BM25 beside it, optionally
// whole-corpus retrieval and the graded annotations; a table on the terminal and a JSON file.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DATA_FORMATS, type DataFormat, openDataSource } from '../data/data-source.js';
import type { CodeRecord, Split } from '../data/record.js';
import { readAnnotations } from '../eval/annotations.js';
import { type Direction, evaluateModel, pairsByLanguage } from '../eval/evaluate-model.js';
import { formatModelEval } from '../eval/format-eval.js';
import { runProtocol } from '../eval/run-protocol.js';
import { resolveModel } from '../search/resolve-model.js';
import { parseCommandLine } from './args.js';
import { EVAL_QUESTIONS_USAGE, evalQuestionsCommand } from './eval-questions.js';
import type { CommandMain } from './run.js';

export const EVAL_USAGE = `usage: secora eval <model dir|hashing> <data> [options]
  --format F         ${DATA_FORMATS.join(' | ')} (default codesearchnet)
  --split S          train | valid | test (default test)
  --lang L1,L2       only these languages
  --direction D      query-to-code (default) | code-to-query
  --chunk N          candidates per chunk; --seed N. Defaults: for a run's checkpoint, its config.yml's
                     (validation.distractors + 1, seed, and data.max_query_length / max_code_length, so the
                     number is the one training reported); else 1000 and 42 (the config's default seed)
  --keep-last        keep the incomplete last chunk (CodeSearchNet drops it; so does the default)
  --small-split S    one-chunk (default, as training does): a language with fewer pairs than a chunk is
                     ranked as one smaller chunk | protocol: such a language is dropped, as CodeSearchNet does
  --corpus           also rank each query against the whole language corpus (MRR, Recall@1/5/10)
  --max N            at most N pairs per language
  --annotations CSV  CodeSearchNet's annotationStore.csv: graded retrieval with NDCG@10
  --out FILE         also write the JSON report to FILE (nothing is written without it)
  --json             the JSON report on stdout (the table goes to stderr)

${EVAL_QUESTIONS_USAGE}`;

export const evalCommand: CommandMain = async (argv) => {
  // The real-questions evaluation and the fusion tuning take their own flags.
  if (argv.some((a) => /^--(questions|tune-fusion)(=|$)/.test(a))) return evalQuestionsCommand(argv);
  const { values, positionals } = parseCommandLine(
    {
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        format: { type: 'string', default: 'codesearchnet' },
        split: { type: 'string', default: 'test' },
        lang: { type: 'string' },
        direction: { type: 'string', default: 'query-to-code' },
        chunk: { type: 'string' },
        seed: { type: 'string' },
        'keep-last': { type: 'boolean', default: false },
        'small-split': { type: 'string', default: 'one-chunk' },
        json: { type: 'boolean', default: false },
        corpus: { type: 'boolean', default: false },
        max: { type: 'string' },
        annotations: { type: 'string' },
        out: { type: 'string' },
      },
    },
    EVAL_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${EVAL_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 2) {
    process.stderr.write(`${EVAL_USAGE}\n`);
    return 2;
  }
  const [modelSpec, dataPath] = positionals as [string, string];
  const direction = values.direction as Direction;
  if (direction !== 'query-to-code' && direction !== 'code-to-query') {
    throw new Error(`--direction must be query-to-code or code-to-query, got '${values.direction}'`);
  }
  const integer = (name: string, text: string | undefined, min: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} must be an integer >= ${min}, got '${text}'`);
    return n;
  };
  const smallSplit = values['small-split'];
  if (smallSplit !== 'one-chunk' && smallSplit !== 'protocol')
    throw new Error(`--small-split must be one-chunk or protocol, got '${smallSplit}'`);
  const max = values.max === undefined ? undefined : integer('max', values.max, 1);

  const model = await resolveModel(modelSpec);
  const run = model.source.startsWith('hashing') ? undefined : runProtocol(model.source);
  const chunkSize = values.chunk !== undefined ? integer('chunk', values.chunk, 2) : (run?.chunkSize ?? 1000);
  const seed = values.seed !== undefined ? integer('seed', values.seed, 0) : (run?.seed ?? 42);
  if (run)
    process.stderr.write(
      `protocol from ${run.file}: chunks of ${run.chunkSize}, seed ${run.seed}, query/code cut to ` +
        `${run.maxQueryLength}/${run.maxCodeLength} tokens (the run's own validation and test)\n`,
    );
  const source = openDataSource({
    format: values.format as DataFormat,
    path: dataPath,
    split: values.split as Split,
    languages: values.lang?.split(',').map((l) => l.trim()),
  });
  const records: CodeRecord[] = [];
  for await (const r of source.records()) records.push(r);
  if (source.stats.skipped > 0) process.stderr.write(`${dataPath}: ${source.stats.format()}\n`);
  const languages = pairsByLanguage(records, max);
  if (languages.length === 0)
    throw new Error(`${dataPath}: no (docstring, code) pairs in split '${values.split}'`);

  let annotations: ReturnType<typeof readAnnotations> | undefined;
  if (values.annotations) {
    annotations = readAnnotations(values.annotations);
    if (annotations.skipped.count > 0) {
      process.stderr.write(
        `skipped ${annotations.skipped.count} annotation rows: ${annotations.skipped.examples.join('; ')}\n`,
      );
    }
  }
  let report: Awaited<ReturnType<typeof evaluateModel>>;
  try {
    report = await evaluateModel(model.embedder, languages, {
      direction,
      chunkSize,
      seed,
      incompleteChunk: values['keep-last'] ? 'keep' : 'drop',
      smallSplit,
      ...(run ? { maxQueryLength: run.maxQueryLength, maxCodeLength: run.maxCodeLength } : {}),
      corpus: values.corpus,
      annotations: annotations?.annotations,
      onProgress: (m) => process.stderr.write(`${m}\n`),
    });
  } finally {
    await model.close();
  }
  const json = `${JSON.stringify({ ...report, model: model.source, data: resolve(dataPath), split: values.split }, null, 2)}\n`;
  const table = formatModelEval(report);
  if (values.out) writeFileSync(resolve(values.out), json);
  const wrote = values.out ? `\nwrote ${resolve(values.out)}` : '';
  if (values.json) {
    process.stderr.write(`${table}${wrote}\n`);
    process.stdout.write(json);
  } else process.stdout.write(`${table}${wrote ? `\n${wrote}` : ''}\n`);
  return 0;
};
