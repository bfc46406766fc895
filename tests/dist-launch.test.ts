// The data-parallel environment (torchrun's and SLURM's variables) and the launcher, with plain Node workers:
// the variables each worker gets, output prefixed by rank, and one failing worker ending the others.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { distEnvFrom } from '../src/parallel/env.js';
import { launch } from '../src/parallel/launcher.js';

describe('distEnvFrom', () => {
  it('is null for one process', () => {
    expect(distEnvFrom({})).toBeNull();
    expect(distEnvFrom({ WORLD_SIZE: '1', RANK: '0' })).toBeNull();
    expect(distEnvFrom({ SLURM_NTASKS: '1', SLURM_PROCID: '0' })).toBeNull();
  });

  it("reads torchrun's variables", () => {
    expect(
      distEnvFrom({
        MASTER_ADDR: 'node1',
        MASTER_PORT: '29500',
        WORLD_SIZE: '4',
        RANK: '3',
        LOCAL_RANK: '1',
      }),
    ).toEqual({
      masterAddr: 'node1',
      masterPort: 29500,
      worldSize: 4,
      rank: 3,
      localRank: 1,
      source: 'torchrun',
    });
  });

  it("joins torchrun's agent store when torchrun hosts it", () => {
    const env = {
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: '29500',
      WORLD_SIZE: '2',
      RANK: '0',
      TORCHELASTIC_USE_AGENT_STORE: 'True',
      TORCHELASTIC_RESTART_COUNT: '1',
    };
    expect(distEnvFrom(env)?.agentStore).toEqual({ prefix: '/worker/attempt_1' });
  });

  it("reads srun's variables, with MASTER_ADDR and MASTER_PORT from the job script", () => {
    const env = {
      MASTER_ADDR: 'n0',
      MASTER_PORT: '29400',
      SLURM_NTASKS: '8',
      SLURM_PROCID: '5',
      SLURM_LOCALID: '1',
    };
    expect(distEnvFrom(env)).toMatchObject({ worldSize: 8, rank: 5, localRank: 1, source: 'slurm' });
  });

  it('names the variable at fault', () => {
    expect(() => distEnvFrom({ WORLD_SIZE: 'two', RANK: '0' })).toThrow(/WORLD_SIZE="two" is not allowed/);
    expect(() => distEnvFrom({ WORLD_SIZE: '2' })).toThrow(/RANK is not/);
    expect(() => distEnvFrom({ WORLD_SIZE: '2', RANK: '2', MASTER_ADDR: 'a', MASTER_PORT: '1' })).toThrow(
      /RANK=2 is not allowed: it must be below WORLD_SIZE=2/,
    );
    expect(() => distEnvFrom({ WORLD_SIZE: '2', RANK: '1', MASTER_PORT: '1' })).toThrow(
      /MASTER_ADDR is not set/,
    );
    expect(() => distEnvFrom({ WORLD_SIZE: '2', RANK: '1', MASTER_ADDR: 'a', MASTER_PORT: '70000' })).toThrow(
      /MASTER_PORT=70000/,
    );
  });
});

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk, _e, done) {
        text += chunk;
        done();
      },
    }),
    text: () => text,
  };
}

describe('launch', () => {
  it("gives each worker torchrun's variables and a free port; rank 0's output unchanged, the others' prefixed", async () => {
    const out = sink();
    const script =
      "const e = process.env; console.log([e.MASTER_ADDR, e.MASTER_PORT, e.WORLD_SIZE, e.RANK, e.LOCAL_RANK, e.LOCAL_WORLD_SIZE].join(' '))";
    const r = await launch({
      nproc: 3,
      command: process.execPath,
      args: ['-e', script],
      stdout: out.stream,
      stderr: out.stream,
    });
    expect(r).toMatchObject({ code: 0, failedRank: null, message: null });
    const lines = out.text().trim().split('\n');
    const port = /rendezvous at 127\.0\.0\.1:(\d+)/.exec(out.text())![1];
    expect(Number(port)).toBeGreaterThan(0);
    expect(lines).toContain(`127.0.0.1 ${port} 3 0 0 3`);
    expect(lines).toContain(`[rank 1] 127.0.0.1 ${port} 3 1 1 3`);
    expect(lines).toContain(`[rank 2] 127.0.0.1 ${port} 3 2 2 3`);
  });

  it('ends the other workers when one fails, and names the failed rank', async () => {
    const out = sink();
    // Rank 1 fails at once; rank 0 would run for a minute.
    const script = "if (process.env.RANK === '1') process.exit(3); setTimeout(() => {}, 60000)";
    const t0 = performance.now();
    const r = await launch({
      nproc: 2,
      command: process.execPath,
      args: ['-e', script],
      stdout: out.stream,
      stderr: out.stream,
      graceSeconds: 2,
    });
    expect((performance.now() - t0) / 1000).toBeLessThan(20);
    expect(r.code).toBe(3);
    expect(r.failedRank).toBe(1);
    expect(r.message).toMatch(/^worker rank 1 \(pid \d+\) exited with code 3; ending the other 1$/);
  });
});
