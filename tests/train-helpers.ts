// What the training tests share: the tiny config, a run stopped after a given step (as a SIGINT would), and
// the check that two runs end with byte-identical checkpoints.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { packageRoot } from '../src/native.js';
import { StopRequest } from '../src/train/stop-signal.js';
import { type TrainOptions, type TrainResult, train } from '../src/train/trainer.js';

export const TINY = join(packageRoot, 'configs', 'tiny.yml');
export const quiet = () => {};

/** A run of `options` asked to stop (SIGINT) once `step` optimizer steps are done. */
export function trainStoppedAt(step: number, options: TrainOptions): Promise<TrainResult> {
  const stop = new StopRequest(quiet, quiet);
  return train({
    ...options,
    stop,
    onStep: (s) => {
      if (s === step) stop.request('SIGINT');
    },
  });
}

/** The model and optimizer files of step `step`'s checkpoint are the same bytes in both runs under `out`. */
export function expectSameCheckpoint(out: string, runA: string, runB: string, step: number): void {
  const dir = `step-${String(step).padStart(6, '0')}`;
  for (const f of ['model.safetensors', 'optimizer.safetensors']) {
    const a = readFileSync(join(out, runA, 'checkpoints', dir, f));
    const b = readFileSync(join(out, runB, 'checkpoints', dir, f));
    expect(b.equals(a), `${dir}/${f}`).toBe(true);
  }
}
