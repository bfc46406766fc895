// `secora corpus <dir…> --out <dir>`: mine source trees into a CodeSearchNet-layout corpus and print the
// per-language/split table and the skip counts. `secora corpus --default` builds (or finds) the embedded
// default corpus.

import { resolve } from 'node:path';
import {
  defaultCorpus,
  formatReport,
  isMinedLanguage,
  MINED_LANGUAGES,
  type MinedLanguage,
  mineCorpus,
  type RootLayout,
} from '../data/miner/index.js';
import { parseCommandLine } from './args.js';
import type { CommandMain } from './run.js';

export const CORPUS_USAGE = `usage: secora corpus <dir…> --out <dir> [options]
       secora corpus --default [--json]

  --out <dir>            output folder (must not exist or be empty)
  --all-functions        every named function, documented or not, nothing filtered (for a search index)
  --langs <a,b>          languages to mine (${MINED_LANGUAGES.join(', ')}; default all)
  --max-file-bytes <n>   skip larger files (default 1000000)
  --layout <l>           repo (each dir is one repository), packages (each subfolder is one, as node_modules),
                         modules (split by top-level module); default: packages for node_modules, else repo
  --shard-size <n>       lines per .jsonl.gz file (default 30000)
  --json                 the report as JSON on stdout (the table goes to stderr)
  --default              build or find the embedded default corpus: its folder alone on stdout, the report
                         on stderr (C=$(secora corpus --default) works)`;

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got '${value}'`);
  return n;
}

export const corpus: CommandMain = async (argv) => {
  const { values, positionals } = parseCommandLine(
    {
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        'all-functions': { type: 'boolean' },
        langs: { type: 'string' },
        'max-file-bytes': { type: 'string' },
        layout: { type: 'string' },
        'shard-size': { type: 'string' },
        default: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    CORPUS_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${CORPUS_USAGE}\n`);
    return 0;
  }
  if (values.default) {
    const result = await defaultCorpus({ log: (line) => process.stderr.write(`${line}\n`) });
    process.stderr.write(`${formatReport(result.report, !result.built)}\n`);
    process.stdout.write(
      values.json
        ? `${JSON.stringify({ dir: result.dir, cached: !result.built, report: result.report }, null, 2)}\n`
        : `${result.dir}\n`,
    );
    return 0;
  }
  if (positionals.length === 0 || !values.out) {
    process.stderr.write(`secora corpus: give the folders to mine and --out\n${CORPUS_USAGE}\n`);
    return 2;
  }
  let languages: MinedLanguage[] | undefined;
  if (values.langs) {
    const names = values.langs.split(',').map((l) => l.trim());
    const unknown = names.filter((l) => !isMinedLanguage(l));
    if (unknown.length)
      throw new Error(`--langs: unknown ${unknown.join(', ')} (known: ${MINED_LANGUAGES.join(', ')})`);
    languages = names.filter(isMinedLanguage);
  }
  const layout = values.layout as RootLayout | undefined;
  if (layout && !['repo', 'packages', 'modules'].includes(layout))
    throw new Error(`--layout must be repo, packages or modules, got '${layout}'`);
  const report = await mineCorpus(
    positionals.map((dir) => ({ dir, layout })),
    {
      out: values.out,
      documentedOnly: !values['all-functions'],
      languages,
      maxFileBytes: positiveInt(values['max-file-bytes'], '--max-file-bytes'),
      shardSize: positiveInt(values['shard-size'], '--shard-size'),
    },
  );
  if (values.json) {
    process.stderr.write(`${formatReport(report)}\n`);
    process.stdout.write(`${JSON.stringify({ dir: resolve(values.out), report }, null, 2)}\n`);
  } else process.stdout.write(`${formatReport(report)}\nwritten to ${values.out}\n`);
  return 0;
};
