// A worker thread of parallel mining: mines one chunk of a file list (deduplicating within it) and sends back
// the records, their deduplication hashes and the chunk's counts; the main thread deduplicates across chunks.
import { parentPort } from 'node:worker_threads';
import type { CodeRecord } from '../record.js';
import { type MineOptions, mineFunctions } from './mine.js';
import { emptyReport, type MineReport } from './report.js';
import type { SourceFile } from './walk.js';

export interface ChunkTask {
  id: number;
  files: SourceFile[];
  options: Omit<MineOptions, 'report' | 'seen' | 'keptHashes'>;
}

export interface ChunkResult {
  id: number;
  records: CodeRecord[];
  hashes: string[];
  report: MineReport;
  error?: string;
}

parentPort?.on('message', async (task: ChunkTask) => {
  const report = emptyReport('');
  const hashes: string[] = [];
  const records: CodeRecord[] = [];
  try {
    for await (const r of mineFunctions(
      { name: 'chunk', files: task.files },
      { ...task.options, report, keptHashes: hashes },
    ))
      records.push(r);
    parentPort!.postMessage({ id: task.id, records, hashes, report } satisfies ChunkResult);
  } catch (error) {
    parentPort!.postMessage({ id: task.id, records: [], hashes: [], report, error: String(error) });
  }
});
