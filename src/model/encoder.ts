// Encoder: a BERT/RoBERTa bi-encoder in the native addon, with its tokenizer, optimizer and model folder.
// Calls on one Encoder run one after another (a queue here); the addon itself refuses overlapping calls.
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { checkTokenBatch, type TokenBatch } from '../data/token-batch.js';
import {
  type NativeEncoder,
  type NativeOptimizerSettings,
  type NativeProcessGroup,
  type NativeTrainStepResult,
  native,
} from '../native.js';
import { verifyModelFolder } from './checkpoint-manifest.js';
import {
  type EncoderConfig,
  fromHfConfig,
  maxSequenceLength,
  type SecoraJson,
  toHfConfig,
  validateEncoderConfig,
} from './config.js';
import type { Embedder } from './embedder.js';
import type { HfTokenizer } from './hf-tokenizer.js';
import { tokenizeBatch } from './tokenize.js';

export type Precision = 'fp32' | 'bf16' | 'fp16';

/**
 * Deterministic kernels for the whole process, not for one encoder: libtorch's switch is global (as is cuBLAS's
 * workspace setting, which must be made before the first CUDA call). With it, the same seed and data give
 * bitwise the same weights on CPU. Set it once, before creating encoders.
 */
export function setDeterministic(on: boolean): void {
  native().setDeterministic(on);
}

/**
 * Whether padded batches that are pooled (embedding, training) run on their real tokens only: process-wide,
 * on by default, CPU only. Off gives the padded compute, for the benchmark that measures the difference.
 */
export function setPaddingRemoval(on: boolean): void {
  native().setPaddingRemoval(on);
}

/**
 * Every new CPU tensor filled with a NaN pattern (libtorch's junk fill), process-wide, off by default: a kernel
 * that reads memory nobody wrote then gives NaN every time instead of now and then. For tests and debugging
 * (`SECORA_JUNK_FILL=1` turns it on when the addon loads); every allocation costs one more write.
 */
export function setJunkFill(on: boolean): void {
  native().setJunkFill(on);
}

export interface EncoderOptions {
  /** 'cpu' (default), 'cuda', 'cuda:1'. */
  device?: string;
  /** Seeds the initial weights (create) and the dropout generator. Default 0. */
  seed?: number;
  /** Autocast precision of forward passes: fp32 (default), bf16 (CPU and CUDA), fp16 (CUDA, loss scaling). */
  precision?: Precision;
  /** The parameters' dtype: float32 (default) or float64 (for exact checks). */
  dtype?: 'float32' | 'float64';
  /** A tokenizer, or the path of a tokenizer.json. Encoder.load takes the folder's tokenizer.json by default. */
  tokenizer?: HfTokenizer | string;
  /**
   * false: for embedding only (search, serving): trainStep and optimizer files are refused, so no gradients
   * or optimizer state are ever allocated. Default true; even then the gradient buffer (1x the weights) and
   * AdamW's moments (2x) are allocated at the first step.
   */
  trainable?: boolean;
  /** AdamW settings; change later with configureOptimizer. */
  optimizer?: NativeOptimizerSettings;
  /** The longest input embed() tokenizes to (default: secora.json's, else min(512, the position table)). */
  maxLength?: number;
}

export interface TrainStepArgs {
  /** simcse: `a` encoded twice under dropout; pairs: `a` queries against `b` code, row i matching row i. */
  objective: 'simcse' | 'pairs';
  a: TokenBatch;
  /** pairs: row i is the pair of a's row i; rows past a's are extra negatives (hard negatives) for every row. */
  b?: TokenBatch;
  temperature: number;
  /** Also the b→a direction of InfoNCE (the mean of both). Default false. */
  symmetric?: boolean;
  /** GradCache micro-batch size; 0 (default) encodes the whole batch at once. */
  microBatch?: number;
  lr: number;
  /** Clip gradients to this global L2 norm; 0 (default) = no clipping. */
  maxGradNorm?: number;
  /** Data parallel: this rank wants to stop after this step (every rank learns it in stopRequested). */
  requestStop?: boolean;
}

export interface TrainStepResult {
  loss: number;
  /** The fraction of rows whose nearest in-batch candidate is their own pair. */
  accuracy: number;
  /** The global gradient norm before clipping. */
  gradNorm: number;
  /** fp16's dynamic loss scale after the step (only with precision fp16). */
  lossScale?: number;
  /** The gradients were not finite, so no update happened. */
  skipped: boolean;
  /** requestStop of this or (data parallel) any rank: every rank stops after the same step. */
  stopRequested?: boolean;
}

/** The first 16 hex digits of the parts' sha256, hashed off the JavaScript thread (WebCrypto runs on libuv's pool). */
async function modelIdOf(parts: Uint8Array[]): Promise<string> {
  const digest = await webcrypto.subtle.digest('SHA-256', Buffer.concat(parts));
  return Buffer.from(digest).toString('hex').slice(0, 16);
}

/** Gives an error without JavaScript frames (one from the addon's worker) the stack of the call that caused it. */
function withCallSite(error: unknown, site: Error): unknown {
  if (error instanceof Error && !/\n\s+at /.test(error.stack ?? '') && site.stack) {
    error.stack = `${error.name}: ${error.message}\n${site.stack.split('\n').slice(1).join('\n')}`;
  }
  return error;
}

function loadTokenizer(t: HfTokenizer | string | undefined): HfTokenizer | undefined {
  if (t === undefined || typeof t !== 'string') return t;
  if (!existsSync(t)) throw new Error(`tokenizer file ${t} does not exist`);
  try {
    return Tokenizer.fromFile(t);
  } catch (error) {
    // The tokenizers library says "Error loading from file<reason>", without the file.
    const why = (error as Error).message.replace(/^Error loading from file:?\s*/, '');
    throw new Error(`${t}: not a tokenizer.json that tokenizers can load: ${why}`);
  }
}

export class Encoder implements Embedder {
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(
    private readonly nativeEncoder: NativeEncoder,
    readonly config: EncoderConfig,
    readonly precision: Precision,
    readonly tokenizer: HfTokenizer | undefined,
    readonly maxLength: number,
    private id: string,
  ) {}

  /** A new encoder with random weights (Hugging Face's initialization) from `options.seed`. */
  static async create(config: EncoderConfig, options: EncoderOptions = {}): Promise<Encoder> {
    const clean = validateEncoderConfig(config);
    const enc = Encoder.open(clean, options, options.maxLength);
    enc.id = await modelIdOf([...enc.folderTexts(), await enc.nativeEncoder.weightsBytes()]);
    return enc;
  }

  /** An encoder from a model folder: config.json + model.safetensors (+ secora.json, tokenizer.json). */
  static async load(dir: string, options: EncoderOptions = {}): Promise<Encoder> {
    const configPath = join(dir, 'config.json');
    const weightsPath = join(dir, 'model.safetensors');
    if (!existsSync(dir))
      throw new Error(
        `${dir}: no such folder (a model folder holds config.json, model.safetensors, tokenizer.json)`,
      );
    if (!existsSync(configPath)) throw new Error(`${dir}: no config.json, so not a model folder`);
    if (!existsSync(weightsPath))
      throw new Error(`${dir}: no model.safetensors (only safetensors weights load)`);
    verifyModelFolder(dir);
    const configText = readFileSync(configPath);
    let hf: Record<string, unknown>;
    try {
      hf = JSON.parse(configText.toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`${configPath}: not JSON (${(error as Error).message})`);
    }
    const secoraPath = join(dir, 'secora.json');
    const secoraText = existsSync(secoraPath) ? readFileSync(secoraPath) : undefined;
    let secora: Partial<SecoraJson> | undefined;
    try {
      secora = secoraText ? (JSON.parse(secoraText.toString('utf8')) as Partial<SecoraJson>) : undefined;
    } catch (error) {
      throw new Error(`${secoraPath}: not JSON (${(error as Error).message})`);
    }
    const config = fromHfConfig(hf, secora, dir);
    const tokenizerPath = join(dir, 'tokenizer.json');
    const tokenizer = options.tokenizer ?? (existsSync(tokenizerPath) ? tokenizerPath : undefined);
    const enc = Encoder.open(config, { ...options, tokenizer }, options.maxLength ?? secora?.maxLength);
    await enc.nativeEncoder.loadWeights(weightsPath);
    enc.id = await modelIdOf([configText, secoraText ?? new Uint8Array(), await readFile(weightsPath)]);
    return enc;
  }

  private static open(
    config: EncoderConfig,
    options: EncoderOptions,
    maxLength: number | undefined,
  ): Encoder {
    const limit = maxSequenceLength(config);
    const wanted = maxLength ?? Math.min(512, limit);
    if (!Number.isInteger(wanted) || wanted < 2 || wanted > limit) {
      throw new RangeError(`maxLength must be an integer in [2, ${limit}] for this model, got ${wanted}`);
    }
    const precision = options.precision ?? 'fp32';
    const nativeEncoder = new (native().NativeEncoder)({
      config,
      device: options.device ?? 'cpu',
      dtype: options.dtype ?? 'float32',
      precision,
      seed: options.seed ?? 0,
      trainable: options.trainable ?? true,
      ...(options.optimizer ? { optimizer: options.optimizer } : {}),
    });
    return new Encoder(nativeEncoder, config, precision, loadTokenizer(options.tokenizer), wanted, '');
  }

  /** A hash of the model folder's config and weights as last loaded, created or saved. */
  get modelId(): string {
    return this.id;
  }
  /** The embedding size. */
  get dim(): number {
    return this.config.embeddingSize;
  }
  get device(): string {
    return this.nativeEncoder.device;
  }

  /** Runs `fn` after every earlier call on this encoder has settled. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.disposed) return Promise.reject(new Error('this Encoder was disposed'));
    const site = new Error('call site'); // errors made in the addon's worker carry no JavaScript stack
    const next = this.queue.then(fn, fn).catch((error: unknown) => {
      throw withCallSite(error, site);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** One L2-normalized embedding per text (tokenized with this encoder's tokenizer, batches padded). */
  async embed(
    texts: string[],
    options: { maxLength?: number; batchSize?: number } = {},
  ): Promise<Float32Array[]> {
    const tokenizer = this.tokenizer;
    if (!tokenizer) {
      throw new Error('this Encoder has no tokenizer: pass options.tokenizer, or use embedTokens() with ids');
    }
    const maxLength = options.maxLength ?? this.maxLength;
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batchSize must be >= 1, got ${batchSize}`);
    if (!Number.isInteger(maxLength) || maxLength < 2 || maxLength > maxSequenceLength(this.config)) {
      throw new RangeError(`maxLength must be in [2, ${maxSequenceLength(this.config)}], got ${maxLength}`);
    }
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += batchSize) {
      const batch = await tokenizeBatch(
        tokenizer,
        texts.slice(i, i + batchSize),
        maxLength,
        this.config.padTokenId,
      );
      const flat = await this.embedTokens(batch);
      // Rows are views into the batch's one block (no copy per row); every user honours byteOffset.
      for (let r = 0; r < batch.batchSize; r++) out.push(flat.subarray(r * this.dim, (r + 1) * this.dim));
    }
    return out;
  }

  /** Embeddings of a token batch: [batchSize, dim] row-major, each row L2-normalized. */
  async embedTokens(batch: TokenBatch): Promise<Float32Array> {
    checkTokenBatch(batch);
    return this.run(() => this.nativeEncoder.embed(batch));
  }

  /** The last hidden states [batchSize, seqLen, hiddenSize] in eval mode (checks against other implementations). */
  async hiddenStates(batch: TokenBatch): Promise<Float64Array> {
    checkTokenBatch(batch);
    return this.run(() => this.nativeEncoder.hiddenStates(batch));
  }

  /** One optimizer step over a contrastive batch (InfoNCE, in-batch negatives); GradCache when microBatch > 0. */
  trainStep(args: TrainStepArgs): Promise<TrainStepResult> {
    return this.step(args, true);
  }

  /** The same computation as trainStep without the update: the gradients stay readable with getGradient. */
  computeGradients(args: TrainStepArgs): Promise<TrainStepResult> {
    return this.step(args, false);
  }

  private async step(args: TrainStepArgs, apply: boolean): Promise<TrainStepResult> {
    checkTokenBatch(args.a, 'a');
    if (args.b) checkTokenBatch(args.b, 'b');
    return this.run(async () => {
      const r: NativeTrainStepResult = await this.nativeEncoder.trainStep({ ...args, apply });
      return {
        loss: r.loss,
        accuracy: r.accuracy,
        gradNorm: r.gradNorm,
        skipped: r.skipped,
        stopRequested: r.stopRequested,
        ...(this.precision === 'fp16' ? { lossScale: r.lossScale } : {}),
      };
    });
  }

  /** Writes a model folder that Hugging Face's libraries load: config.json, model.safetensors, and ours. */
  save(dir: string): Promise<void> {
    return this.run(async () => {
      mkdirSync(dir, { recursive: true });
      const [configText, secoraText] = this.folderTexts();
      writeFileSync(join(dir, 'config.json'), configText);
      writeFileSync(join(dir, 'secora.json'), secoraText);
      const weightsPath = join(dir, 'model.safetensors');
      await this.nativeEncoder.saveWeights(weightsPath);
      if (this.tokenizer) this.tokenizer.save(join(dir, 'tokenizer.json'));
      this.id = await modelIdOf([configText, secoraText, await readFile(weightsPath)]);
    });
  }

  private folderTexts(): [Uint8Array, Uint8Array] {
    const secora: SecoraJson = {
      format: 'secora-encoder',
      version: 1,
      pooling: this.config.pooling,
      embeddingSize: this.config.embeddingSize,
      maxLength: this.maxLength,
    };
    return [
      Buffer.from(`${JSON.stringify(toHfConfig(this.config), null, 2)}\n`),
      Buffer.from(`${JSON.stringify(secora, null, 2)}\n`),
    ];
  }

  /** The optimizer's moments, step count and loss scale, as safetensors. */
  saveOptimizer(file: string): Promise<void> {
    return this.run(() => this.nativeEncoder.saveOptimizer(file));
  }
  loadOptimizer(file: string): Promise<void> {
    return this.run(() => this.nativeEncoder.loadOptimizer(file));
  }
  configureOptimizer(settings: NativeOptimizerSettings): void {
    this.nativeEncoder.configureOptimizer(settings);
  }

  /** Bytes of native memory held at rest: the weights, and the gradients and AdamW's moments once it trained. */
  memoryAtRest(): { parameters: number; gradients: number; optimizer: number } {
    return this.nativeEncoder.memoryAtRest();
  }

  /** The state of the generators that drive dropout (await pending calls first). */
  getRngState(): Uint8Array {
    return this.nativeEncoder.getRngState();
  }
  setRngState(state: Uint8Array): void {
    this.nativeEncoder.setRngState(state);
  }

  /**
   * Trains data-parallel in `group` from now on: rank 0's weights are copied to every rank, dropout is seeded
   * per rank, gradients are averaged after every backward, and with gatherNegatives the contrastive loss uses
   * the embeddings of every rank as negatives.
   */
  joinProcessGroup(group: NativeProcessGroup, options: { gatherNegatives: boolean }): Promise<void> {
    return this.run(() => this.nativeEncoder.attachProcessGroup(group, options.gatherNegatives));
  }

  /** Parameter names as in Hugging Face checkpoints (no prefix). */
  parameterNames(): string[] {
    return this.nativeEncoder.parameterNames();
  }
  getParameter(name: string): Float64Array {
    return this.nativeEncoder.getParameter(name);
  }
  setParameter(name: string, values: Float64Array): void {
    this.nativeEncoder.setParameter(name, values);
  }
  /** The gradient left by computeGradients, or null. */
  getGradient(name: string): Float64Array | null {
    return this.nativeEncoder.getGradient(name);
  }

  /** Frees the native model once pending calls have settled. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    await this.queue;
    this.disposed = true;
    this.nativeEncoder.dispose();
  }
}
