// Serving benchmark: `secora serve` in its own process over an index of a real code base (the Python standard
// library by default), loaded from this process over loopback HTTP by 1, 8 and 32 concurrent clients (each
// sends its next request when the last one answered), dense and hybrid. Reports requests/s, p50/p99 latency as
// clients see it, the encoder calls the micro-batcher made, and the serving process's memory. Rounds alternate
// the order of the client counts, so a change in the machine's load falls on all of them.
//
//   npm run build && npx tsc -p bench/serve.tsconfig.json && \
//     node build/bench/bench/serve-bench.js --model runs/<run>/best [--root /usr/lib/python3.11]
//     [--index build/serve-bench.sidx] [--clients 1,8,32] [--modes dense,hybrid] [--requests 300] [--seconds 20]
//     [--rounds 2]
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { indexRepository } from '../src/search/index-repository.js';
import { resolveModel } from '../src/search/resolve-model.js';
import { percentiles } from '../src/serve/latency-stats.js';
import { arg } from './args.js';
import { QUERIES } from './serve-queries.js';

// Debian's OpenBLAS (under faiss) can hang in its fork handler when this process spawns the server after
// indexing; with one BLAS thread there is nothing to join. Set before faiss loads (on first use).
process.env['OPENBLAS_NUM_THREADS'] = '1';

const root = resolve(arg('root', '/usr/lib/python3.11'));
const modelSpec = arg('model', 'hashing');
const indexFile = resolve(arg('index', 'build/serve-bench.sidx'));
const clientCounts = arg('clients', '1,8,32').split(',').map(Number);
const modes = arg('modes', 'dense,hybrid').split(',');
const maxRequests = Number(arg('requests', '300'));
const maxSeconds = Number(arg('seconds', '20'));
const rounds = Number(arg('rounds', '2'));
const packageRoot = resolve(import.meta.dirname, '../../..');

async function ensureIndex(): Promise<void> {
  if (existsSync(indexFile)) return;
  const model = await resolveModel(modelSpec);
  const t = performance.now();
  try {
    const r = await indexRepository(root, model.embedder, { out: indexFile, modelSource: model.source });
    process.stderr.write(
      `indexed ${r.functions} functions of ${root} in ${((performance.now() - t) / 1000).toFixed(0)} s (${r.factory})\n`,
    );
  } finally {
    await model.close();
  }
}

interface Server {
  url: string;
  pid: number;
  stop(): Promise<number | null>;
}

async function startServer(): Promise<Server> {
  const child = spawn(
    process.execPath,
    [join(packageRoot, 'bin', 'secora.js'), 'serve', '--index', indexFile, '--port', '0'],
    { env: { ...process.env, OMP_NUM_THREADS: '1' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((done, fail) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += String(c);
      const m = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) done(m[1]!);
    });
    child.once('exit', (code) => fail(new Error(`secora serve exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise((done) => {
        child.once('exit', (code) => done(code));
        child.kill('SIGTERM');
      }),
  };
}

/** VmRSS and VmHWM (peak) of a process, in MiB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

async function search(url: string, query: string, mode: string): Promise<void> {
  const response = await fetch(`${url}/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, k: 10, mode }),
  });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  await response.json();
}

type Batching = { encoderCalls: number; faissCalls: number };
async function stats(url: string): Promise<{ batching: Batching }> {
  return (await (await fetch(`${url}/stats`)).json()) as { batching: Batching };
}

/** `clients` loops, each asking its next query when the last was answered, until the count or the time is up. */
async function load(
  url: string,
  mode: string,
  clients: number,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const deadline = start + maxSeconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < maxRequests && performance.now() < deadline) {
        const query = QUERIES[next++ % QUERIES.length]!;
        const t = performance.now();
        await search(url, query, mode);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - start) / 1000 };
}

await ensureIndex();
const server = await startServer();
const idle = memoryOf(server.pid);
const results = new Map<
  string,
  { latencies: number[]; seconds: number; requests: number; calls: number; faiss: number }
>();
try {
  for (const mode of modes)
    for (let i = 0; i < 20; i++) await search(server.url, QUERIES[i % QUERIES.length]!, mode);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? clientCounts : [...clientCounts].reverse();
    for (const mode of modes) {
      for (const clients of order) {
        const before = (await stats(server.url)).batching;
        const { latencies, seconds } = await load(server.url, mode, clients);
        const after = (await stats(server.url)).batching;
        const calls = after.encoderCalls - before.encoderCalls;
        const faiss = after.faissCalls - before.faissCalls;
        const key = `${mode} ${clients}`;
        const sum = results.get(key) ?? { latencies: [], seconds: 0, requests: 0, calls: 0, faiss: 0 };
        sum.latencies.push(...latencies);
        sum.seconds += seconds;
        sum.requests += latencies.length;
        sum.calls += calls;
        sum.faiss += faiss;
        results.set(key, sum);
        process.stderr.write(
          `round ${round + 1} ${key}: ${(latencies.length / seconds).toFixed(0)} req/s, p50 ${percentiles(latencies, [50])[0]!.toFixed(1)} ms\n`,
        );
      }
    }
  }
} finally {
  const loaded = memoryOf(server.pid);
  const served = (await (await fetch(`${server.url}/stats`)).json()) as {
    index: { snippets: number; factory: string };
    model: { source: string };
    modelMemoryBytes?: { parameters: number; optimizer: number };
  };
  const code = await server.stop();
  console.log(
    `index: ${served.index.snippets} functions of ${root} (${served.index.factory}); model ${served.model.source}`,
  );
  if (served.modelMemoryBytes) {
    console.log(
      `model at rest: weights ${(served.modelMemoryBytes.parameters / 2 ** 20).toFixed(1)} MiB, optimizer state ${served.modelMemoryBytes.optimizer} bytes`,
    );
  }
  console.log(
    `serving process: ${idle.rss.toFixed(0)} MiB RSS after start, ${loaded.rss.toFixed(0)} MiB after the load (peak ${loaded.peak.toFixed(0)} MiB); exit on SIGTERM: ${code}`,
  );
  console.log(
    '\n| mode | clients | requests | req/s | p50 ms | p99 ms | queries per encoder call | per faiss call |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const mode of modes) {
    for (const clients of clientCounts) {
      const r = results.get(`${mode} ${clients}`);
      if (!r) continue;
      const [p50, p99] = percentiles(r.latencies, [50, 99]) as [number, number];
      console.log(
        `| ${mode} | ${clients} | ${r.requests} | ${(r.requests / r.seconds).toFixed(1)} | ${p50.toFixed(1)} | ${p99.toFixed(1)} | ${(r.requests / Math.max(1, r.calls)).toFixed(1)} | ${(r.requests / Math.max(1, r.faiss)).toFixed(1)} |`,
      );
    }
    const one = results.get(`${mode} 1`);
    const many = results.get(`${mode} ${Math.max(...clientCounts)}`);
    if (one && many) {
      const ratio = many.requests / many.seconds / (one.requests / one.seconds);
      console.log(
        `\n${mode}: ${Math.max(...clientCounts)} clients / 1 client throughput = ${ratio.toFixed(2)}x\n`,
      );
    }
  }
}
