// mineCorpus: many roots mined into one folder in CodeSearchNet's layout, with a manifest.json of counts.
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MINER_VERSION, type MineOptions, mineFunctions } from './mine.js';
import { emptyReport, type MineReport } from './report.js';
import { DEFAULT_RATIOS } from './split.js';
import { isSourceList, type MineRoot, normalizeRoot, type SourceList } from './walk.js';
import { CodeSearchNetWriter } from './writer.js';

export interface MineCorpusOptions extends Omit<MineOptions, 'report' | 'seen'> {
  /** The output folder: must not exist or be empty. */
  out: string;
  /** Lines per .jsonl.gz shard (default 30,000, as CodeSearchNet). */
  shardSize?: number;
  /** More to say in manifest.json (the Debian corpus names its packages and versions). */
  manifest?: Record<string, unknown>;
}

export interface CorpusManifest extends MineReport {
  roots: (ReturnType<typeof normalizeRoot> | { name: string; files: number })[];
  options: { documentedOnly: boolean; ratios: { train: number; valid: number }; languages: string[] | 'all' };
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
    for (const root of roots)
      for await (const record of mineFunctions(root, { ...options, report, seen }))
        await writer.write(record);
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
