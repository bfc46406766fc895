// The data-parallel group of a run, joined from the environment (src/parallel/env.ts): the c10d group in the
// native addon, and the few exchanges the trainer needs besides the gradients (a value from rank 0, every
// rank's small state, a barrier).
import { type NativeProcessGroup, native } from '../native.js';
import type { DistEnv } from './env.js';

export type DistBackend = 'gloo' | 'nccl';

export interface JoinOptions {
  backend: DistBackend;
  /** The rendezvous and each collective; a dead or silent peer ends the run after this long. */
  timeoutSeconds: number;
}

/**
 * How long the other ranks wait for rank 0's solo work (mining the corpus, training the tokenizer, validating):
 * no short limit, since rank 0 hosts the store and its death ends every wait at once.
 */
export const ROOT_WAIT_SECONDS = 24 * 3600;

/** gloo for CPU tensors; nccl for CUDA ones when the addon has it (auto), or as configured. */
export function chooseBackend(wanted: 'auto' | DistBackend, device: string): DistBackend {
  if (wanted !== 'auto') return wanted;
  return device.startsWith('cuda') && native().distributedBackends.includes('nccl') ? 'nccl' : 'gloo';
}

export class ProcessGroup {
  private constructor(
    readonly native: NativeProcessGroup,
    readonly env: DistEnv,
    readonly backend: DistBackend,
  ) {}

  /** Joins the group (rank 0 hosts the store); resolves when every rank has arrived, or fails after the timeout. */
  static async join(env: DistEnv, options: JoinOptions): Promise<ProcessGroup> {
    const available = native().distributedBackends;
    if (!available.includes(options.backend)) {
      throw new Error(
        `data-parallel backend ${options.backend} is not in this addon (it has: ${available.join(', ') || 'none'}); ` +
          'see `secora doctor`. Gloo needs libgloo-dev at build time (bash scripts/setup.sh); NCCL a CUDA libtorch',
      );
    }
    const group = new (native().NativeProcessGroup)({
      masterAddr: env.masterAddr,
      masterPort: env.masterPort,
      worldSize: env.worldSize,
      rank: env.rank,
      backend: options.backend,
      timeoutMs: Math.round(options.timeoutSeconds * 1000),
      ...(env.agentStore ? { rank0HostsStore: false, storePrefix: env.agentStore.prefix } : {}),
    });
    await group.connect();
    return new ProcessGroup(group, env, options.backend);
  }

  get rank(): number {
    return this.env.rank;
  }
  get worldSize(): number {
    return this.env.worldSize;
  }
  get isMain(): boolean {
    return this.env.rank === 0;
  }

  barrier(): Promise<void> {
    return this.native.barrier();
  }

  /** Rank 0's value on every rank (JSON); the others pass nothing and wait for it. */
  async fromRoot<T>(value: T | undefined, waitSeconds = ROOT_WAIT_SECONDS): Promise<T> {
    const bytes = this.isMain ? Buffer.from(JSON.stringify(value ?? null)) : null;
    const got = await this.native.fromRoot(bytes, Math.round(waitSeconds * 1000));
    return JSON.parse(Buffer.from(got).toString('utf8')) as T;
  }

  /** Every rank's bytes, in rank order. */
  allGatherBytes(bytes: Uint8Array): Promise<Uint8Array[]> {
    return this.native.allGatherBytes(bytes);
  }

  /** Wall seconds spent in collectives so far (waiting for slower ranks included). */
  get collectiveSeconds(): number {
    return this.native.collectiveSeconds;
  }

  close(): void {
    this.native.close();
  }
}
