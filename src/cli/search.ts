// `secora search "query" [--index FILE] [-k 10] [--lang L] [--hybrid] [--json]`: the best functions for a
// question, as path:line, score, name and a short snippet.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CodeIndex } from '../search/code-index.js';
import { hashingSpec, resolveModel } from '../search/resolve-model.js';
import { preview, type SearchHit } from '../search/snippet.js';
import type { CommandMain } from './run.js';

export const SEARCH_USAGE = `usage: secora search "query" [--index FILE] [-k 10] [--lang L] [--hybrid [--fusion rrf|weighted]] [--json]
  --index   the index file (default: ./.secora-index)
  --hybrid  fuse the model's ranking with BM25: reciprocal-rank fusion (default) or --fusion weighted
  --model   the model to embed the query (default: the one that built the index)`;

export function formatHits(hits: readonly SearchHit[]): string {
  if (hits.length === 0) return 'no results';
  return hits
    .map((h) => {
      const head = `${h.path}:${h.startLine}  ${h.score.toFixed(4)}  ${h.name}`;
      return [head, ...preview(h.code).map((l) => `    ${l}`)].join('\n');
    })
    .join('\n\n');
}

export const searchCommand: CommandMain = async (argv) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      index: { type: 'string' },
      k: { type: 'string', short: 'k', default: '10' },
      lang: { type: 'string' },
      hybrid: { type: 'boolean', default: false },
      fusion: { type: 'string', default: 'rrf' },
      json: { type: 'boolean', default: false },
      model: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${SEARCH_USAGE}\n`);
    return 0;
  }
  const query = positionals.join(' ').trim();
  const k = Number(values.k);
  if (query === '' || !Number.isInteger(k) || k < 1) {
    process.stderr.write(`${SEARCH_USAGE}\n`);
    return 2;
  }
  const fusion = values.fusion;
  if (fusion !== 'rrf' && fusion !== 'weighted')
    throw new Error(`--fusion must be rrf or weighted, got '${fusion}'`);
  const file = resolve(values.index ?? '.secora-index');
  if (!existsSync(file)) throw new Error(`index file not found: ${file} (make one with: secora index <dir>)`);
  const info = CodeIndex.describe(file);
  const spec = values.model ?? hashingSpec(info.modelId) ?? info.modelSource;
  if (spec === undefined) {
    throw new Error(`${file} does not say where its model '${info.modelId}' is: pass --model <model folder>`);
  }
  const model = await resolveModel(spec);
  let hits: SearchHit[];
  try {
    const index = CodeIndex.load(file, model.embedder);
    hits = await index.search(query, { k, language: values.lang, hybrid: values.hybrid ? fusion : false });
  } finally {
    await model.close();
  }
  if (values.json) {
    const rows = hits.map(({ code, ...rest }) => ({ ...rest, snippet: preview(code).join('\n') }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatHits(hits)}\n`);
  }
  return 0;
};
