// SIGINT during start-up (data, tokenizer training, the baseline validation): nothing is worth saving yet, so
// the run ends at once (the signal's default action: start-up runs long synchronous work, during which a
// JavaScript handler would wait) instead of after start-up, and leaves no checkpoint.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root.js';
import { buildTrainCli } from './fault-kit.js';

const out = mkdtempSync(join(tmpdir(), 'secora-faults-signal-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('signals during start-up', () => {
  it('ends at once on SIGINT before the first step, with no checkpoint written', async () => {
    const cli = buildTrainCli('signal');
    // A long start-up: a big baseline validation (thousands of queries) before the first step.
    const sets = [
      `output_dir=${out}`,
      'validation.max_queries=4000',
      'validation.distractors=999',
      'training.max_steps=1000',
    ];
    const child = spawn(
      process.execPath,
      [
        cli,
        join(packageRoot, 'configs', 'tiny.yml'),
        '--name',
        'early',
        ...sets.flatMap((s) => ['--set', s]),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    child.stdout!.on('data', (d) => (text += d));
    child.stderr!.on('data', (d) => (text += d));
    const exit = new Promise<{ code: number | null; signal: string | null }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal })),
    );
    // The first line of a run names its folder; the signal lands in start-up, before the first step.
    for (let i = 0; i < 12000 && !/^run /m.test(text); i++) await new Promise((r) => setTimeout(r, 20));
    expect(text).toMatch(/^run /m);
    const sent = performance.now();
    child.kill('SIGINT');
    expect(await exit).toEqual({ code: null, signal: 'SIGINT' });
    expect(performance.now() - sent).toBeLessThan(5000);
    expect(text).not.toMatch(/validation before training|step 1\//);
    const checkpoints = join(out, 'early', 'checkpoints');
    expect(existsSync(checkpoints) ? readdirSync(checkpoints) : []).toEqual([]);
  }, 600_000);
});
