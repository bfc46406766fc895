// result.json: how a run ended, for programs (the hyperparameter search): written once at the end, atomically.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Exit codes of secora-train, so that a supervisor can tell failures apart without reading the log. */
export const EXIT = { ok: 0, error: 1, config: 2, diverged: 3, stopped: 130 } as const;

export type RunStatus = 'completed' | 'stopped' | 'failed';

export interface RunResult {
  status: RunStatus;
  /** Why a run failed: 'diverged' (NaN or too large a loss) or 'error'. */
  reason?: 'diverged' | 'error';
  message?: string;
  steps: number;
  totalSteps: number;
  best: { step: number; mrr: number } | null;
  /** The last validation MRR and its step. */
  lastValidation: { step: number; mrr: number } | null;
  testMrr?: number;
  stopped?: string | null;
  seconds: number;
}

/** The loss left the finite range (or max_loss): training on would waste the run. */
export class DivergedError extends Error {
  override readonly name = 'DivergedError';
  constructor(
    readonly step: number,
    readonly loss: number,
  ) {
    super(`training diverged at step ${step}: loss ${loss}`);
  }
}

export function writeRunResult(runDir: string, result: RunResult): void {
  const file = join(runDir, 'result.json');
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(temporary, file);
}
