// `secora index` as a library call: mine every function of a repository, hash each file, and build the
// index, or update an existing one by re-embedding only the files whose content changed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mineFunctions } from '../data/miner/mine.js';
import type { CodeRecord } from '../data/record.js';
import type { Embedder } from '../model/embedder.js';
import { factoryAfterUpdate } from './choose-factory.js';
import { CodeIndex, type CodeIndexOptions } from './code-index.js';
import { planReindex, type ReindexPlan } from './reindex-plan.js';
import type { Snippet } from './snippet.js';

export interface IndexRepositoryOptions
  extends Pick<CodeIndexOptions, 'factory' | 'batchSize' | 'onProgress'> {
  /** The index file: read first when it exists (incremental), then written. */
  out: string;
  /** Ignore an existing index file and build from scratch. */
  rebuild?: boolean;
  /** Where the embedder's model came from, recorded for `secora search`. */
  modelSource?: string;
}

export interface IndexRepositoryResult {
  index: CodeIndex;
  plan: ReindexPlan;
  /** Functions embedded in this run. */
  embedded: number;
  /** Whether an existing index was updated (false: built from scratch). */
  incremental: boolean;
  /** Seconds spent mining and hashing the files. */
  mineSeconds: number;
  /** Seconds spent embedding and indexing (the rest of the run). */
  indexSeconds: number;
}

/** A mined function as the index holds it: the function as written (docstring included) is embedded. */
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

export async function indexRepository(
  root: string,
  embedder: Embedder,
  options: IndexRepositoryOptions,
): Promise<IndexRepositoryResult> {
  const started = performance.now();
  const byFile = new Map<string, Snippet[]>();
  // The repo layout keeps every path relative to root, which is where the content hashes read from.
  for await (const record of mineFunctions({ dir: root, layout: 'repo' }, { documentedOnly: false })) {
    const list = byFile.get(record.path) ?? [];
    list.push(snippetOf(record));
    byFile.set(record.path, list);
  }
  const hashes = new Map([...byFile.keys()].map((path) => [path, contentHash(join(root, path))]));
  const mined = performance.now();
  const mineSeconds = (mined - started) / 1000;
  const seconds = () => ({ mineSeconds, indexSeconds: (performance.now() - mined) / 1000 });

  if (!options.rebuild && existsSync(options.out)) {
    const index = CodeIndex.load(options.out, embedder);
    const plan = planReindex(index.fileHashes(), hashes);
    for (const path of [...plan.changed, ...plan.removed]) index.removePath(path);
    const fresh = [...plan.changed, ...plan.added];
    const snippets = fresh.flatMap((path) => byFile.get(path)!);
    await index.add(snippets, options);
    for (const path of fresh) index.setFileHash(path, hashes.get(path)!);
    const kind = factoryAfterUpdate(index.factory, index.size, options.factory);
    if (kind !== index.factory) index.rebuildAs(kind);
    index.save(options.out);
    return { index, plan, embedded: snippets.length, incremental: true, ...seconds() };
  }

  const snippets = [...byFile.values()].flat();
  const index = await CodeIndex.build(embedder, snippets, {
    factory: options.factory,
    batchSize: options.batchSize,
    onProgress: options.onProgress,
    modelSource: options.modelSource,
  });
  for (const [path, hash] of hashes) index.setFileHash(path, hash);
  index.save(options.out);
  const plan = planReindex(new Map(), hashes);
  return { index, plan, embedded: snippets.length, incremental: false, ...seconds() };
}
