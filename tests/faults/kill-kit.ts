// Random SIGKILLs during a tiny deterministic training run, and random corruptions of its checkpoints: shared
// by tests/faults/kill.test.ts (a few, bounded) and bench/faults.ts (many). Runs the CLI compiled on first use.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Encoder } from '../../src/model/encoder.js';
import { packageRoot } from '../../src/package-root.js';
import { CheckpointStore } from '../../src/train/checkpoint-store.js';
import { buildTrainCli, corruptBytes } from './fault-kit.js';

export const TINY = join(packageRoot, 'configs', 'tiny.yml');
const STEPS = 6;

/** A checkpoint at every step (so kills land in checkpoint writes too), no validation, nothing after training. */
export function killSets(out: string): string[] {
  return [
    `output_dir=${out}`,
    'deterministic=true',
    `training.max_steps=${STEPS}`,
    'validation.interval=1000',
    'evaluation.test=false',
    'evaluation.index=false',
    'checkpoint.interval=1',
    'checkpoint.keep=2',
  ];
}

let cli: string | undefined;

function start(out: string, args: string[]): { child: ChildProcess; exit: Promise<number | null> } {
  cli ??= buildTrainCli('kill');
  const child = spawn(process.execPath, [cli, TINY, ...killSets(out).flatMap((s) => ['--set', s]), ...args], {
    stdio: 'ignore',
  });
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, exit };
}

const finalDir = (out: string, name: string) =>
  join(out, name, 'checkpoints', `step-${String(STEPS).padStart(6, '0')}`);

/** Whether a checkpoint is being written now: a temporary folder in the run's checkpoints. */
function writingCheckpoint(out: string, name: string): boolean {
  const dir = join(out, name, 'checkpoints');
  try {
    return readdirSync(dir).some((n) => n.startsWith('.tmp-'));
  } catch {
    return false;
  }
}

/** The uninterrupted run: its final weights and optimizer state, and how long it took. */
export async function straightRun(out: string): Promise<{ seconds: number; files: Buffer[] }> {
  cli ??= buildTrainCli('kill');
  const t0 = performance.now();
  const { exit } = start(out, ['--name', 'straight']);
  const code = await exit;
  if (code !== 0) throw new Error(`the uninterrupted run exited with ${code}`);
  const dir = finalDir(out, 'straight');
  return {
    seconds: (performance.now() - t0) / 1000,
    files: ['model.safetensors', 'optimizer.safetensors'].map((f) => readFileSync(join(dir, f))),
  };
}

export interface KillReport {
  kills: number;
  /** Kills that landed while a checkpoint was being written. */
  duringCheckpoint: number;
  /** Whether the run, resumed after the kills, ended byte-equal to the uninterrupted one. */
  equal: boolean;
}

/**
 * Starts the run, kills it with SIGKILL `kills` times (at a random moment, or half of the times as soon as a
 * checkpoint write begins), resuming after each (or restarting when no checkpoint was written yet), then lets it
 * finish and compares the final weights and optimizer state with the uninterrupted run's.
 */
export async function killedRun(
  out: string,
  name: string,
  kills: number,
  random: () => number,
  reference: { seconds: number; files: Buffer[] },
): Promise<KillReport> {
  let report: KillReport = { kills: 0, duringCheckpoint: 0, equal: false };
  const next = () => {
    const started = existsSync(join(out, name));
    if (!started) return ['--name', name];
    const store = existsSync(join(out, name, 'checkpoints')) ? new CheckpointStore(join(out, name), 2) : null;
    return store?.latest().checkpoint ? ['--resume', name] : ['--restart', name];
  };
  for (let i = 0; i < kills; i++) {
    const { child, exit } = start(out, next());
    const onCheckpoint = random() < 0.5;
    // Before 0.7 of the uninterrupted run's time, so that a kill lands before the run can finish.
    const deadline = performance.now() + random() * 0.7 * reference.seconds * 1000;
    let done = false;
    void exit.then(() => {
      done = true;
    });
    while (!done) {
      await new Promise((r) => setTimeout(r, 2));
      const writing = writingCheckpoint(out, name);
      if ((onCheckpoint && writing) || performance.now() >= deadline) {
        child.kill('SIGKILL');
        report = {
          ...report,
          kills: report.kills + 1,
          duringCheckpoint: report.duringCheckpoint + (writing ? 1 : 0),
        };
        break;
      }
    }
    await exit;
    if (existsSync(finalDir(out, name))) break;
  }
  if (!existsSync(finalDir(out, name))) {
    const { exit } = start(out, next());
    const code = await exit;
    if (code !== 0) throw new Error(`the last resume of ${name} exited with ${code}`);
  }
  const files = ['model.safetensors', 'optimizer.safetensors'].map((f) =>
    readFileSync(join(finalDir(out, name), f)),
  );
  return { ...report, equal: files.every((f, i) => f.equals(reference.files[i]!)) };
}

/** The files Encoder.load reads: a damaged one must stop it. */
const LOADED = ['config.json', 'secora.json', 'model.safetensors', 'tokenizer.json'];

export interface CorruptionReport {
  tries: number;
  /** Corruptions the checkpoint store refused (never chosen to resume from). */
  refusedOnResume: number;
  /** Corruptions of a file Encoder.load reads, and how many of those it refused. */
  loadTries: number;
  refusedOnLoad: number;
  /** Each one that got through, for the failure message. */
  missed: string[];
}

/** Random corruptions (1-64 bytes at a random place of a random file) of copies of a complete checkpoint. */
export async function corruptCheckpoints(
  checkpoint: string,
  scratch: string,
  tries: number,
  random: () => number,
): Promise<CorruptionReport> {
  const report: CorruptionReport = { tries, refusedOnResume: 0, loadTries: 0, refusedOnLoad: 0, missed: [] };
  const files = readdirSync(checkpoint).sort();
  for (let i = 0; i < tries; i++) {
    const run = join(scratch, `corrupt-${i}`);
    const dir = join(run, 'checkpoints', basename(checkpoint));
    cpSync(checkpoint, dir, { recursive: true });
    const file = files[Math.floor(random() * files.length)]!;
    const where = corruptBytes(join(dir, file), random, 1 + Math.floor(random() * 64));
    const { checkpoint: chosen } = new CheckpointStore(run, 5).latest();
    if (chosen === null) report.refusedOnResume++;
    else report.missed.push(`resume took ${JSON.stringify(where)}`);
    if (LOADED.includes(file)) {
      report.loadTries++;
      try {
        const encoder = await Encoder.load(dir);
        await encoder.dispose();
        report.missed.push(`Encoder.load took ${JSON.stringify(where)}`);
      } catch {
        report.refusedOnLoad++;
      }
    }
    rmSync(run, { recursive: true, force: true });
  }
  return report;
}
