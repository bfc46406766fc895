// The main job end to end on the tiny config (a slice of the embedded default corpus): checkpoints, events,
// metrics, exact resume, a half-written checkpoint passed over, and signals.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalCommand } from '../src/cli/eval.js';
import { defaultCorpus } from '../src/data/miner/default-corpus.js';
import { packageRoot } from '../src/native.js';
import { train } from '../src/train/trainer.js';
import { runCommand } from './cli-run.js';
import { expectSameCheckpoint, quiet, TINY, trainStoppedAt } from './train-helpers.js';

function outDir(): string {
  return mkdtempSync(join(tmpdir(), 'secora-train-'));
}

describe('secora-train', () => {
  it('trains the tiny config end to end: checkpoints, events, metrics, test results, a search', async () => {
    const out = outDir();
    const lines: string[] = [];
    const result = await train({
      configFile: TINY,
      sets: [`output_dir=${out}`, 'evaluation.index=true'],
      name: 'e2e',
      log: (l) => lines.push(l),
    });
    expect(result.steps).toBe(12);
    const run = join(out, 'e2e');
    expect(readdirSync(join(run, 'checkpoints')).sort()).toEqual(['step-000006', 'step-000012']);
    for (const f of [
      'model.safetensors',
      'config.json',
      'tokenizer.json',
      'optimizer.safetensors',
      'trainer_state.json',
      'DONE',
    ]) {
      expect(existsSync(join(run, 'checkpoints', 'step-000012', f))).toBe(true);
    }
    expect(existsSync(join(run, 'best', 'model.safetensors'))).toBe(true);
    expect(readdirSync(run).some((f) => f.startsWith('events.out.tfevents.'))).toBe(true);
    const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(metrics.filter((m) => 'train/loss' in m).map((m) => m.step)).toEqual([4, 8, 12]);
    expect(metrics.some((m) => 'val/mrr/python' in m)).toBe(true);
    const test = JSON.parse(readFileSync(join(run, 'test-results.json'), 'utf8'));
    expect(test.languages.map((l: { language: string }) => l.language)).toEqual([
      'go',
      'java',
      'javascript',
      'php',
      'python',
      'ruby',
    ]);
    expect(test.mrr).toBeGreaterThan(0);
    expect(test.bm25Mrr).toBeGreaterThan(0);
    expect(result.search?.hits.length).toBe(3);
    expect(existsSync(join(run, 'test-split.index'))).toBe(true);
    expect(lines.join('\n')).toMatch(/validation before training/);
    // secora eval on the run's best checkpoint: the same protocol (read from the run's config.yml), the same number.
    const corpus = await defaultCorpus({ kind: 'debian-small' }); // tiny.yml's corpus
    const again = await runCommand(evalCommand, [join(run, 'best'), corpus.dir, '--split', 'test', '--json']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/protocol from .*e2e\/config\.yml: chunks of 32, seed 7/);
    const evaluated = JSON.parse(again.stdout);
    expect(evaluated.macro.csn.model).toBe(test.mrr);
    expect(evaluated.macro.csn.bm25).toBe(test.bm25Mrr);
    // The first run on a new machine also mines the small slice of the Debian corpus (seconds).
  }, 600_000);

  it('resumes exactly: stopped and resumed ends with the same weights as uninterrupted, past a half-written checkpoint', async () => {
    const out = outDir();
    const sets = [
      `output_dir=${out}`,
      'deterministic=true',
      'training.max_steps=8',
      'validation.interval=100',
      'evaluation.test=false',
      'evaluation.index=false',
      'checkpoint.interval=100',
    ];
    await train({ configFile: TINY, sets, name: 'straight', log: quiet });

    const first = await trainStoppedAt(3, { configFile: TINY, sets, name: 'interrupted', log: quiet });
    expect(first.steps).toBe(3);
    expect(first.stopped).toBe('SIGINT');
    // A crash mid-write of a later checkpoint leaves a folder without its DONE marker: it must be passed over.
    const broken = join(out, 'interrupted', 'checkpoints', 'step-000005');
    mkdirSync(broken);
    writeFileSync(join(broken, 'model.safetensors'), 'partial');
    const lines: string[] = [];
    const second = await train({ configFile: TINY, sets, resume: 'interrupted', log: (l) => lines.push(l) });
    expect(second.steps).toBe(8);
    expect(lines.join('\n')).toMatch(/skipping .*step-000005: no DONE marker/);
    expect(lines.join('\n')).toMatch(/resuming from .*step-000003 \(step 3\)/);
    expectSameCheckpoint(out, 'straight', 'interrupted', 8);
  }, 240_000);

  it('refuses a bad config before anything runs, naming file, line and key', () => {
    const dir = outDir();
    const file = join(dir, 'bad.yml');
    writeFileSync(file, `output_dir: ${dir}\ntraining:\n  max_steps: 5\n  lr: 0\n`);
    const run = spawnSync(process.execPath, [join(packageRoot, 'bin', 'secora-train.js'), file], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${file}:4: training.lr: 0 is not allowed`);
    expect(readdirSync(dir)).toEqual(['bad.yml']);
  });

  function startCli(
    out: string,
    name: string,
    extra: string[] = [],
  ): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
    const child = spawn(
      process.execPath,
      [
        join(packageRoot, 'bin', 'secora-train.js'),
        TINY,
        '--name',
        name,
        '--set',
        `output_dir=${out}`,
        '--set',
        'training.max_steps=100000',
        '--set',
        'training.log_interval=1',
        '--set',
        'validation.interval=100000',
        ...extra,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    child.stdout!.on('data', (d) => (text += d));
    child.stderr!.on('data', (d) => (text += d));
    const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    return { child, output: () => text, exit };
  }

  async function waitFor(output: () => string, pattern: RegExp): Promise<void> {
    for (let i = 0; i < 1200 && !pattern.test(output()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(output()).toMatch(pattern);
  }

  it('on SIGINT finishes the step, writes a checkpoint and exits; a second signal exits at once', async () => {
    const out = outDir();
    // Built once so the CLI runs the current code.
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: packageRoot });
    // No periodic checkpoint (tiny.yml writes one every 6 steps, which fast steps reach before the signal lands):
    // the one checkpoint is the signal's.
    const one = startCli(out, 'signal', ['--set', 'checkpoint.interval=100000']);
    await waitFor(one.output, /step 2\/100000/);
    one.child.kill('SIGINT');
    expect(await one.exit).toBe(130);
    expect(one.output()).toMatch(/SIGINT: stopping at step \d+/);
    const ckpts = readdirSync(join(out, 'signal', 'checkpoints')).filter((n) => n.startsWith('step-'));
    expect(ckpts).toHaveLength(1);
    expect(existsSync(join(out, 'signal', 'checkpoints', ckpts[0]!, 'DONE'))).toBe(true);

    // Steps of a second or so, so that the second signal lands while one is running.
    const slow = [
      'model.hidden_size=256',
      'model.num_layers=4',
      'model.intermediate_size=1024',
      'training.batch_size=64',
    ];
    const two = startCli(
      out,
      'signal-twice',
      slow.flatMap((s) => ['--set', s]),
    );
    await waitFor(two.output, /step 2\/100000/);
    two.child.kill('SIGINT');
    await waitFor(two.output, /SIGINT: finishing this step/);
    two.child.kill('SIGINT');
    expect(await two.exit).toBe(130);
    expect(two.output()).toMatch(/SIGINT again: exiting now/);
    // Whatever was written is either complete or in a temporary folder that is never loaded.
    const dir = join(out, 'signal-twice', 'checkpoints');
    for (const n of readdirSync(dir).filter((n) => n.startsWith('step-')))
      expect(existsSync(join(dir, n, 'DONE'))).toBe(true);
  }, 240_000);
});
