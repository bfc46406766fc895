// The functions of a question corpus: mined once with the project's miner as `secora index` mines a
// repository (every named function, documented or not; the corpus's excludes leave out tests), into a
// JSON-lines cache keyed by the miner's version, the corpus's definition and its Debian package's version.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MINER_VERSION, mineFunctions } from '../../data/miner/mine.js';
import { emptyReport, formatReport } from '../../data/miner/report.js';
import { recordTexts } from '../../search/embed-text.js';
import { debianVersion, missingSourcesHint, type QuestionCorpus } from './corpora.js';

/** One mined function, as the index holds it. */
export interface CorpusFunction {
  /** Path relative to the corpus root, with / separators. */
  path: string;
  /** Qualified name, e.g. "DictReader.__next__" or "Client.Do". */
  name: string;
  startLine: number;
  endLine: number;
  /** The function as written, doc comment included: what `secora index` shows and BM25 scores. */
  code: string;
  /** The code without its doc comment or docstring, when the miner cut one (as training pairs hold code). */
  bare?: string;
  /** The docstring's first paragraph, when there is one (what training pairs use as the query). */
  doc?: string;
}

export interface LoadedCorpus {
  corpus: QuestionCorpus;
  /** Changes when the mined functions can change: the embeddings cache is keyed by it. */
  key: string;
  functions: CorpusFunction[];
}

export function corpusKey(corpus: QuestionCorpus): string {
  const version = corpus.debianPackage ? debianVersion(corpus.debianPackage) : 'none';
  return createHash('sha256')
    .update(
      JSON.stringify({
        miner: MINER_VERSION,
        functions: 'all',
        fields: 3, // 2: with `bare`; 3: and `doc`
        name: corpus.name,
        language: corpus.language,
        dir: corpus.dir,
        exclude: corpus.exclude,
        layout: corpus.layout,
        pkg: [corpus.debianPackage ?? null, version],
        zip: corpus.zip ?? null,
      }),
    )
    .digest('hex')
    .slice(0, 16);
}

/** Unpacks the zip's chosen top-level folders into corpus.dir (through a temporary folder). */
function unpack(corpus: QuestionCorpus): void {
  if (!corpus.zip || existsSync(corpus.dir)) return;
  const partial = `${corpus.dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const patterns = corpus.zip.members.map((m) => `${m}/*`);
  execFileSync('unzip', ['-q', '-o', corpus.zip.file, ...patterns, '-d', partial], { stdio: 'inherit' });
  renameSync(partial, corpus.dir);
}

/** Mines (or reads from the cache) the functions of one corpus. */
export async function loadCorpus(
  corpus: QuestionCorpus,
  cacheDir: string,
  log: (line: string) => void = () => {},
): Promise<LoadedCorpus> {
  const key = corpusKey(corpus);
  const file = join(cacheDir, `${corpus.name}-${key}.jsonl`);
  if (existsSync(file)) {
    const functions = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as CorpusFunction);
    return { corpus, key, functions };
  }
  const missing = missingSourcesHint(corpus);
  if (missing) throw new Error(missing);
  mkdirSync(cacheDir, { recursive: true });
  unpack(corpus);
  log(`mining ${corpus.name} from ${corpus.dir} (once; cached in ${file})`);
  const report = emptyReport(MINER_VERSION);
  const functions: CorpusFunction[] = [];
  const root = { dir: corpus.dir, name: corpus.name, layout: corpus.layout, exclude: corpus.exclude };
  for await (const r of mineFunctions(root, {
    documentedOnly: false,
    languages: [corpus.language],
    report,
  })) {
    functions.push({
      path: r.path,
      name: r.funcName,
      startLine: r.startLine ?? 0,
      endLine: r.endLine ?? 0,
      ...recordTexts(r),
    });
  }
  if (functions.length === 0)
    throw new Error(`corpus '${corpus.name}': no functions mined from ${corpus.dir}`);
  log(formatReport(report));
  const partial = `${file}.partial-${process.pid}`;
  writeFileSync(partial, functions.map((f) => `${JSON.stringify(f)}\n`).join(''));
  renameSync(partial, file);
  return { corpus, key, functions };
}
