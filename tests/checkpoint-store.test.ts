import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointStore, checkpointName, readTrainerState } from '../src/train/checkpoint-store.js';

const write = (content: string) => async (dir: string) => writeFileSync(join(dir, 'model.bin'), content);

/** A trainer state of the shape a checkpoint must hold (the store refuses any other). */
function trainerState(step: number, extra: object = {}) {
  const order = {
    seed: 1,
    batchSize: 4,
    worldSize: 1,
    rank: 0,
    shuffle: true,
    shuffleBuffer: 8,
    bucketPool: 0,
    maxRecords: null,
  };
  return {
    step,
    totalSteps: 1000,
    batcher: { epoch: 0, batchInEpoch: step, step, order },
    rng: 'AAAA',
    best: null,
    tokensSeen: 0,
    config: {},
    ...extra,
  };
}

describe('CheckpointStore', () => {
  it('writes complete checkpoints, rotates them and keeps the best', async () => {
    const run = mkdtempSync(join(tmpdir(), 'secora-ckpt-'));
    const store = new CheckpointStore(run, 2);
    await store.save(10, trainerState(10), write('a'), { best: true });
    await store.save(20, trainerState(20), write('b'));
    await store.save(30, trainerState(30), write('c'));
    const { complete } = store.list();
    // keep = 2 newest, plus step 10 because it is the best.
    expect(complete.map((c) => c.step)).toEqual([10, 20, 30]);
    await store.save(40, trainerState(40), write('d'), { best: true });
    expect(store.list().complete.map((c) => c.step)).toEqual([30, 40]);
    expect(store.best()?.step).toBe(40);
    expect(readFileSync(join(run, 'best', 'model.bin'), 'utf8')).toBe('d');
    expect(readTrainerState<{ step: number }>(store.latest().checkpoint!.dir).step).toBe(40);
  });

  it('never loads a half-written checkpoint and says which one it passed over', async () => {
    const run = mkdtempSync(join(tmpdir(), 'secora-ckpt-'));
    const store = new CheckpointStore(run, 3);
    await store.save(100, trainerState(100), write('good'));
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
    await store.save(1, trainerState(1), write('one'));
    await expect(
      store.save(2, trainerState(2), async () => {
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
    await store.save(5, trainerState(5, { v: 1 }), write('x'));
    await store.save(5, trainerState(5, { v: 2 }), write('y'));
    expect(readTrainerState<{ v: number }>(store.latest().checkpoint!.dir).v).toBe(2);
  });

  it('checks every file against the manifest on resume and falls back past a damaged checkpoint', async () => {
    const run = mkdtempSync(join(tmpdir(), 'secora-ckpt-'));
    const store = new CheckpointStore(run, 3);
    await store.save(1, trainerState(1), write('first weights'));
    const newest = await store.save(2, trainerState(2), write('second weights'));
    // Same size, other bytes: only the sha256 can tell.
    writeFileSync(join(newest, 'model.bin'), 'secXnd weights');
    const { checkpoint, skipped } = store.latest();
    expect(checkpoint?.step).toBe(1);
    expect(skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/model\.bin fails its sha256 check/),
    ]);
    // A file cut short is found without hashing.
    writeFileSync(join(newest, 'model.bin'), 'second');
    expect(store.list().skipped[0]!.reason).toMatch(/model\.bin has 6 bytes, manifest\.json says 14/);
  });

  it('treats a trainer state of the wrong shape as a broken checkpoint', async () => {
    const run = mkdtempSync(join(tmpdir(), 'secora-ckpt-'));
    const store = new CheckpointStore(run, 5);
    await store.save(1, trainerState(1), write('a'));
    const { batcher: _, ...noBatcher } = trainerState(3);
    for (const [step, state, why] of [
      [2, trainerState(2, { step: 'x' }), /state\.step must be a whole number >= 0, got "x"/],
      [3, noBatcher, /state\.batcher must be an object/],
      [4, {}, /state\.step must be a whole number/],
      [5, trainerState(5, { rng: 'not base64!' }), /state\.rng must be base64/],
    ] as const) {
      await store.save(step, state, write('b'));
      const latest = store.latest();
      expect(latest.checkpoint?.step).toBe(1);
      expect(latest.skipped[0]!.reason).toMatch(why);
      expect(() => readTrainerState(join(run, 'checkpoints', checkpointName(step)))).toThrow(why);
    }
  });
});
