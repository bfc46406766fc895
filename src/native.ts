// The one place that loads the native addon (build-native/Release/secora.node). When loading fails, the
// error says why and which command fixes it.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { EncoderConfig } from './model/config.js';
import { packageRoot } from './package-root.js';

/** One CUDA device as the addon sees it. */
export interface CudaDeviceInfo {
  index: number;
  name: string;
  /** Compute capability, e.g. "9.0". */
  capability: string;
  /** Whether bf16 matmuls run at full rate (capability 8.0 or newer). */
  bf16: boolean;
}

/** What the addon was built with and what it sees at run time. */
export interface BuildInfo {
  torchVersion: string;
  /** The accelerator the linked libtorch drives: cpu, cuda or rocm. */
  backend: 'cpu' | 'cuda' | 'rocm';
  cxx11Abi: boolean;
  /** Whether this libtorch has the fused scaled_dot_product_attention (2.x). */
  hasSdpa: boolean;
  mkldnn: boolean;
  openmp: boolean;
  threads: number;
  interopThreads: number;
  cudaAvailable: boolean;
  cudaDevices: CudaDeviceInfo[];
  /** Whether a bf16 matmul runs on the CPU (the kernels exist; speed depends on the processor). */
  cpuBf16: boolean;
  /** libtorch's own at::show_config(). */
  config: string;
}

/** A batch as the addon takes it (src/data/token-batch.ts). */
export interface NativeTokenBatch {
  inputIds: Int32Array;
  attentionMask: Uint8Array;
  tokenTypeIds?: Int32Array;
  batchSize: number;
  seqLen: number;
}

/** The encoder's sizes as native/encoder_config.h reads them: the same object as the TypeScript config. */
export type NativeEncoderConfig = EncoderConfig;

export interface NativeOptimizerSettings {
  weightDecay?: number;
  betas?: [number, number];
  eps?: number;
}

export interface NativeEncoderOptions {
  config: NativeEncoderConfig;
  device?: string;
  dtype?: 'float32' | 'float64';
  precision?: 'fp32' | 'bf16' | 'fp16';
  seed?: number;
  /** false: embedding only; training is refused and no optimizer state is allocated. Default true. */
  trainable?: boolean;
  optimizer?: NativeOptimizerSettings;
}

export interface NativeTrainStepArgs {
  objective: 'simcse' | 'pairs';
  a: NativeTokenBatch;
  b?: NativeTokenBatch;
  temperature: number;
  symmetric?: boolean;
  microBatch?: number;
  lr: number;
  maxGradNorm?: number;
  /** false: stop with the gradients on the parameters, no update (tests, inspection). */
  apply?: boolean;
  /** Data parallel: this rank wants to stop after this step; every rank learns it in stopRequested. */
  requestStop?: boolean;
}

export interface NativeTrainStepResult {
  loss: number;
  accuracy: number;
  gradNorm: number;
  lossScale: number;
  skipped: boolean;
  /** requestStop of this or (data parallel) any rank. */
  stopRequested: boolean;
}

/** One encoder in native memory (native/native_encoder.cc). Slow calls return Promises; one at a time. */
export interface NativeEncoder {
  embed(batch: NativeTokenBatch): Promise<Float32Array>;
  hiddenStates(batch: NativeTokenBatch): Promise<Float64Array>;
  trainStep(args: NativeTrainStepArgs): Promise<NativeTrainStepResult>;
  loadWeights(path: string): Promise<{ ignored: string[] }>;
  saveWeights(path: string): Promise<void>;
  saveOptimizer(path: string): Promise<void>;
  loadOptimizer(path: string): Promise<void>;
  weightsBytes(): Promise<Buffer>;
  configureOptimizer(settings: NativeOptimizerSettings): void;
  getRngState(): Uint8Array;
  setRngState(state: Uint8Array): void;
  /** Joins a data-parallel group: rank 0's weights here, dropout seeded per rank, gradients averaged. */
  attachProcessGroup(group: NativeProcessGroup, gatherNegatives: boolean): Promise<void>;
  parameterNames(): string[];
  getParameter(name: string): Float64Array;
  getGradient(name: string): Float64Array | null;
  setParameter(name: string, values: Float64Array): void;
  /** Bytes held by the weights, the gradient buffer and the optimizer's moments (0 until training needs them). */
  memoryAtRest(): { parameters: number; gradients: number; optimizer: number };
  dispose(): void;
  readonly device: string;
  readonly dim: number;
}

export interface NativeProcessGroupOptions {
  masterAddr: string;
  masterPort: number;
  worldSize: number;
  rank: number;
  backend: 'gloo' | 'nccl';
  /** Rendezvous and each collective. */
  timeoutMs: number;
  /** false: someone else (torchrun's agent) hosts the store, so rank 0 joins it as a client. Default true. */
  rank0HostsStore?: boolean;
  /** A prefix for every key of this group in the store. */
  storePrefix?: string;
}

/** A c10d process group (native/native_process_group.cc); connect() is the rendezvous. */
export interface NativeProcessGroup {
  connect(): Promise<void>;
  barrier(): Promise<void>;
  /** Every rank's bytes, in rank order (through the store). */
  allGatherBytes(bytes: Uint8Array): Promise<Uint8Array[]>;
  /** Rank 0's bytes on every rank; the others wait up to timeoutMs (rank 0's death ends the wait at once). */
  fromRoot(bytes: Uint8Array | null, timeoutMs: number): Promise<Uint8Array>;
  close(): void;
  /** Wall seconds spent in collectives so far (waiting for slower ranks included). */
  readonly collectiveSeconds: number;
}

/** The functions and classes the addon exports. Parts of native/ add theirs here. */
export interface NativeAddon {
  abiVersion: number;
  buildInfo(): BuildInfo;
  setNumThreads(n: number): void;
  /** Deterministic kernels, process-wide (libtorch's global switch). */
  setDeterministic(on: boolean): void;
  /** Padded batches that are pooled run on their real tokens only (default on; CPU): process-wide. */
  setPaddingRemoval(on: boolean): void;
  /** Every new CPU tensor filled with a NaN pattern (c10's junk fill), process-wide: reads of unwritten memory show. */
  setJunkFill(on: boolean): void;
  /**
   * The cache of large CPU blocks (native/cpu_allocator.h), process-wide: the most bytes it keeps free for
   * reuse; 0 turns it off. Set at load from SECORA_CPU_CACHE_MB (default 1024 MiB).
   */
  setCpuCacheLimit(bytes: number): void;
  cpuCacheStats(): {
    hits: number;
    misses: number;
    cachedBytes: number;
    liveBytes: number;
    limitBytes: number;
  };
  getNumThreads(): number;
  NativeEncoder: new (options: NativeEncoderOptions) => NativeEncoder;
  NativeProcessGroup: new (options: NativeProcessGroupOptions) => NativeProcessGroup;
  /** The c10d backends this addon was built with: 'gloo', 'nccl'; empty without c10d. */
  distributedBackends: string[];
  /** GFLOP/s of size×size matmuls on the calling thread (benchmarks). */
  matmulRate(options?: {
    size?: number;
    dtype?: 'fp64' | 'fp32' | 'bf16' | 'fp16';
    device?: string;
    iterations?: number;
  }): number;
  /**
   * The dropout mask secora draws (native/dropout.h) for `size` entries from a generator seeded with `seed`,
   * and the seconds per mask of it and of libtorch's bernoulli_ (median of `rounds`; tests and benchmarks).
   */
  dropoutMask(options?: { size?: number; p?: number; seed?: number; rounds?: number }): {
    mask: Float32Array;
    seconds: number;
    bernoulliSeconds: number;
  };
}

/** The addon's ABI version this TypeScript expects; native/addon.cc sets the other side. */
export const EXPECTED_ABI_VERSION = 4;

export { packageRoot };

/** Where the addon is looked for: SECORA_ADDON, else the build folder of this package. */
export function addonPath(env: NodeJS.ProcessEnv = process.env): string {
  return env['SECORA_ADDON'] ?? join(packageRoot, 'build-native', 'Release', 'secora.node');
}

export type AddonFailure =
  | 'not-built'
  | 'libtorch-missing'
  | 'library-missing'
  | 'abi-mismatch'
  | 'bad-setting'
  | 'unknown';

/** Raised when the addon cannot be loaded; `reason` classifies the cause and `fix` is the command to run. */
export class NativeLoadError extends Error {
  override readonly name = 'NativeLoadError';
  constructor(
    message: string,
    readonly reason: AddonFailure,
    readonly fix: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const BUILD = 'npm run build:native';
const SETUP = 'bash scripts/setup.sh';

/** Turns a failed load (the path tried, the error dlopen or Node gave) into a message that says why and what to run. */
export function explainLoadFailure(path: string, error: unknown): NativeLoadError {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | null)?.code;
  const missing = /(lib[\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(text);
  if (missing) {
    const lib = missing[1]!;
    if (/^lib(torch|c10|caffe2)/.test(lib)) {
      return new NativeLoadError(
        `secora's native addon cannot find libtorch (${lib}), which it was built against. ` +
          'Install it (Debian/Ubuntu: apt-get install -y libtorch-dev) or, for a libtorch of your own, ' +
          `set SECORA_TORCH_DIR to it and rebuild: ${BUILD}`,
        'libtorch-missing',
        `apt-get install -y libtorch-dev && ${BUILD}`,
        path,
        { cause: error },
      );
    }
    return new NativeLoadError(
      `secora's native addon needs ${lib}, which is not installed. Run the set-up again: ${SETUP}`,
      'library-missing',
      SETUP,
      path,
      { cause: error },
    );
  }
  // The addon refused one of its environment variables (SECORA_CPU_CACHE_MB, …): the message names it.
  const setting = /^(SECORA_[A-Z_]+) must be .*/.exec(text);
  if (setting) {
    return new NativeLoadError(
      `secora's native addon cannot start: ${setting[0]}. Fix or unset ${setting[1]}.`,
      'bad-setting',
      `unset ${setting[1]}`,
      path,
      { cause: error },
    );
  }
  if (code === 'MODULE_NOT_FOUND' || /cannot find module/i.test(text)) {
    return new NativeLoadError(
      `secora's native addon is not built (no ${path}). Build it with: ${BUILD} (or the whole set-up: ${SETUP})`,
      'not-built',
      BUILD,
      path,
      { cause: error },
    );
  }
  if (
    /NODE_MODULE_VERSION|undefined symbol|invalid ELF header|wrong ELF class|file too short|version `[^']+' not found|ABI version/i.test(
      text,
    )
  ) {
    return new NativeLoadError(
      `secora's native addon at ${path} does not match this Node.js or libtorch (${text.split('\n')[0]}). ` +
        `Rebuild it: rm -rf build-native && ${BUILD}`,
      'abi-mismatch',
      `rm -rf build-native && ${BUILD}`,
      path,
      { cause: error },
    );
  }
  return new NativeLoadError(
    `secora's native addon at ${path} failed to load: ${text}. Try rebuilding it: ${BUILD}`,
    'unknown',
    BUILD,
    path,
    { cause: error },
  );
}

/** Loads an addon file, checking that it is the ABI this code expects. Throws NativeLoadError. */
export function loadAddonFrom(path: string): NativeAddon {
  const require = createRequire(import.meta.url);
  let addon: NativeAddon;
  try {
    addon = require(path) as NativeAddon;
  } catch (error) {
    throw explainLoadFailure(path, error);
  }
  if (addon.abiVersion !== EXPECTED_ABI_VERSION) {
    throw explainLoadFailure(
      path,
      new Error(`ABI version ${addon.abiVersion} of the addon, ${EXPECTED_ABI_VERSION} expected`),
    );
  }
  return addon;
}

let loaded: NativeAddon | undefined;

/**
 * The addon, loaded once. libtorch starts with one CPU thread here; this sets it to SECORA_NUM_THREADS or
 * the number of CPUs available.
 */
export function native(): NativeAddon {
  if (loaded) return loaded;
  const addon = loadAddonFrom(addonPath());
  const wanted = Number(process.env['SECORA_NUM_THREADS'] ?? availableParallelism());
  addon.setNumThreads(Number.isInteger(wanted) && wanted > 0 ? wanted : availableParallelism());
  loaded = addon;
  return addon;
}
