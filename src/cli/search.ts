// `secora search "query"`: the best functions for a question, as path:line, score, name and a snippet. It
// finds the index of the current folder (or the nearest folder above with one), asks a running
// `secora serve` of that index when there is one, and otherwise loads only what the mode needs (no model for
// --mode bm25).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CodeIndex } from '../search/code-index.js';
import { type CollapsedHit, collapseHits } from '../search/collapse-hits.js';
import { DEFAULT_FUSION, DEFAULT_SEARCH_MODE, formatFusion } from '../search/fusion.js';
import { findIndexFor } from '../search/index-location.js';
import { hashingSpec, isHashingSpec, resolveModel } from '../search/resolve-model.js';
import { preview, type SearchHit } from '../search/snippet.js';
import { parseCommandLine } from './args.js';
import type { CommandMain } from './run.js';
import { searchViaServer, serverUrl } from './search-server.js';

export const SEARCH_USAGE = `usage: secora search "query" [options]
  --index FILE          the index file (default: the index of this folder or the nearest folder above it
                        that 'secora index' indexed)
  -k N                  hits to show (default 10)
  --mode M              bm25 (words alone, no model loaded) | dense (the model alone) | hybrid (both); default
                        ${DEFAULT_SEARCH_MODE}: the best on the real questions (bench/RESULTS.md, "Quality")
  --hybrid              the same as --mode hybrid
  --fusion F            how hybrid fuses the rankings: weighted (min-max scaled scores, ${formatFusion(DEFAULT_FUSION)}
                        by default, tuned on validation data) | rrf (reciprocal rank, k 60)
  --lang L              only functions of this language (python, javascript, …)
  --path GLOB           only files matching the glob (src/**, *.py; without a slash it matches file names)
  --context N           show the whole function and N lines around it, from the file on disk
  --all                 do not fold copies of the same code into one hit
  --model DIR           the model to embed the query (default: the one that built the index); without
                        --mode it implies --mode hybrid
  --server URL          ask this 'secora serve' first (default $SECORA_SERVER or http://127.0.0.1:7700;
                        it is used only when it serves the same index file)
  --no-server           never ask a server
  --json                the hits as JSON: absolute paths and the full code`;

/** The lines of a file around a hit (undefined when the file is gone or shorter than the hit says). */
export function contextLines(
  file: string,
  hit: Pick<SearchHit, 'startLine' | 'endLine'>,
  around: number,
): { from: number; lines: string[] } | undefined {
  if (!existsSync(file)) return undefined;
  const all = readFileSync(file, 'utf8').split('\n');
  if (hit.endLine > all.length) return undefined;
  const from = Math.max(1, hit.startLine - around);
  return { from, lines: all.slice(from - 1, Math.min(all.length, hit.endLine + around)) };
}

export function formatHits(hits: readonly CollapsedHit[], root?: string, context?: number): string {
  if (hits.length === 0) return 'no results';
  return hits
    .map((h) => {
      const head = `${h.path}:${h.startLine}  ${h.score.toFixed(4)}  ${h.name}`;
      const also = h.alsoAt.length
        ? [`    (the same code also at ${h.alsoAt.map((a) => `${a.path}:${a.startLine}`).join(', ')})`]
        : [];
      let body = preview(h.code).map((l) => `    ${l}`);
      const around = context !== undefined && root ? contextLines(join(root, h.path), h, context) : undefined;
      if (context !== undefined)
        body = around
          ? around.lines.map((l, i) => `${String(around.from + i).padStart(6)}  ${l}`)
          : h.code.split('\n').map((l) => `    ${l}`);
      return [head, ...also, ...body].join('\n');
    })
    .join('\n\n');
}

/** secora serve's default largest k. */
const SERVER_MAX_K = 100;

function integer(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, got '${text}'`);
  return n;
}

/** `-k -1` reads as two flags: joined as `--k=-1`, the count check can name the value. */
function negativeK(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if ((argv[i] === '-k' || argv[i] === '--k') && next !== undefined && /^-\d/.test(next)) {
      out.push(`--k=${next}`);
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}

export const searchCommand: CommandMain = async (argv) => {
  const { values, positionals } = parseCommandLine(
    {
      args: negativeK(argv),
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        index: { type: 'string' },
        k: { type: 'string', short: 'k', default: '10' },
        lang: { type: 'string' },
        mode: { type: 'string' },
        hybrid: { type: 'boolean', default: false },
        fusion: { type: 'string', default: DEFAULT_FUSION.method },
        path: { type: 'string' },
        context: { type: 'string' },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        model: { type: 'string' },
        server: { type: 'string' },
        'no-server': { type: 'boolean', default: false },
      },
    },
    SEARCH_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${SEARCH_USAGE}\n`);
    return 0;
  }
  const query = positionals.join(' ').trim();
  const k = Number(values.k);
  const wrong =
    query === ''
      ? 'the query is empty: say what to find, e.g. secora search "read a file and return its lines"'
      : !/^\s*\d+\s*$/.test(values.k) || !Number.isSafeInteger(k) || k < 1
        ? `-k must be a whole number >= 1 (how many hits to show), got '${values.k}'`
        : null;
  if (wrong) {
    process.stderr.write(`secora search: ${wrong}\n${SEARCH_USAGE}\n`);
    return 2;
  }
  const fusion = values.fusion;
  if (fusion !== 'rrf' && fusion !== 'weighted')
    throw new Error(`--fusion must be rrf or weighted, got '${fusion}'`);
  // A model named without a mode means the user wants it used: hybrid, not the words-only default.
  const mode = values.mode ?? (values.hybrid || values.model !== undefined ? 'hybrid' : DEFAULT_SEARCH_MODE);
  if (mode !== 'dense' && mode !== 'bm25' && mode !== 'hybrid')
    throw new Error(`--mode must be dense, bm25 or hybrid, got '${mode}'`);
  const context = values.context === undefined ? undefined : integer('--context', values.context, 0);

  const file = values.index ? resolve(values.index) : findIndexFor(process.cwd());
  if (file === undefined)
    throw new Error(
      `no index for ${process.cwd()} or a folder above it: make one with 'secora index <folder>', or pass --index FILE`,
    );
  if (!existsSync(file)) throw new Error(`index file not found: ${file} (make one with: secora index <dir>)`);
  // Copies of one function are folded: ask for more hits than shown.
  const want = values.all ? k : k * 4;
  let root = dirname(file);

  let hits: SearchHit[] | undefined;
  // A server fuses by the default fusion.
  if (!values['no-server'] && values.model === undefined && fusion === DEFAULT_FUSION.method) {
    hits = await searchViaServer(serverUrl(values.server), file, {
      query,
      k: Math.min(want, SERVER_MAX_K),
      mode,
      ...(values.lang !== undefined ? { lang: values.lang } : {}),
      ...(values.path !== undefined ? { path: values.path } : {}),
    });
  }
  if (hits) root = CodeIndex.describe(file).root ?? root;
  else {
    const options = {
      k: want,
      language: values.lang,
      path: values.path,
      mode,
      hybrid: mode === 'hybrid' && fusion,
    } as const;
    // The file is read once; the model is loaded only for a dense or hybrid search.
    const index = CodeIndex.load(file, null);
    root = index.root ?? root;
    const languages = index.languages();
    if (values.lang !== undefined && !languages.includes(values.lang))
      throw new Error(
        `--lang ${values.lang}: ${file} holds no such language; it holds ${languages.join(', ')}`,
      );
    const spec = values.model ?? hashingSpec(index.modelId) ?? index.modelSource;
    // The default mode needs the index's model; when that is gone, words alone still answer (said on stderr).
    const asked = values.mode !== undefined || values.hybrid || values.model !== undefined;
    const modelGone = spec === undefined || (!isHashingSpec(spec) && !existsSync(spec));
    if (mode !== 'bm25' && !asked && modelGone) {
      process.stderr.write(
        `secora search: the index's model (${spec ?? index.modelId}) is not there, so BM25 alone ranks; pass --model <model folder> for ${mode}\n`,
      );
      hits = await index.search(query, { ...options, mode: 'bm25', hybrid: false });
    } else if (mode === 'bm25') hits = await index.search(query, options);
    else {
      if (spec === undefined)
        throw new Error(
          `${file} does not say where its model '${index.modelId}' is: pass --model <model folder>`,
        );
      const model = await resolveModel(spec);
      try {
        hits = await index.attach(model.embedder, file).search(query, options);
      } finally {
        await model.close();
      }
    }
  }
  const shown = values.all ? hits.slice(0, k).map((h) => ({ ...h, alsoAt: [] })) : collapseHits(hits, k);
  if (values.json) {
    const rows = shown.map(({ id: _id, alsoAt, ...hit }) => ({
      ...hit,
      path: join(root, hit.path),
      relativePath: hit.path,
      alsoAt: alsoAt.map((a) => ({ ...a, path: join(root, a.path) })),
      ...(context !== undefined ? { context: contextLines(join(root, hit.path), hit, context) ?? null } : {}),
    }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    // Paths relative to the indexed folder (the JSON gives absolute ones).
    process.stdout.write(`${formatHits(shown, root, context)}\n`);
  }
  return 0;
};
