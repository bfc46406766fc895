// Data-parallel training end to end through secora-train on two processes (Gloo on 127.0.0.1, the tiny
// config): equal to one process with the same global batch, a killed worker ends the run and it resumes, a
// hung worker is given up on after the timeout, and a stopped two-process run resumes exactly.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/native.js';
import { freePort } from '../src/parallel/launcher.js';
import { readSafetensors, toFloat64 } from '../src/safetensors.js';

const TINY = join(packageRoot, 'configs', 'tiny.yml');
const BIN = join(packageRoot, 'bin', 'secora-train.js');
const QUIET = [
  'validation.interval=100000',
  'evaluation.test=false',
  'evaluation.index=false',
  'training.log_interval=1',
  'deterministic=true',
];

interface Cli {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function start(args: string[], env: NodeJS.ProcessEnv = process.env): Cli {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, output: () => text, exit };
}

function trainArgs(out: string, name: string, sets: string[], extra: string[] = []): string[] {
  return [
    TINY,
    '--name',
    name,
    ...[`output_dir=${out}`, ...QUIET, ...sets].flatMap((s) => ['--set', s]),
    ...extra,
  ];
}

async function finish(cli: Cli): Promise<number | null> {
  const code = await cli.exit;
  return code;
}

async function waitFor(output: () => string, pattern: RegExp, seconds = 180): Promise<void> {
  for (let i = 0; i < seconds * 10 && !pattern.test(output()); i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(output()).toMatch(pattern);
}

function weights(file: string): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const [name, t] of readSafetensors(file).tensors) out.set(name, toFloat64(t));
  return out;
}

function differences(a: Map<string, Float64Array>, b: Map<string, Float64Array>) {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  const all: number[] = [];
  for (const [name, x] of a) {
    const y = b.get(name)!;
    for (let i = 0; i < x.length; i++) all.push(Math.abs(x[i]! - y[i]!));
  }
  all.sort((p, q) => p - q);
  const rms = Math.sqrt(all.reduce((s, v) => s + v * v, 0) / all.length);
  return { rms, p999: all[Math.floor(all.length * 0.999)]!, max: all[all.length - 1]! };
}

const checkpointsOf = (run: string) =>
  readdirSync(join(run, 'checkpoints'))
    .filter((n) => n.startsWith('step-') && existsSync(join(run, 'checkpoints', n, 'DONE')))
    .sort();

describe('secora-train --nproc-per-node 2', () => {
  beforeAll(() => {
    // The workers run the compiled CLI: build it from the current source.
    const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
      cwd: packageRoot,
      encoding: 'utf8',
    });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  }, 300_000);

  for (const gradCache of [0, 4]) {
    it(`after 4 steps equals one process with the same global batch (fp32, no dropout${gradCache ? ', GradCache' : ''})`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'secora-ddp-'));
      const sets = [
        'model.dropout=0',
        'model.attention_dropout=0',
        'training.max_steps=4',
        'checkpoint.interval=100000',
        `training.grad_cache_micro_batch=${gradCache}`,
      ];
      const one = start(trainArgs(out, 'one', [...sets, 'training.batch_size=16']));
      expect(await finish(one), one.output()).toBe(0);
      const two = start(trainArgs(out, 'two', [...sets, 'training.batch_size=8'], ['--nproc-per-node', '2']));
      expect(await finish(two), two.output()).toBe(0);
      expect(two.output()).toMatch(/2 processes, gloo/);
      const a = weights(join(out, 'one', 'checkpoints', 'step-000004', 'model.safetensors'));
      const b = weights(join(out, 'two', 'checkpoints', 'step-000004', 'model.safetensors'));
      // fp32 sums in another order (padding per rank, the all-reduce), and Adam divides by the gradient's own
      // size, so a weight whose gradient is near eps can move by a fraction of lr: the bulk must agree to float
      // noise (a rank that trained on its half alone differs by about lr, 1e-3), every weight within lr.
      const d = differences(a, b);
      expect(d.rms).toBeLessThan(1e-5);
      expect(d.p999).toBeLessThan(1e-4);
      expect(d.max).toBeLessThan(1e-3);
      // Only rank 0 wrote the metrics: one line per step, not two.
      const lines = readFileSync(join(out, 'two', 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n');
      expect(lines.filter((l) => l.includes('train/loss'))).toHaveLength(4);
    }, 400_000);
  }

  it('a killed worker ends the whole run with an error naming it; the run resumes from its last checkpoint', async () => {
    const out = mkdtempSync(join(tmpdir(), 'secora-ddp-'));
    const sets = ['training.max_steps=40', 'checkpoint.interval=2', 'distributed.timeout_seconds=30'];
    const run = start(trainArgs(out, 'kill', sets, ['--nproc-per-node', '2']));
    await waitFor(run.output, /step 3\/40/);
    const pid = Number(/pids 0:\d+ 1:(\d+)/.exec(run.output())![1]);
    const t0 = performance.now();
    process.kill(pid, 'SIGKILL');
    const code = await finish(run);
    expect(code).not.toBe(0);
    expect((performance.now() - t0) / 1000).toBeLessThan(30);
    expect(run.output()).toMatch(new RegExp(`worker rank 1 \\(pid ${pid}\\) was killed by SIGKILL`));
    const saved = checkpointsOf(join(out, 'kill'));
    expect(saved.length).toBeGreaterThan(0);

    const again = start([TINY, '--resume', join(out, 'kill'), '--nproc-per-node', '2'], process.env);
    expect(await finish(again), again.output()).toBe(0);
    expect(again.output()).toMatch(new RegExp(`resuming from .*${saved[saved.length - 1]}`));
    expect(checkpointsOf(join(out, 'kill'))).toContain('step-000040');
  }, 400_000);

  it('a worker that hangs is given up on after distributed.timeout_seconds, with an error saying so', async () => {
    const out = mkdtempSync(join(tmpdir(), 'secora-ddp-'));
    const port = await freePort();
    const env = (rank: number) => ({
      ...process.env,
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: String(port),
      WORLD_SIZE: '2',
      RANK: String(rank),
      LOCAL_RANK: String(rank),
      SECORA_NUM_THREADS: '1',
    });
    const sets = ['training.max_steps=100000', 'checkpoint.interval=100000', 'distributed.timeout_seconds=8'];
    // Started as torchrun would start them: the variables set, no --nproc-per-node.
    const ranks = [0, 1].map((r) => start(trainArgs(out, 'hang', sets), env(r)));
    await waitFor(ranks[0]!.output, /step 3\/100000/);
    ranks[1]!.child.kill('SIGSTOP');
    const t0 = performance.now();
    const code = await finish(ranks[0]!);
    const seconds = (performance.now() - t0) / 1000;
    ranks[1]!.child.kill('SIGKILL');
    await ranks[1]!.exit;
    expect(code).toBe(1);
    expect(seconds).toBeLessThan(8 + 20);
    expect(ranks[0]!.output()).toMatch(
      /rank 0 of 2: .* failed \(another worker died, or did not answer within 8/,
    );
  }, 400_000);

  it('stopped by a signal and resumed, ends with the same weights as uninterrupted (dropout on, deterministic)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'secora-ddp-'));
    const sets = ['training.max_steps=16', 'checkpoint.interval=100000'];
    const straight = start(trainArgs(out, 'straight', sets, ['--nproc-per-node', '2']));
    expect(await finish(straight), straight.output()).toBe(0);

    const stopped = start(trainArgs(out, 'stopped', sets, ['--nproc-per-node', '2']));
    await waitFor(stopped.output, /step 2\/16/);
    stopped.child.kill('SIGINT');
    expect(await finish(stopped), stopped.output()).toBe(130);
    const at = checkpointsOf(join(out, 'stopped'));
    expect(at).toHaveLength(1);
    expect(at[0]).not.toBe('step-000016');
    const state = JSON.parse(
      readFileSync(join(out, 'stopped', 'checkpoints', at[0]!, 'trainer_state.json'), 'utf8'),
    );
    expect(state.worldSize).toBe(2);
    expect(state.rngByRank).toHaveLength(2);
    expect(state.rngByRank[0]).not.toBe(state.rngByRank[1]); // each rank draws its own dropout masks

    const resumed = start([TINY, '--resume', join(out, 'stopped'), '--nproc-per-node', '2']);
    expect(await finish(resumed), resumed.output()).toBe(0);
    for (const f of ['model.safetensors', 'optimizer.safetensors']) {
      const a = readFileSync(join(out, 'straight', 'checkpoints', 'step-000016', f));
      const b = readFileSync(join(out, 'stopped', 'checkpoints', 'step-000016', f));
      expect(b.equals(a), f).toBe(true);
    }

    // Another world size cannot continue this run's data order and dropout states: refused, saying why.
    const alone = start([TINY, '--resume', join(out, 'stopped')]);
    expect(await finish(alone)).toBe(1);
    expect(alone.output()).toMatch(
      /written by a run of 2 processes and this run has 1; resume it with --nproc-per-node 2/,
    );
  }, 400_000);
});
