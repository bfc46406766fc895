// The evaluation settings of the run a checkpoint came from: `secora eval runs/x/best` ranks with the same
// chunks, seed and token lengths as that run's validation and test did, so it gives the same number.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '../config/config.js';

export interface RunProtocol {
  /** The run's config.yml. */
  file: string;
  chunkSize: number;
  seed: number;
  maxQueryLength: number;
  maxCodeLength: number;
}

/** The run's config.yml beside a checkpoint (runs/x/best -> runs/x/checkpoints/step-N), if there is one. */
export function runConfigOf(modelDir: string): string | undefined {
  if (!existsSync(modelDir)) return undefined;
  const real = realpathSync(modelDir);
  for (const dir of [modelDir, dirname(modelDir), dirname(real), dirname(dirname(real))]) {
    const file = join(dir, 'config.yml');
    if (existsSync(file)) return file;
  }
  return undefined;
}

export function runProtocol(modelDir: string): RunProtocol | undefined {
  const file = runConfigOf(modelDir);
  if (!file) return undefined;
  const config = loadConfig(file);
  return {
    file,
    chunkSize: config.validation.distractors + 1,
    seed: config.seed,
    maxQueryLength: config.data.max_query_length,
    maxCodeLength: config.data.max_code_length,
  };
}
