// One trial as its own process: its output goes to files in its folder (so it never blocks on a dead
// searcher), its validation scores are read from the run's metrics.jsonl as they appear, and when it is
// stopped it gets SIGTERM (the trainer writes a checkpoint and exits) and, after a grace period, SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../train/run-result.js';
import type { FailureReason } from './search-file.js';

export interface TrialExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the searcher stopped it, if it did. */
  stoppedFor: 'pruned' | 'timeout' | 'shutdown' | null;
}

export class TrialProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<TrialExit>;
  readonly startedAt = performance.now();
  private stoppedFor: TrialExit['stoppedFor'] = null;
  private killTimer: NodeJS.Timeout | null = null;
  private metricsOffset = 0;
  private partial = '';

  constructor(
    command: string[],
    readonly trialDir: string,
    readonly runDir: string,
    env: NodeJS.ProcessEnv,
  ) {
    const out = openSync(join(trialDir, 'stdout.log'), 'a');
    const err = openSync(join(trialDir, 'stderr.log'), 'a');
    this.child = spawn(command[0]!, command.slice(1), {
      stdio: ['ignore', out, err],
      env,
      cwd: process.cwd(),
    });
    closeSync(out);
    closeSync(err);
    this.exited = new Promise((done) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.killTimer) clearTimeout(this.killTimer);
        done({ code, signal, stoppedFor: this.stoppedFor });
      };
      this.child.once('exit', finish);
      this.child.once('error', (e) => {
        closeSync(openSync(join(trialDir, 'stderr.log'), 'a'));
        this.spawnError = e.message;
        finish(127, null);
      });
    });
  }

  spawnError: string | null = null;

  get seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** SIGTERM now, SIGKILL after `graceSeconds` if it is still running. */
  stop(why: NonNullable<TrialExit['stoppedFor']>, graceSeconds: number): void {
    if (this.stoppedFor !== null) return;
    this.stoppedFor = why;
    this.child.kill('SIGTERM');
    this.killTimer = setTimeout(() => this.child.kill('SIGKILL'), graceSeconds * 1000);
  }

  /** The new (step, value) reports of `key` in the run's metrics.jsonl since the last call; step 0 (untrained) left out. */
  newReports(key: string): { step: number; value: number }[] {
    const file = join(this.runDir, 'metrics.jsonl');
    if (!existsSync(file)) return [];
    const size = statSync(file).size;
    if (size <= this.metricsOffset) return [];
    const fd = openSync(file, 'r');
    const buffer = Buffer.alloc(size - this.metricsOffset);
    readSync(fd, buffer, 0, buffer.length, this.metricsOffset);
    closeSync(fd);
    this.metricsOffset = size;
    const text = this.partial + buffer.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    const out: { step: number; value: number }[] = [];
    for (const line of lines) {
      try {
        const row = JSON.parse(line) as Record<string, unknown>;
        const v = row[key];
        if (typeof row['step'] === 'number' && row['step'] > 0 && typeof v === 'number')
          out.push({ step: row['step'], value: v });
      } catch {
        // A line cut short by a crash: nothing to report.
      }
    }
    return out;
  }
}

/** The last lines of the trial's stderr, for the failure record. */
export function stderrTail(trialDir: string, lines = 20): string {
  const file = join(trialDir, 'stderr.log');
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8').replace(/\r/g, '\n');
  return text
    .trimEnd()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-lines)
    .join('\n');
}

/** The run's result.json, when it wrote one. */
export function readRunResult(runDir: string): { status?: string; reason?: string; message?: string } | null {
  try {
    return JSON.parse(readFileSync(join(runDir, 'result.json'), 'utf8'));
  } catch {
    return null;
  }
}

const OOM = /out of memory|bad_alloc|ENOMEM|heap limit|Cannot allocate memory/i;

/** Why a trial that was not pruned failed, from its exit, its stderr and its result.json; null if it did not fail. */
export function failureOf(
  exit: TrialExit,
  stderr: string,
  result: ReturnType<typeof readRunResult>,
): { reason: FailureReason; error: string } | null {
  if (exit.stoppedFor === 'timeout')
    return { reason: 'timeout', error: 'killed after the per-trial time limit' };
  if (exit.code === 0) return null;
  if (result?.reason === 'diverged' || exit.code === EXIT.diverged)
    return { reason: 'diverged', error: result?.message ?? `exit code ${exit.code}: the loss diverged` };
  if (exit.code === EXIT.config)
    return { reason: 'config', error: `exit code 2: the trial's config was refused` };
  if (OOM.test(stderr))
    return { reason: 'oom', error: `out of memory (${exit.signal ?? `exit code ${exit.code}`})` };
  if (exit.signal)
    return {
      reason: 'signal',
      error: `killed by ${exit.signal}${exit.signal === 'SIGKILL' ? ' (possibly the out-of-memory killer)' : ''}`,
    };
  return { reason: 'error', error: result?.message ?? `exit code ${exit.code}` };
}
