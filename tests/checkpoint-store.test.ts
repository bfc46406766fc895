import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointStore, checkpointName, readTrainerState } from '../src/train/checkpoint-store.js';

const write = (content: string) => async (dir: string) => writeFileSync(join(dir, 'model.bin'), content);

describe('CheckpointStore', () => {
  it('writes complete checkpoints, rotates them and keeps the best', async () => {
    const run = mkdtempSync(join(tmpdir(), 'secora-ckpt-'));
    const store = new CheckpointStore(run, 2);
    await store.save(10, { step: 10 }, write('a'), { best: true });
    await store.save(20, { step: 20 }, write('b'));
    await store.save(30, { step: 30 }, write('c'));
    const { complete } = store.list();
    // keep = 2 newest, plus step 10 because it is the best.
    expect(complete.map((c) => c.step)).toEqual([10, 20, 30]);
    await store.save(40, { step: 40 }, write('d'), { best: true });
    expect(store.list().complete.map((c) => c.step)).toEqual([30, 40]);
    expect(store.best()?.step).toBe(40);
    expect(readFileSync(join(run, 'best', 'model.bin'), 'utf8')).toBe('d');
    expect(readTrainerState<{ step: number }>(store.latest().checkpoint!.dir).step).toBe(40);
  });

  it('never loads a half-written checkpoint and says which one it passed over', async () => {
    const run = mkdtempSync(join(tmpdir(), 'secora-ckpt-'));
    const store = new CheckpointStore(run, 3);
    await store.save(100, { step: 100 }, write('good'));
    // A crash after the folder was renamed but without its marker (or any folder made by hand).
    const broken = join(run, 'checkpoints', checkpointName(200));
    mkdirSync(broken);
    writeFileSync(join(broken, 'model.bin'), 'partial');
    const { checkpoint, skipped } = store.latest();
    expect(checkpoint?.step).toBe(100);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.dir).toBe(broken);
    expect(skipped[0]!.reason).toMatch(/no DONE marker/);
  });

  it('leaves the previous checkpoint intact when writing fails, and cleans temporary folders', async () => {
    const run = mkdtempSync(join(tmpdir(), 'secora-ckpt-'));
    const store = new CheckpointStore(run, 3);
    await store.save(1, { step: 1 }, write('one'));
    await expect(
      store.save(2, { step: 2 }, async () => {
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(store.list().complete.map((c) => c.step)).toEqual([1]);
    mkdirSync(join(run, 'checkpoints', '.tmp-step-000003-1-2'));
    expect(store.cleanTemporary()).toEqual(['.tmp-step-000003-1-2']);
    expect(existsSync(join(run, 'checkpoints', '.tmp-step-000003-1-2'))).toBe(false);
  });

  it('replaces a checkpoint of the same step', async () => {
    const run = mkdtempSync(join(tmpdir(), 'secora-ckpt-'));
    const store = new CheckpointStore(run, 3);
    await store.save(5, { step: 5, v: 1 }, write('x'));
    await store.save(5, { step: 5, v: 2 }, write('y'));
    expect(readTrainerState<{ v: number }>(store.latest().checkpoint!.dir).v).toBe(2);
  });
});
