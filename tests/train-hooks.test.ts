// What a supervisor (the hyperparameter search) needs from a run: a config object instead of a file,
// exclusive run folders, result.json at the end, and a diverged loss ending the run with its own exit code.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/train.js';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { packageRoot } from '../src/native.js';
import { createRunFolder } from '../src/train/run-folder.js';
import { DivergedError } from '../src/train/run-result.js';
import { train } from '../src/train/trainer.js';

const TINY = join(packageRoot, 'configs', 'tiny.yml');
const quiet = () => {};
const outDir = () => mkdtempSync(join(tmpdir(), 'secora-hooks-'));

describe('trainer hooks', () => {
  it('creates run folders exclusively: the same name twice gives a suffixed second folder', () => {
    const out = outDir();
    const wanted = join(out, 'nested', 'tiny-20261201-120000');
    const made = Array.from({ length: 3 }, () => createRunFolder(wanted));
    expect(made).toEqual([wanted, `${wanted}-2`, `${wanted}-3`]);
    expect(readdirSync(join(out, 'nested')).sort()).toEqual([
      'tiny-20261201-120000',
      'tiny-20261201-120000-2',
      'tiny-20261201-120000-3',
    ]);
  });

  it('trains from a config object and writes result.json; refuses a bad object with its key', async () => {
    const out = outDir();
    const config = loadConfig(TINY, [
      `output_dir=${out}`,
      'training.max_steps=4',
      'validation.interval=2',
      'evaluation.test=false',
      'evaluation.index=false',
      'checkpoint.interval=100',
    ]);
    const result = await train({ config: { ...config, name: 'obj' }, log: quiet });
    expect(result.runDir).toBe(join(out, 'obj'));
    const saved = JSON.parse(readFileSync(join(out, 'obj', 'result.json'), 'utf8'));
    expect(saved).toMatchObject({ status: 'completed', steps: 4, totalSteps: 4 });
    expect(saved.lastValidation.step).toBe(4);
    expect(saved.best.mrr).toBeGreaterThan(0);
    expect(readdirSync(join(out, 'obj')).some((f) => f.includes('.tmp-'))).toBe(false);
    // Intermediate validation scores, machine-readable while the run goes on.
    const val = readFileSync(join(out, 'obj', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((m) => 'val/mrr' in m)
      .map((m) => m.step);
    expect(val).toEqual([0, 2, 4]);
    await expect(
      train({ config: { ...config, training: { ...config.training, lr: -1 } }, log: quiet }),
    ).rejects.toThrow(ConfigError);
    await expect(
      train({ config: { ...config, training: { ...config.training, lr: -1 } }, log: quiet }),
    ).rejects.toThrow(/training.lr: -1 is not allowed/);
  }, 600_000);

  it('ends a diverged run as failed: result.json says so and secora-train exits with 3', async () => {
    const out = outDir();
    const sets = [
      `output_dir=${out}`,
      'training.max_loss=0.01',
      'evaluation.test=false',
      'evaluation.index=false',
    ];
    await expect(train({ configFile: TINY, sets, name: 'diverged', log: quiet })).rejects.toThrow(
      DivergedError,
    );
    const saved = JSON.parse(readFileSync(join(out, 'diverged', 'result.json'), 'utf8'));
    expect(saved).toMatchObject({ status: 'failed', reason: 'diverged', steps: 1 });
    expect(saved.message).toMatch(/training diverged at step 1: loss \d/);

    // The command line maps it to its own exit code (main is what bin/secora-train.js runs).
    const stderr = process.stderr.write;
    let said = '';
    process.stderr.write = ((chunk: string) => {
      said += chunk;
      return true;
    }) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main([TINY, '--name', 'cli', ...sets.flatMap((s) => ['--set', s])]);
    } finally {
      process.stderr.write = stderr;
    }
    expect(said).toMatch(/training diverged at step 1/);
    expect(code).toBe(3);
    expect(existsSync(join(out, 'cli', 'result.json'))).toBe(true);
  }, 600_000);
});
