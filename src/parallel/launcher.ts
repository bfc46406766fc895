// Starts N workers of a command on this machine with the variables torchrun sets (MASTER_ADDR, MASTER_PORT,
// WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE) and a free port; forwards SIGINT/SIGTERM to them; when one
// fails, ends the others and says which rank failed.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';

export interface LaunchOptions {
  nproc: number;
  /** The program and its arguments, the same for every worker (node, the CLI script, the CLI's arguments). */
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Default: a free port on 127.0.0.1. */
  masterPort?: number;
  /** After a worker fails, how long the others get after SIGTERM before SIGKILL (default 10 s). */
  graceSeconds?: number;
  /** Where the workers' output goes: rank 0 unchanged, the others prefixed "[rank N] ". */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface LaunchResult {
  /** 0: every worker succeeded; 130: stopped by a signal; else the failed worker's code (or 1). */
  code: number;
  /** The rank that failed first, if one did. */
  failedRank: number | null;
  /** What happened to it, for the user. */
  message: string | null;
  pids: number[];
}

/** A TCP port that was free a moment ago on 127.0.0.1 (the store binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Copies a worker's output line by line, each line prefixed (a partial last line waits for its end). */
function prefixed(from: NodeJS.ReadableStream, to: NodeJS.WritableStream, prefix: string): void {
  if (!prefix) {
    from.pipe(to, { end: false });
    return;
  }
  let rest = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) to.write(`${prefix}${line}\n`);
  });
  from.on('end', () => {
    if (rest) to.write(`${prefix}${rest}\n`);
  });
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

export async function launch(options: LaunchOptions): Promise<LaunchResult> {
  const n = options.nproc;
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`--nproc-per-node must be a whole number >= 1, got ${n}`);
  const env = options.env ?? process.env;
  const port = options.masterPort ?? (await freePort());
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  // One machine's cores shared between the workers, unless the user chose.
  const threads = env['SECORA_NUM_THREADS'] ?? String(Math.max(1, Math.floor(availableParallelism() / n)));
  const children: ChildProcess[] = [];
  const running = new Set<number>();
  let failedRank: number | null = null;
  let message: string | null = null;
  let firstCode = 0;
  let signalled = false;
  let killTimer: NodeJS.Timeout | null = null;

  const endOthers = () => {
    for (const r of running) children[r]!.kill('SIGTERM');
    killTimer = setTimeout(
      () => {
        for (const r of running) children[r]!.kill('SIGKILL');
      },
      (options.graceSeconds ?? 10) * 1000,
    );
  };
  const forward = (signal: NodeJS.Signals) => {
    signalled = true;
    for (const r of running) children[r]!.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);

  const done = new Promise<void>((resolveAll) => {
    for (let rank = 0; rank < n; rank++) {
      const child = spawn(options.command, options.args, {
        env: {
          ...env,
          MASTER_ADDR: '127.0.0.1',
          MASTER_PORT: String(port),
          WORLD_SIZE: String(n),
          RANK: String(rank),
          LOCAL_RANK: String(rank),
          LOCAL_WORLD_SIZE: String(n),
          SECORA_NUM_THREADS: threads,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Their own process group: a Ctrl-C in the terminal reaches the launcher, which forwards it once.
        detached: true,
      });
      children.push(child);
      running.add(rank);
      const prefix = rank === 0 ? '' : `[rank ${rank}] `;
      prefixed(child.stdout!, stdout, prefix);
      prefixed(child.stderr!, stderr, prefix);
      child.on('error', (error) => {
        if (failedRank === null) {
          failedRank = rank;
          message = `worker rank ${rank} could not start: ${error.message}`;
          firstCode = 1;
        }
      });
      child.on('exit', (code, signal) => {
        running.delete(rank);
        const failed = code !== 0 && !(signalled && (code === 130 || signal !== null));
        if (failed && failedRank === null) {
          failedRank = rank;
          message = `worker rank ${rank} (pid ${child.pid}) ${describeExit(code, signal)}${running.size > 0 ? `; ending the other ${running.size}` : ''}`;
          firstCode = code && code !== 130 ? code : 1;
          stderr.write(`secora-train: ${message}\n`);
          endOthers();
        }
        if (running.size === 0) resolveAll();
      });
    }
  });
  stderr.write(
    `secora-train: ${n} workers, rendezvous at 127.0.0.1:${port}, pids ${children.map((c, r) => `${r}:${c.pid}`).join(' ')}\n`,
  );
  try {
    await done;
  } finally {
    if (killTimer) clearTimeout(killTimer);
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
  const code = failedRank !== null ? firstCode : signalled ? 130 : 0;
  return { code, failedRank, message, pids: children.map((c) => c.pid ?? -1) };
}
