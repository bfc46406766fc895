// The randomized faults, bounded for CI (bench/faults.ts runs many more): SIGKILLs at random moments of a tiny
// deterministic run, half of them while a checkpoint is being written, each resumed, must end byte-equal to the
// uninterrupted run; random corruptions of its checkpoint must never be resumed from or loaded. Seeded: the
// seed is printed, SECORA_FAULT_SEED replays it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { faultSeed, seeded } from './fault-kit.js';
import { corruptCheckpoints, killedRun, straightRun } from './kill-kit.js';

const out = mkdtempSync(join(tmpdir(), 'secora-faults-kill-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('randomized faults', () => {
  it('random SIGKILLs, resumed, end equal to the uninterrupted run; corrupted checkpoints are never used', async () => {
    const seed = faultSeed();
    console.log(`kill/corruption seed ${seed} (replay: SECORA_FAULT_SEED=${seed})`);
    const random = seeded(seed);
    const reference = await straightRun(out);
    const kills = await killedRun(out, 'killed', 2, random, reference);
    expect(kills.kills).toBeGreaterThan(0);
    expect(kills.equal, `seed ${seed}: ${JSON.stringify(kills)}`).toBe(true);

    const checkpoint = join(out, 'straight', 'checkpoints', 'step-000006');
    const corrupt = await corruptCheckpoints(checkpoint, join(out, 'scratch'), 12, random);
    expect(corrupt.missed, `seed ${seed}`).toEqual([]);
    expect(corrupt.refusedOnResume).toBe(corrupt.tries);
    expect(corrupt.refusedOnLoad).toBe(corrupt.loadTries);
  }, 900_000);
});
