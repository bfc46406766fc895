// `secora index <dir> [--model DIR|hashing] [--out FILE] [--factory STR] [--rebuild]`: mine every function
// of a repository and index it; run again, it re-embeds only the files whose content changed.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { indexRepository } from '../search/index-repository.js';
import { resolveModel } from '../search/resolve-model.js';
import type { CommandMain } from './run.js';

export const INDEX_USAGE = `usage: secora index <dir> [--model DIR|hashing[:DIM]] [--out FILE] [--factory STR] [--rebuild]
  --model    a model folder (default: runs/<newest>/best); 'hashing' is the lexical baseline, no model
  --out      the index file (default: <dir>/.secora-index)
  --factory  a faiss factory string (default: Flat up to 20k functions, HNSW32,Flat beyond)
  --rebuild  ignore an existing index file`;

export const indexCommand: CommandMain = async (argv) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      model: { type: 'string' },
      out: { type: 'string' },
      factory: { type: 'string' },
      rebuild: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${INDEX_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`${INDEX_USAGE}\n`);
    return 2;
  }
  const root = resolve(positionals[0]!);
  const out = resolve(values.out ?? `${root}/.secora-index`);
  const model = await resolveModel(values.model);
  const tty = process.stderr.isTTY && !values.quiet;
  const progress = tty
    ? (done: number, total: number) => process.stderr.write(`\rembedding ${done}/${total}`)
    : undefined;
  let result: Awaited<ReturnType<typeof indexRepository>>;
  try {
    result = await indexRepository(root, model.embedder, {
      out,
      factory: values.factory,
      rebuild: values.rebuild,
      modelSource: model.source,
      onProgress: progress,
    });
  } finally {
    await model.close();
  }
  if (tty) process.stderr.write('\n');
  const { plan, index, embedded, mineSeconds, indexSeconds } = result;
  const rate = embedded > 0 ? ` (${(embedded / indexSeconds).toFixed(0)} functions/s)` : '';
  process.stdout.write(
    `${result.incremental ? 'updated' : 'built'} ${out}: ${index.size} functions from ${index.fileHashes().size} files ` +
      `(${index.factory}, model ${index.modelId})\n` +
      `files: ${plan.added.length} added, ${plan.changed.length} changed, ${plan.removed.length} removed, ` +
      `${plan.unchanged.length} unchanged; mined in ${mineSeconds.toFixed(1)} s; ${embedded} functions embedded and indexed in ${indexSeconds.toFixed(1)} s${rate}\n`,
  );
  return 0;
};
