// `secora eval <model dir> <data>`: the CodeSearchNet MRR per language with BM25 beside it, optionally
// whole-corpus retrieval and the graded annotations; a table on the terminal and a JSON file.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DATA_FORMATS, type DataFormat, openDataSource } from '../data/data-source.js';
import type { CodeRecord, Split } from '../data/record.js';
import { readAnnotations } from '../eval/annotations.js';
import { type Direction, evaluateModel, pairsByLanguage } from '../eval/evaluate-model.js';
import { formatModelEval } from '../eval/format-eval.js';
import { resolveModel } from '../search/resolve-model.js';
import type { CommandMain } from './run.js';

export const EVAL_USAGE = `usage: secora eval <model dir|hashing> <data> [options]
  --format F         ${DATA_FORMATS.join(' | ')} (default codesearchnet)
  --split S          train | valid | test (default test)
  --lang L1,L2       only these languages
  --direction D      query-to-code (default) | code-to-query
  --chunk N          candidates per chunk (default 1000); --seed N (default 0)
  --keep-last        keep the incomplete last chunk (CodeSearchNet drops it; so does the default)
  --corpus           also rank each query against the whole language corpus (MRR, Recall@1/5/10)
  --max N            at most N pairs per language
  --annotations CSV  CodeSearchNet's annotationStore.csv: graded retrieval with NDCG@10
  --out FILE         the JSON report (default: <model dir>/eval-<split>.json, or ./eval-<split>.json)`;

export const evalCommand: CommandMain = async (argv) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      format: { type: 'string', default: 'codesearchnet' },
      split: { type: 'string', default: 'test' },
      lang: { type: 'string' },
      direction: { type: 'string', default: 'query-to-code' },
      chunk: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '0' },
      'keep-last': { type: 'boolean', default: false },
      corpus: { type: 'boolean', default: false },
      max: { type: 'string' },
      annotations: { type: 'string' },
      out: { type: 'string' },
    },
  });
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
  const chunkSize = integer('chunk', values.chunk, 2);
  const seed = integer('seed', values.seed, 0);
  const max = values.max === undefined ? undefined : integer('max', values.max, 1);

  const model = await resolveModel(modelSpec);
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
      corpus: values.corpus,
      annotations: annotations?.annotations,
      onProgress: (m) => process.stderr.write(`${m}\n`),
    });
  } finally {
    await model.close();
  }
  const out = resolve(
    values.out ?? join(model.source.startsWith('hashing') ? '.' : model.source, `eval-${values.split}.json`),
  );
  writeFileSync(
    out,
    `${JSON.stringify({ ...report, model: model.source, data: resolve(dataPath), split: values.split }, null, 2)}\n`,
  );
  process.stdout.write(`${formatModelEval(report)}\n\nwrote ${out}\n`);
  return 0;
};
