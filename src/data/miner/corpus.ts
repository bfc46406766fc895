// mineCorpus: many roots mined into one folder in CodeSearchNet's layout, with a manifest.json of counts.
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CodeRecord } from '../record.js';
import { MINER_VERSION, type MineOptions, mineFunctions } from './mine.js';
import type { ChunkResult, ChunkTask } from './mine-worker.js';
import {
  countKept,
  EXAMPLES_PER_REASON,
  emptyReport,
  FILE_SKIPS,
  FUNCTION_FILTERS,
  type MineReport,
} from './report.js';
import { DEFAULT_RATIOS } from './split.js';
import { isSourceList, type MineRoot, normalizeRoot, type SourceFile, type SourceList } from './walk.js';
import { CodeSearchNetWriter } from './writer.js';

export interface MineCorpusOptions extends Omit<MineOptions, 'report' | 'seen'> {
  /** The output folder: must not exist or be empty. */
  out: string;
  /** Lines per .jsonl.gz shard (default 30,000, as CodeSearchNet). */
  shardSize?: number;
  /** More to say in manifest.json (the Debian corpus names its packages and versions). */
  manifest?: Record<string, unknown>;
  /** Worker threads for a file list (default: the CPUs; 1: none). Same output as one thread. */
  workers?: number;
}

export interface CorpusManifest extends MineReport {
  roots: (ReturnType<typeof normalizeRoot> | { name: string; files: number })[];
  options: { documentedOnly: boolean; ratios: { train: number; valid: number }; languages: string[] | 'all' };
}

/** The compiled worker; under vitest (TypeScript sources) mining stays on one thread. */
const WORKER_FILE = import.meta.url.endsWith('.js')
  ? new URL('./mine-worker.js', import.meta.url)
  : undefined;
const CHUNK_FILES = 200;

/**
 * A file list mined by a pool of worker threads in chunks, the records yielded in the list's order and
 * deduplicated across chunks, so the output is what one thread would write.
 */
async function* mineInWorkers(
  list: SourceList,
  options: MineCorpusOptions,
  count: number,
  report: MineReport,
  seen: Set<string>,
): AsyncGenerator<CodeRecord> {
  const { out: _out, manifest: _manifest, workers: _workers, ...mineOptions } = options;
  const chunks: SourceFile[][] = [];
  for (let i = 0; i < list.files.length; i += CHUNK_FILES)
    chunks.push(list.files.slice(i, i + CHUNK_FILES).map(({ read: _read, ...f }) => f));
  const pool = Array.from({ length: Math.min(count, chunks.length) }, () => new Worker(WORKER_FILE!));
  const pending = new Map<number, (r: ChunkResult) => void>();
  for (const w of pool) w.on('message', (r: ChunkResult) => pending.get(r.id)?.(r));
  const results: Promise<ChunkResult>[] = [];
  let next = 0;
  const submit = (worker: Worker) => {
    const id = next++;
    if (id >= chunks.length) return;
    results[id] = new Promise<ChunkResult>((resolve) => {
      pending.set(id, (r) => {
        pending.delete(id);
        submit(worker); // keep the worker busy as soon as it is free
        resolve(r);
      });
    });
    worker.postMessage({ id, files: chunks[id]!, options: mineOptions } satisfies ChunkTask);
  };
  try {
    for (const w of pool) submit(w);
    for (let id = 0; id < chunks.length; id++) {
      const r = await results[id]!;
      if (r.error) throw new Error(`mining ${chunks[id]![0]?.abs ?? ''}…: ${r.error}`);
      mergeReport(report, r.report);
      for (const [i, record] of r.records.entries()) {
        const hash = r.hashes[i]!;
        if (seen.has(hash)) {
          report.filtered.duplicate++;
          continue;
        }
        seen.add(hash);
        countKept(report, record.language, record.partition);
        yield record;
      }
      results[id] = undefined as unknown as Promise<ChunkResult>; // let the chunk go
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

/** Adds a chunk's counts (files, skips, functions found and filtered) to the run's report. */
function mergeReport(into: MineReport, from: MineReport): void {
  into.files.read += from.files.read;
  for (const [language, n] of Object.entries(from.files.parsed))
    into.files.parsed[language] = (into.files.parsed[language] ?? 0) + n;
  for (const reason of FILE_SKIPS) {
    into.skipped[reason] += from.skipped[reason];
    const examples = into.skippedExamples[reason] ?? [];
    for (const e of from.skippedExamples[reason] ?? [])
      if (examples.length < EXAMPLES_PER_REASON) examples.push(e);
    if (examples.length > 0) into.skippedExamples[reason] = examples;
  }
  into.functions.found += from.functions.found;
  for (const filter of FUNCTION_FILTERS) into.filtered[filter] += from.filtered[filter];
}

/** Mines every root (deduplicating across all of them) into options.out; returns the counts. */
export async function mineCorpus(
  roots: readonly (string | MineRoot | SourceList)[],
  options: MineCorpusOptions,
): Promise<MineReport> {
  const out = resolve(options.out);
  if (existsSync(out) && (await readdir(out)).length > 0)
    throw new Error(`the output folder ${out} already exists and is not empty`);
  for (const root of roots) {
    if (isSourceList(root)) continue;
    const dir = normalizeRoot(root).dir;
    if (!existsSync(dir)) throw new Error(`no such folder to mine: ${dir}`);
  }
  await mkdir(out, { recursive: true });
  const started = Date.now();
  const report = emptyReport(MINER_VERSION);
  const seen = new Set<string>();
  const writer = new CodeSearchNetWriter(out, options.shardSize);
  try {
    for (const root of roots) {
      const workers = Math.min(options.workers ?? availableParallelism(), 8);
      const records =
        isSourceList(root) && workers > 1 && WORKER_FILE
          ? mineInWorkers(root, options, workers, report, seen)
          : mineFunctions(root, { ...options, report, seen });
      for await (const record of records) await writer.write(record);
    }
  } finally {
    await writer.close();
  }
  report.elapsedMs = Date.now() - started;
  const manifest: CorpusManifest = {
    ...report,
    roots: roots.map((r) => (isSourceList(r) ? { name: r.name, files: r.files.length } : normalizeRoot(r))),
    options: {
      documentedOnly: options.documentedOnly ?? true,
      ratios: options.ratios ?? DEFAULT_RATIOS,
      languages: options.languages ? [...options.languages] : 'all',
    },
    ...options.manifest,
  };
  await writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return report;
}
