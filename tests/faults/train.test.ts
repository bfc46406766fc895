// Damaged checkpoints and run folders, and runs stopped before their first checkpoint: a resume never trains on
// from damaged bytes, says what it passed over, and a run folder's files are never half-written.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Encoder } from '../../src/model/encoder.js';
import { packageRoot } from '../../src/native.js';
import { train } from '../../src/train/trainer.js';
import { corruptBytes, seeded } from './fault-kit.js';

const TINY = join(packageRoot, 'configs', 'tiny.yml');
const out = mkdtempSync(join(tmpdir(), 'secora-faults-train-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const quiet = () => {};
const SETS = [
  `output_dir=${out}`,
  'deterministic=true',
  'training.max_steps=4',
  'validation.interval=100',
  'evaluation.test=false',
  'evaluation.index=false',
  'checkpoint.interval=2',
  'checkpoint.keep=5',
];
const ckpt = (run: string, step: number) =>
  join(out, run, 'checkpoints', `step-${String(step).padStart(6, '0')}`);
const weights = (dir: string) => readFileSync(join(dir, 'model.safetensors'));

describe('checkpoint and run-folder faults', () => {
  it('falls back past a checkpoint whose weights fail their sha256, and ends equal to an unbroken run', async () => {
    await train({ configFile: TINY, sets: SETS, name: 'straight', log: quiet });
    await train({ configFile: TINY, sets: SETS, name: 'damaged', log: quiet });
    // 64 bytes of the newest weights and of its optimizer state flipped: before, both resumed silently.
    corruptBytes(join(ckpt('damaged', 4), 'model.safetensors'), seeded(1), 64, 200);
    await expect(Encoder.load(ckpt('damaged', 4))).rejects.toThrow(
      /step-000004: model\.safetensors fails its sha256 check \(manifest\.json\): the file is damaged; this checkpoint cannot be loaded/,
    );
    // The run's own config.yml and tokenizer.json emptied (a full disk mid-write before this fix): the
    // checkpoint's copies are used.
    writeFileSync(join(out, 'damaged', 'config.yml'), '');
    writeFileSync(join(out, 'damaged', 'tokenizer.json'), '');
    const lines: string[] = [];
    const resumed = await train({
      configFile: TINY,
      sets: SETS,
      resume: 'damaged',
      log: (l) => lines.push(l),
    });
    expect(lines.join('\n')).toMatch(/skipping .*step-000004: model\.safetensors fails its sha256 check/);
    expect(lines.join('\n')).toMatch(/resuming from .*step-000002 \(step 2\)/);
    expect(resumed.steps).toBe(4);
    expect(weights(ckpt('damaged', 4)).equals(weights(ckpt('straight', 4)))).toBe(true);
    expect(readFileSync(join(out, 'damaged', 'config.yml'), 'utf8')).toMatch(/max_steps: 4/);
  }, 300_000);

  it('a run stopped before its first checkpoint: --resume says so and offers --restart, which works', async () => {
    // What such a run leaves: the folder, its config, no checkpoint.
    const run = join(out, 'early');
    mkdirSync(join(run, 'checkpoints'), { recursive: true });
    writeFileSync(join(run, 'config.yml'), 'seed: 7\n');
    await expect(train({ configFile: TINY, sets: SETS, resume: 'early', log: quiet })).rejects.toThrow(
      /has no complete checkpoint, so there is nothing to resume .*--restart early/,
    );
    const again = await train({ configFile: TINY, sets: SETS, restart: 'early', log: quiet });
    expect(again.steps).toBe(4);
    // The name of a run with checkpoints is never started over.
    await expect(train({ configFile: TINY, sets: SETS, restart: 'early', log: quiet })).rejects.toThrow(
      /already holds a run with checkpoints/,
    );
  }, 300_000);

  it('refuses a --name that leaves output_dir, and an output_dir that cannot be made, at once', async () => {
    for (const name of ['../../x', '..', 'a/b']) {
      await expect(train({ configFile: TINY, sets: SETS, name, log: quiet }), name).rejects.toThrow(
        /--name .* is not allowed: a folder name/,
      );
    }
    expect(existsSync(join(out, '..', '..', 'x'))).toBe(false);
    // --restart removes only a folder that holds nothing but what a run writes.
    const mine = join(out, 'not-a-run');
    mkdirSync(mine);
    writeFileSync(join(mine, 'config.yml'), 'seed: 1\n');
    writeFileSync(join(mine, 'thesis.tex'), 'years of work');
    await expect(train({ configFile: TINY, sets: SETS, restart: mine, log: quiet })).rejects.toThrow(
      /does not look like a run folder \(.*thesis\.tex\); nothing was removed/,
    );
    expect(existsSync(join(mine, 'thesis.tex'))).toBe(true);
    const started = performance.now();
    // mkdirSync({ recursive: true }) looped for ever on this, deaf to SIGTERM.
    await expect(
      train({ configFile: TINY, sets: [...SETS, 'output_dir=/proc/secora-nowhere'], name: 'x', log: quiet }),
    ).rejects.toThrow(
      /cannot create the output folder \/proc\/secora-nowhere: \/proc\/secora-nowhere: ENOENT/,
    );
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
