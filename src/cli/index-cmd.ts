// `secora index [dir]`: mine every function of a repository and index it; run again, it reads only the
// files whose [mtime, size] changed and re-embeds only those whose content changed.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FileSkip } from '../data/miner/report.js';
import { CodeIndex } from '../search/code-index.js';
import { checkEmbedText, DEFAULT_EMBED_TEXT } from '../search/embed-text.js';
import { IndexFileError } from '../search/index-file.js';
import { defaultIndexFile } from '../search/index-location.js';
import { type IndexPhase, indexRepository } from '../search/index-repository.js';
import { hashingSpec, resolveModel } from '../search/resolve-model.js';
import { parseCommandLine } from './args.js';
import { type ProgressStep, progressMode, progressStep } from './progress.js';
import type { CommandMain } from './run.js';

export const INDEX_USAGE = `usage: secora index [dir] [options]
  dir                  the folder to index (default: the current folder)
  --model DIR          a model folder, or 'hashing[:DIM]' (the lexical baseline, no model); default: the model
                       that built the existing index, else the best runs/<run>/best by validation MRR
  --out FILE           the index file (default: a file in ~/.cache/secora/indexes named by the folder, where
                       'secora search' run in the folder or below finds it; $SECORA_INDEX_DIR moves the cache)
  --factory STR        a faiss factory string (default: Flat up to 20k functions, HNSW32,Flat beyond)
  --rebuild            ignore an existing index file
  --embed-text T       what the model embeds of each function: code-doc, doc-code, code or whole (see README,
                       "What the model embeds"); default: what the existing index embeds, else \${DEFAULT_EMBED_TEXT};
                       an index that embeds another text is built again
  --max-file-bytes N   skip larger files (default 1000000)
  --verbose, -v        list every skipped file and folder with its reason (default: counts by reason)
  --progress           progress lines even when stderr is not a terminal
  --quiet, -q          no progress and no skip report on stderr
  --json               the summary as JSON on stdout (absolute paths); the human summary goes to stderr`;

const PHASES: Record<IndexPhase, [string, string]> = {
  walk: ['walking', 'files'],
  check: ['checking', 'files'],
  parse: ['parsing', 'files'],
  embed: ['embedding', 'functions'],
  faiss: ['building faiss', 'steps'],
  save: ['saving', 'files'],
};

/** "huge 1, parseError 2": the nonzero counts. */
export function skipCounts(skipped: Record<string, number>): string {
  const parts = Object.entries(skipped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`);
  return parts.join(', ') || 'none';
}

/** An index file's header, or null when it is damaged (indexRepository then builds it again and says why). */
function describeOrNull(file: string): ReturnType<typeof CodeIndex.describe> | null {
  try {
    return CodeIndex.describe(file);
  } catch (error) {
    if (error instanceof IndexFileError) return null;
    throw error;
  }
}

export const indexCommand: CommandMain = async (argv) => {
  const { values, positionals } = parseCommandLine(
    {
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        model: { type: 'string' },
        out: { type: 'string' },
        factory: { type: 'string' },
        rebuild: { type: 'boolean', default: false },
        'embed-text': { type: 'string' },
        'max-file-bytes': { type: 'string' },
        verbose: { type: 'boolean', short: 'v', default: false },
        progress: { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
        json: { type: 'boolean', default: false },
      },
    },
    INDEX_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${INDEX_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) {
    process.stderr.write(`secora index: one folder at a time\n${INDEX_USAGE}\n`);
    return 2;
  }
  const root = resolve(positionals[0] ?? '.');
  if (!existsSync(root)) throw new Error(`secora index: ${root} does not exist`);
  if (!statSync(root).isDirectory())
    throw new Error(`secora index: ${root} is a file, not a folder: give the folder that holds the code`);
  let maxFileBytes: number | undefined;
  if (values['max-file-bytes'] !== undefined) {
    maxFileBytes = Number(values['max-file-bytes']);
    if (!Number.isInteger(maxFileBytes) || maxFileBytes <= 0)
      throw new Error(`--max-file-bytes must be a positive integer, got '${values['max-file-bytes']}'`);
  }
  const out = resolve(values.out ?? defaultIndexFile(root));
  mkdirSync(dirname(out), { recursive: true });
  const say = values.quiet ? () => {} : (line: string) => process.stderr.write(`${line}\n`);

  // Re-indexing without --model keeps the model that built the index.
  // Re-indexing without --embed-text keeps the text the index embeds, when it records one.
  let spec = values.model;
  let why = '';
  let embedText =
    values['embed-text'] === undefined ? undefined : checkEmbedText(values['embed-text'], '--embed-text');
  const info = existsSync(out) ? describeOrNull(out) : null;
  if (info) {
    if (spec === undefined) {
      spec = hashingSpec(info.modelId) ?? info.modelSource;
      if (spec !== undefined) why = ' (the model that built the existing index; --model chooses another)';
    }
    embedText ??= info.embedText;
  }
  embedText ??= DEFAULT_EMBED_TEXT;
  const model = await resolveModel(spec);
  say(`model: ${model.description}${why}`);

  const mode = progressMode(values, process.stderr.isTTY === true);
  let step: { phase: IndexPhase; bar: ProgressStep } | undefined;
  const onProgress = (phase: IndexPhase, done: number, total: number | undefined) => {
    if (step?.phase !== phase) {
      step?.bar.finish();
      const [name, unit] = PHASES[phase];
      step = { phase, bar: progressStep(mode, name, unit) };
    }
    step.bar.update(done, total);
  };
  const skippedList: string[] = [];
  let result: Awaited<ReturnType<typeof indexRepository>>;
  try {
    result = await indexRepository(root, model.embedder, {
      out,
      factory: values.factory,
      rebuild: values.rebuild,
      embedText,
      modelSource: model.source,
      maxFileBytes,
      onProgress,
      onSkip: values.verbose
        ? (reason: FileSkip, path: string) => skippedList.push(`${reason}: ${path}`)
        : undefined,
    });
  } finally {
    step?.bar.finish();
    await model.close();
  }
  const { plan, embedded, mineSeconds, indexSeconds } = result;
  if (values.verbose) for (const line of skippedList) say(`  skipped ${line}`);
  say(`skipped: ${skipCounts(result.skipped)}${values.verbose ? '' : ' (--verbose lists them)'}`);
  if (result.rebuiltBecause)
    process.stderr.write(`${out}: rebuilt the existing index (${result.rebuiltBecause})\n`);
  const rate = embedded > 0 ? ` (${(embedded / indexSeconds).toFixed(0)} functions/s)` : '';
  const verb = result.untouched ? 'unchanged' : result.incremental ? 'updated' : 'built';
  const text =
    `${verb} ${out}: ${result.functions} functions from ${result.files} files ` +
    `(${result.factory}, model ${result.modelId}, embeds ${result.embedText})\n` +
    `files: ${plan.added.length} added, ${plan.changed.length} changed, ${plan.removed.length} removed, ` +
    `${plan.unchanged.length} unchanged; mined in ${mineSeconds.toFixed(1)} s; ${embedded} functions embedded and indexed in ${indexSeconds.toFixed(1)} s${rate}\n`;
  if (values.json) {
    process.stderr.write(text);
    const summary = {
      index: out,
      root,
      status: verb,
      model: model.source,
      modelId: result.modelId,
      factory: result.factory,
      functions: result.functions,
      files: result.files,
      embedText: result.embedText,
      added: plan.added.length,
      changed: plan.changed.length,
      removed: plan.removed.length,
      unchanged: plan.unchanged.length,
      embedded,
      skipped: result.skipped,
      mineSeconds,
      indexSeconds,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else process.stdout.write(text);
  return 0;
};
