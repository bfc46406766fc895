// Where this process stands in a data-parallel run, read from the variables torchrun, Kubernetes operators and
// our own launcher set (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK), or from SLURM's (srun sets
// SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID; the job script exports MASTER_ADDR and MASTER_PORT).

export interface DistEnv {
  masterAddr: string;
  masterPort: number;
  worldSize: number;
  rank: number;
  /** This process's index on its machine: picks the GPU with --device cuda. */
  localRank: number;
  /** Which variables it came from, for messages. */
  source: 'torchrun' | 'slurm';
  /**
   * torchrun's agent already hosts the store at MASTER_ADDR:MASTER_PORT (TORCHELASTIC_USE_AGENT_STORE=True):
   * every rank joins it as a client, under this attempt's prefix. Absent: rank 0 hosts the store.
   */
  agentStore?: { prefix: string };
}

/** A variable that is set but wrong, named with its value and what is allowed. */
export class DistEnvError extends Error {
  override readonly name = 'DistEnvError';
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, min: number): number {
  const text = env[name]!;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new DistEnvError(
      `${name}=${JSON.stringify(text)} is not allowed: expected a whole number >= ${min}`,
    );
  }
  return n;
}

const set = (env: NodeJS.ProcessEnv, name: string) => (env[name] ?? '').trim() !== '';

/**
 * The run's place from the environment, or null for one process (no WORLD_SIZE, or WORLD_SIZE=1, and no
 * multi-task SLURM step). Throws DistEnvError naming the variable at fault.
 */
export function distEnvFrom(env: NodeJS.ProcessEnv = process.env): DistEnv | null {
  let source: DistEnv['source'] = 'torchrun';
  let worldSize: number;
  let rank: number;
  let localRank: number;
  if (set(env, 'WORLD_SIZE')) {
    worldSize = wholeNumber(env, 'WORLD_SIZE', 1);
    if (worldSize === 1) return null;
    if (!set(env, 'RANK')) throw new DistEnvError(`WORLD_SIZE=${worldSize} is set but RANK is not`);
    rank = wholeNumber(env, 'RANK', 0);
    localRank = set(env, 'LOCAL_RANK') ? wholeNumber(env, 'LOCAL_RANK', 0) : rank;
  } else if (set(env, 'SLURM_NTASKS') && set(env, 'SLURM_PROCID')) {
    worldSize = wholeNumber(env, 'SLURM_NTASKS', 1);
    if (worldSize === 1) return null;
    source = 'slurm';
    rank = wholeNumber(env, 'SLURM_PROCID', 0);
    localRank = set(env, 'SLURM_LOCALID') ? wholeNumber(env, 'SLURM_LOCALID', 0) : 0;
  } else {
    return null;
  }
  const rankName = source === 'slurm' ? 'SLURM_PROCID' : 'RANK';
  const worldName = source === 'slurm' ? 'SLURM_NTASKS' : 'WORLD_SIZE';
  if (rank >= worldSize) {
    throw new DistEnvError(`${rankName}=${rank} is not allowed: it must be below ${worldName}=${worldSize}`);
  }
  for (const name of ['MASTER_ADDR', 'MASTER_PORT']) {
    if (!set(env, name)) {
      throw new DistEnvError(
        `${name} is not set (${worldName}=${worldSize}): set MASTER_ADDR to rank 0's host and MASTER_PORT to a free port there`,
      );
    }
  }
  const masterPort = wholeNumber(env, 'MASTER_PORT', 1);
  if (masterPort > 65535)
    throw new DistEnvError(`MASTER_PORT=${masterPort} is not allowed: expected 1..65535`);
  const out: DistEnv = {
    masterAddr: env['MASTER_ADDR']!.trim(),
    masterPort,
    worldSize,
    rank,
    localRank,
    source,
  };
  if (env['TORCHELASTIC_USE_AGENT_STORE'] === 'True') {
    // As PyTorch's env:// rendezvous does: the keys of each restart of the workers apart.
    out.agentStore = { prefix: `/worker/attempt_${env['TORCHELASTIC_RESTART_COUNT'] ?? '0'}` };
  }
  return out;
}
