// `secora doctor`: what the addon was built with and sees, and whether faiss-node and tokenizers work,
// each checked by using it.
import { createRequire } from 'node:module';
import { type BuildInfo, native } from './native.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: Check[];
  build?: Omit<BuildInfo, 'config'>;
}

const require = createRequire(import.meta.url);

function attempt(name: string, run: () => string): Check {
  try {
    return { name, ok: true, detail: run() };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

async function attemptAsync(name: string, run: () => Promise<string>): Promise<Check> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

function describeAccelerator(info: BuildInfo): string {
  if (info.backend === 'cpu') return 'none (CPU build of libtorch)';
  if (!info.cudaAvailable) return `${info.backend} build, but no device is visible`;
  const names = info.cudaDevices.map((d) => `${d.name} (sm ${d.capability}${d.bf16 ? ', bf16' : ''})`);
  return `${info.backend}: ${info.cudaDevices.length} device(s): ${names.join('; ')}`;
}

/** A tiny inner-product index: the nearest neighbour of a query must be the vector it was made from. */
export function checkFaiss(): string {
  const { IndexFlatIP, Index } = require('faiss-node') as typeof import('faiss-node');
  const flat = new IndexFlatIP(4);
  flat.add([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
  const found = flat.search([0, 0.1, 0.9, 0], 2);
  if (found.labels[0] !== 2 || found.labels[1] !== 1) {
    throw new Error(`faiss-node searched wrongly: labels ${found.labels.join(',')}, expected 2,1`);
  }
  const hnsw = Index.fromFactory(4, 'HNSW8,Flat');
  hnsw.add([1, 0, 0, 0, 0, 1, 0, 0]);
  return `ok (IndexFlatIP and HNSW searched; ${hnsw.ntotal()} vectors)`;
}

/** A WordPiece tokenizer built in memory, run on a line of code. */
export async function checkTokenizers(): Promise<string> {
  const tk = require('tokenizers') as typeof import('tokenizers');
  const vocab: Record<string, number> = {
    '[UNK]': 0,
    def: 1,
    parse: 2,
    _: 3,
    args: 4,
    '(': 5,
    ')': 6,
    ':': 7,
  };
  const tokenizer = new tk.Tokenizer(tk.WordPiece.init(vocab, { unkToken: '[UNK]' }));
  tokenizer.setPreTokenizer(tk.bertPreTokenizer());
  const encoding = await tokenizer.encode('def parse_args():');
  const tokens = encoding.getTokens();
  const expected = ['def', 'parse', '_', 'args', '(', ')', ':'];
  if (tokens.join(' ') !== expected.join(' ')) {
    throw new Error(`tokenizers gave [${tokens.join(' ')}], expected [${expected.join(' ')}]`);
  }
  return `ok ("def parse_args():" -> ${tokens.length} tokens)`;
}

export async function runDoctor(): Promise<DoctorReport> {
  const checks: Check[] = [];
  let build: BuildInfo | undefined;
  checks.push(
    attempt('native addon', () => {
      build = native().buildInfo();
      return `ok (${build.backend} build)`;
    }),
  );
  if (build) {
    const info = build;
    checks.push({
      name: 'libtorch',
      ok: true,
      detail: `${info.torchVersion} (C++11 ABI ${info.cxx11Abi ? 'on' : 'off'})`,
    });
    checks.push({
      name: 'accelerator',
      ok: info.backend === 'cpu' || info.cudaAvailable,
      detail: describeAccelerator(info),
    });
    checks.push({
      name: 'cpu threads',
      ok: info.threads >= 1,
      detail: `${info.threads} intra-op, ${info.interopThreads} inter-op${info.openmp ? ' (OpenMP)' : ''}`,
    });
    const gpuBf16 = info.cudaDevices.some((d) => d.bf16);
    checks.push({
      name: 'bf16',
      ok: true,
      detail: `cpu ${info.cpuBf16 ? 'yes' : 'no'}${info.mkldnn ? ' (oneDNN)' : ''}; gpu ${gpuBf16 ? 'yes' : 'no'}`,
    });
    checks.push({
      name: 'attention',
      ok: true,
      detail: info.hasSdpa ? 'scaled_dot_product_attention' : 'matmul + softmax',
    });
    const backends = native().distributedBackends ?? [];
    checks.push({
      name: 'data parallel',
      ok: true,
      detail:
        backends.length > 0
          ? `c10d backends: ${backends.join(', ')} (secora-train --nproc-per-node N, torchrun, srun)`
          : 'none: this libtorch has no c10d, or gloo headers were missing at build time (libgloo-dev)',
    });
  }
  checks.push(attempt('faiss-node', checkFaiss));
  checks.push(await attemptAsync('tokenizers', checkTokenizers));
  const report: DoctorReport = { ok: checks.every((c) => c.ok), checks };
  if (build) {
    const { config: _config, ...rest } = build;
    report.build = rest;
  }
  return report;
}

export function formatDoctor(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length));
  const lines = report.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(width)}  ${c.detail}`);
  lines.push(report.ok ? 'secora doctor: all checks passed' : 'secora doctor: some checks failed');
  return lines.join('\n');
}
