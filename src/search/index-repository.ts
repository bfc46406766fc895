// `secora index` as a library call: walk a repository, find the files that changed since the last run (by
// [mtime, size], then by content hash, before anything is parsed), mine the functions of those files only,
// and build the index or update the existing one. When nothing changed, the index file is left untouched.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { languageOfFile } from '../data/miner/languages.js';
import { MINER_VERSION, mineFunctions } from '../data/miner/mine.js';
import { emptyReport, type FileSkip } from '../data/miner/report.js';
import { type SourceFile, walkRoot } from '../data/miner/walk.js';
import type { CodeRecord } from '../data/record.js';
import type { Embedder } from '../model/embedder.js';
import { factoryAfterUpdate } from './choose-factory.js';
import { CodeIndex, type CodeIndexOptions, type FileStamp, ModelMismatchError } from './code-index.js';
import {
  DEFAULT_EMBED_TEXT,
  type EmbedText,
  LEGACY_EMBED_TEXT,
  recordTexts,
  textToEmbed,
} from './embed-text.js';
import { checkIndexFile, IndexFileError } from './index-file.js';
import { planReindex, type ReindexPlan } from './reindex-plan.js';
import type { Snippet } from './snippet.js';

/** The steps of an indexing run, in order, as progress reports them. */
export type IndexPhase = 'walk' | 'check' | 'parse' | 'embed' | 'faiss' | 'save';

export interface IndexRepositoryOptions extends Pick<CodeIndexOptions, 'factory' | 'batchSize'> {
  /** The index file: read first when it exists (incremental), then written. */
  out: string;
  /** Ignore an existing index file and build from scratch. */
  rebuild?: boolean;
  /** Where the embedder's model came from, recorded for `secora search`. */
  modelSource?: string;
  /**
   * What the model embeds of each function (default DEFAULT_EMBED_TEXT). An existing index whose vectors
   * embed another text is built again.
   */
  embedText?: EmbedText;
  /** Files larger than this are skipped as huge (default 1 MB). */
  maxFileBytes?: number;
  /** Told of every file or folder skipped, with the reason. */
  onSkip?: (reason: FileSkip, path: string) => void;
  /** Progress of each step: `done` of `total` (undefined while walking). */
  onProgress?: (phase: IndexPhase, done: number, total: number | undefined) => void;
}

export interface IndexRepositoryResult {
  /** The index, or undefined when nothing changed (the file was not read beyond its header). */
  index: CodeIndex | undefined;
  plan: ReindexPlan;
  /** Functions and files in the index, its faiss kind and model. */
  functions: number;
  files: number;
  factory: string;
  modelId: string;
  /** What the model embeds of each function. */
  embedText: string;
  /** Functions embedded in this run. */
  embedded: number;
  /** Whether an existing index was updated (false: built from scratch). */
  incremental: boolean;
  /** Whether the index file was left as it was (nothing changed). */
  untouched: boolean;
  /** Why an existing index file was not updated but built again (it failed its checks, or embeds another text). */
  rebuiltBecause?: string;
  /** Files and folders skipped, by reason (only among the files that were parsed). */
  skipped: Record<FileSkip, number>;
  /** Seconds spent walking, checking and mining the files. */
  mineSeconds: number;
  /** Seconds spent embedding and indexing (the rest of the run). */
  indexSeconds: number;
}

/** A mined function as the index holds it: the function as written (docstring included) is shown and scored. */
export function snippetOf(record: CodeRecord): Snippet {
  return {
    path: record.path,
    startLine: record.startLine ?? 1,
    endLine: record.endLine ?? record.startLine ?? 1,
    name: record.funcName,
    language: record.language,
    code: record.originalString ?? record.code,
  };
}

/** sha256 of a file's bytes, hex. */
export function contentHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function stampOf(file: string): FileStamp {
  const st = statSync(file);
  return [st.mtimeMs, st.size];
}

/** What the last run recorded: content hashes and stamps per file, and the model and kind. */
interface Recorded {
  hashes: ReadonlyMap<string, string>;
  stamps: ReadonlyMap<string, FileStamp>;
  modelId: string;
  dim: number;
  factory: string;
  functions: number;
  embedText: string;
}

function recorded(file: string): Recorded {
  const header = CodeIndex.describe(file);
  return {
    hashes: new Map(Object.entries(header.fileHashes)),
    stamps: new Map(Object.entries(header.fileStamps ?? {})),
    modelId: header.modelId,
    dim: header.dim,
    factory: header.factory,
    functions: header.snippets,
    embedText: header.embedText ?? LEGACY_EMBED_TEXT,
  };
}

export async function indexRepository(
  rootDir: string,
  embedder: Embedder,
  options: IndexRepositoryOptions,
): Promise<IndexRepositoryResult> {
  const root = resolve(rootDir);
  const started = performance.now();
  const progress = options.onProgress ?? (() => {});
  const report = emptyReport(MINER_VERSION);
  const skip = (reason: FileSkip, path: string) => {
    report.skipped[reason]++;
    options.onSkip?.(reason, path);
  };

  const files: SourceFile[] = [];
  for await (const file of walkRoot({ dir: root, layout: 'repo' }, skip)) {
    if (languageOfFile(file.path)) files.push(file);
    if (files.length % 500 === 0) progress('walk', files.length, undefined);
  }
  progress('walk', files.length, undefined);

  // Every section is checked, even when nothing changed: a damaged file is built again, never kept.
  let before: Recorded | undefined;
  let rebuiltBecause: string | undefined;
  if (!options.rebuild && existsSync(options.out)) {
    try {
      checkIndexFile(options.out);
      before = recorded(options.out);
    } catch (error) {
      if (!(error instanceof IndexFileError)) throw error;
      rebuiltBecause = error.why;
    }
  }
  if (before && (before.modelId !== embedder.modelId || before.dim !== embedder.dim))
    throw new ModelMismatchError(options.out, before, embedder);
  const embedText = options.embedText ?? DEFAULT_EMBED_TEXT;
  if (before && before.embedText !== embedText) {
    rebuiltBecause = `its vectors embed '${before.embedText}' of each function, this run embeds '${embedText}'`;
    before = undefined;
  }

  // A file whose [mtime, size] is as recorded is unchanged without reading it; else its content hash decides.
  const hashes = new Map<string, string>();
  const stamps = new Map<string, FileStamp>();
  const toParse: SourceFile[] = [];
  files.forEach((file, i) => {
    const stamp = stampOf(file.abs);
    stamps.set(file.path, stamp);
    const old = before?.hashes.get(file.path);
    const oldStamp = before?.stamps.get(file.path);
    if (old !== undefined && oldStamp?.[0] === stamp[0] && oldStamp[1] === stamp[1])
      hashes.set(file.path, old);
    else {
      const hash = contentHash(file.abs);
      hashes.set(file.path, hash);
      if (hash !== old) toParse.push(file);
    }
    if (i % 500 === 0) progress('check', i, files.length);
  });
  progress('check', files.length, files.length);

  const byFile = new Map<string, Snippet[]>(toParse.map((f) => [f.path, []]));
  const textsByFile = new Map<string, string[]>(toParse.map((f) => [f.path, []]));
  // Files the miner would not read (huge, binary, minified…) get no hash: a later run looks at them again.
  const unread = new Set<string>();
  const onMineSkip = (reason: FileSkip, path: string) => {
    if (reason !== 'parseError') unread.add(path);
    options.onSkip?.(reason, path);
  };
  let parsed = 0;
  const records = mineFunctions(
    { dir: root, layout: 'repo' },
    {
      documentedOnly: false,
      files: toParse,
      report,
      maxFileBytes: options.maxFileBytes,
      onSkip: onMineSkip,
      onFile: () => progress('parse', parsed++, toParse.length),
    },
  );
  for await (const record of records) {
    byFile.get(record.path)!.push(snippetOf(record));
    textsByFile.get(record.path)!.push(textToEmbed(recordTexts(record), embedText));
  }
  progress('parse', toParse.length, toParse.length);
  for (const file of toParse) if (unread.has(file.abs)) hashes.delete(file.path);
  const mined = performance.now();
  const mineSeconds = (mined - started) / 1000;
  const seconds = () => ({ mineSeconds, indexSeconds: (performance.now() - mined) / 1000 });
  const embedProgress = (done: number, total: number) => {
    progress('embed', done, total);
    if (done === total) progress('faiss', 0, undefined);
  };

  if (before) {
    const plan = planReindex(before.hashes, hashes);
    const kind = factoryAfterUpdate(before.factory, before.functions, options.factory);
    const nothing = plan.added.length + plan.changed.length + plan.removed.length === 0;
    if (nothing && kind === before.factory) {
      return {
        index: undefined,
        plan,
        functions: before.functions,
        files: before.hashes.size,
        factory: before.factory,
        modelId: before.modelId,
        embedText: before.embedText,
        embedded: 0,
        incremental: true,
        untouched: true,
        skipped: report.skipped,
        ...seconds(),
      };
    }
    const index = CodeIndex.load(options.out, embedder);
    for (const path of [...plan.changed, ...plan.removed]) index.removePath(path);
    const fresh = [...plan.changed, ...plan.added];
    const snippets = fresh.flatMap((path) => byFile.get(path) ?? []);
    const texts = fresh.flatMap((path) => textsByFile.get(path) ?? []);
    await index.add(snippets, { batchSize: options.batchSize, onProgress: embedProgress, texts });
    // Unchanged files get their new stamps too, so that a touched file is not read again next time.
    for (const [path, hash] of hashes) index.setFileHash(path, hash, stamps.get(path));
    const after = factoryAfterUpdate(index.factory, index.size, options.factory);
    if (after !== index.factory) {
      progress('faiss', 0, undefined);
      index.rebuildAs(after);
    }
    index.root = root;
    progress('save', 0, undefined);
    index.save(options.out);
    return {
      index,
      plan,
      ...summary(index),
      embedded: snippets.length,
      incremental: true,
      untouched: false,
      skipped: report.skipped,
      ...seconds(),
    };
  }

  const snippets = [...byFile.values()].flat();
  const index = await CodeIndex.build(embedder, snippets, {
    texts: [...textsByFile.values()].flat(),
    embedText,
    factory: options.factory,
    batchSize: options.batchSize,
    onProgress: embedProgress,
    modelSource: options.modelSource,
  });
  for (const [path, hash] of hashes) index.setFileHash(path, hash, stamps.get(path));
  index.root = root;
  progress('save', 0, undefined);
  index.save(options.out);
  const plan = planReindex(new Map(), hashes);
  return {
    index,
    plan,
    ...summary(index),
    embedded: snippets.length,
    incremental: false,
    untouched: false,
    ...(rebuiltBecause ? { rebuiltBecause } : {}),
    skipped: report.skipped,
    ...seconds(),
  };
}

function summary(index: CodeIndex) {
  return {
    functions: index.size,
    files: index.fileHashes().size,
    factory: index.factory,
    modelId: index.modelId,
    embedText: index.embedText,
  };
}
