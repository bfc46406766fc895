// The training run, top to bottom: config → data → tokenizer → encoder → loop (schedule, step, metrics,
// validation, checkpoints) → test evaluation and a search over the test split.
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import {
  ConfigError,
  configFromObject,
  configToYaml,
  loadConfig,
  parseConfig,
  type TrainConfig,
} from '../config/config.js';
import { Batcher, type BatcherPosition, DEFAULT_BUCKET_POOL } from '../data/batcher/batcher.js';
import { type DataSource, openDataSource } from '../data/data-source.js';
import { mineHardNegatives } from '../data/hard-negatives.js';
import { defaultCorpus } from '../data/miner/default-corpus.js';
import type { CodeRecord, Split } from '../data/record.js';
import type { TokenBatch } from '../data/token-batch.js';
import { CodeTokenizer } from '../data/tokenizer/code-tokenizer.js';
import { trainingTexts } from '../data/tokenizer/training-texts.js';
import { pairsByLanguage } from '../eval/evaluate-model.js';
import type { EncoderConfig } from '../model/config.js';
import { Encoder, type EncoderOptions, setDeterministic, type TrainStepResult } from '../model/encoder.js';
import { native } from '../native.js';
import { distEnvFrom } from '../parallel/env.js';
import { chooseBackend, ProcessGroup } from '../parallel/process-group.js';
import { makeDirs, writeFileAtomic } from '../safe-fs.js';
import { CodeIndex } from '../search/code-index.js';
import { DEFAULT_EMBED_TEXT, recordTexts, textToEmbed } from '../search/embed-text.js';
import { snippetOf } from '../search/index-repository.js';
import { preview, type SearchHit } from '../search/snippet.js';
import { CheckpointStore, readTrainerState } from './checkpoint-store.js';
import { MetricsLog } from './metrics-log.js';
import { ProgressBar } from './progress.js';
import { createRunFolder } from './run-folder.js';
import { DivergedError, type RunResult, writeRunResult } from './run-result.js';
import { learningRate } from './schedule.js';
import type { StopRequest } from './stop-signal.js';
import { type EvalReport, evaluate, formatEvalReport, loadEvalSets } from './validation.js';

export interface TrainOptions {
  /** The config file; or, with `config`, only the name the run folder is made from. */
  configFile?: string;
  /** The config as an object (validated like a file) instead of a file. */
  config?: TrainConfig | Record<string, unknown>;
  /** `key=value` overrides, as --set gives them. */
  sets?: string[];
  name?: string;
  /** Resume a run: true for the newest in output_dir, or a run name or folder. */
  resume?: boolean | string;
  /** Start a run again under its name (`name`, or this run name or folder): only one without a checkpoint. */
  restart?: boolean | string;
  progress?: boolean;
  stop?: StopRequest;
  log?: (line: string) => void;
  /** Called after every optimizer step with the number of steps done (tests stop a run mid-way with it). */
  onStep?: (step: number) => void;
  /** The data-parallel environment (default: MASTER_ADDR, WORLD_SIZE, RANK… of this process). */
  env?: NodeJS.ProcessEnv;
}

/** What a checkpoint's trainer_state.json holds, besides the model and optimizer files. */
export interface TrainerState {
  /** Optimizer steps completed. */
  step: number;
  totalSteps: number;
  batcher: BatcherPosition;
  /** The dropout generators' state, base64 (rank 0's with several processes). */
  rng: string;
  /** Processes of the run that wrote it (absent: 1); resuming needs as many. */
  worldSize?: number;
  /** Every rank's dropout generators, base64, in rank order (several processes). */
  rngByRank?: string[];
  best: { step: number; mrr: number } | null;
  tokensSeen: number;
  config: TrainConfig;
}

export interface TrainResult {
  runDir: string;
  steps: number;
  totalSteps: number;
  stopped: NodeJS.Signals | null;
  best: { step: number; mrr: number } | null;
  lastValidation?: { step: number; mrr: number } | null;
  lastCheckpoint: string | null;
  test?: EvalReport;
  /** The sample query answered over the test split's index. */
  search?: { query: string; index: string; hits: SearchHit[] };
  /** Data parallel: processes, and this one's rank (0 writes the run folder). */
  worldSize: number;
  rank: number;
  /** Data parallel: wall seconds this rank spent in collectives. */
  collectiveSeconds?: number;
}

const countTokens = (b: TokenBatch) => b.attentionMask.reduce((s, v) => s + v, 0);

function newestRun(outputDir: string): string {
  const runs = existsSync(outputDir)
    ? readdirSync(outputDir)
        .map((n) => join(outputDir, n))
        .filter((d) => existsSync(join(d, 'checkpoints')))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    : [];
  if (runs.length === 0) throw new Error(`--resume: no run with checkpoints in ${outputDir}`);
  return runs[0]!;
}

const isInside = (parent: string, child: string) => {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/** What a run writes into its folder (a --restart removes a folder that holds only these). */
const RUN_ENTRY =
  /^(config\.yml|tokenizer\.json|checkpoints|best|metrics\.jsonl|events\.out\.tfevents\..*|result\.json|test-results\.json|test-split\.index|.*\.tmp-\d+)$/;

/** Whether a run folder holds a finished checkpoint, even a damaged one: such a folder is never started over. */
function hasCheckpoint(runDir: string): boolean {
  const root = join(runDir, 'checkpoints');
  return existsSync(root) && readdirSync(root).some((n) => existsSync(join(root, n, 'DONE')));
}

/** A run name given on the command line: one folder name under output_dir, as the config's name: key. */
function checkRunName(name: string, flag: string): void {
  if (!/^[\w.-]+$/.test(name) || /^\.+$/.test(name))
    throw new ConfigError(flag, [
      `${flag} ${JSON.stringify(name)} is not allowed: a folder name of letters, digits, '.', '_' and '-' (not a path)`,
    ]);
}

/** The checkpoint a resume starts from: the newest whose files pass their checks; the others, and why, logged. */
function resumePoint(runDir: string, configFile: string, log: (l: string) => void) {
  if (!existsSync(runDir)) throw new Error(`--resume: ${runDir} does not exist`);
  if (!existsSync(join(runDir, 'config.yml')) && !existsSync(join(runDir, 'checkpoints')))
    throw new Error(`--resume: ${runDir} has no config.yml or checkpoints, so it is not a run folder`);
  const { checkpoint, skipped } = new CheckpointStore(runDir, 1).latest();
  for (const s of skipped) log(`skipping ${s.dir}: ${s.reason}`);
  if (!checkpoint)
    throw new Error(
      `--resume: ${runDir} has no complete checkpoint, so there is nothing to resume (the run stopped before ` +
        `its first one); start it again under its name with: secora-train ${configFile} --restart ${basename(runDir)}`,
    );
  return { dir: checkpoint.dir, state: readTrainerState<TrainerState>(checkpoint.dir) };
}

/** The config a checkpoint was written under, with --set overrides, validated as a config file is. */
function configOfCheckpoint(dir: string, state: TrainerState, sets: string[]): TrainConfig {
  return parseConfig(configToYaml(state.config), join(dir, 'trainer_state.json (config)'), sets);
}

function runName(config: TrainConfig, configFile: string | undefined): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return config.name ?? `${configFile ? basename(configFile).replace(/\.ya?ml$/, '') : 'run'}-${stamp}`;
}

/** The config from the options: a file, or an object validated the same way. */
function configOf(options: TrainOptions, sets: string[]): TrainConfig {
  if (options.config) return configFromObject(options.config, sets, options.configFile ?? 'config object');
  if (!options.configFile) throw new Error('train(): give a configFile or a config object');
  return loadConfig(options.configFile, sets);
}

/** The data set's folder and format: the embedded default corpus is mined on first use. */
async function corpusOf(config: TrainConfig, log: (l: string) => void) {
  if (config.data.source === 'default') {
    // defaultCorpus logs only when it mines, saying it is once and what it costs (seconds for debian-small).
    const corpus = await defaultCorpus({ kind: config.data.default_corpus, log });
    if (corpus.built) log(`default corpus: mined into ${corpus.dir}`);
    return { format: 'codesearchnet' as const, path: corpus.dir };
  }
  return { format: config.data.source, path: config.data.path! };
}

function sourceFor(
  corpus: Awaited<ReturnType<typeof corpusOf>>,
  config: TrainConfig,
  split: Split,
): DataSource {
  return openDataSource({
    ...corpus,
    split,
    maxRecordChars: config.data.max_record_chars,
    ...(config.data.languages.length > 0 ? { languages: config.data.languages } : {}),
  });
}

/** Fails at once when a split yields no usable record (all skipped, or none there), with what was skipped. */
async function requireRecords(source: DataSource, split: Split): Promise<void> {
  for await (const _ of source.records()) return;
  const where = source.config.path;
  throw new Error(`data: the ${split} split of ${where} has no usable records (${source.stats.format()})`);
}

async function countRecords(source: DataSource, cap: number | null): Promise<number> {
  let n = 0;
  for await (const _ of source.records()) {
    if (++n === cap) break;
  }
  return n;
}

function encoderConfigOf(config: TrainConfig, tokenizer: CodeTokenizer): EncoderConfig {
  const m = config.model;
  return {
    modelType: m.type,
    vocabSize: tokenizer.vocabSize,
    hiddenSize: m.hidden_size,
    numHiddenLayers: m.num_layers,
    numAttentionHeads: m.num_heads,
    intermediateSize: m.intermediate_size,
    maxPositionEmbeddings: m.max_positions,
    typeVocabSize: m.type === 'bert' ? 2 : 1,
    layerNormEps: m.layer_norm_eps,
    hiddenDropoutProb: m.dropout,
    attentionProbsDropoutProb: m.attention_dropout,
    padTokenId: tokenizer.special.pad,
    pooling: m.pooling,
    embeddingSize: m.pooling === 'cls_projection' ? m.embedding_size : m.hidden_size,
  };
}

/** Where a run resumes from: the checkpoint folder and its trainer state. */
interface ResumePoint {
  dir: string;
  state: TrainerState;
}

/**
 * The run's config (a resumed run's own, from its checkpoint) and its folder: a new one is created by rank 0
 * (exclusively, so two runs started in the same second never share one); the other ranks learn its name later.
 */
function openRun(
  options: TrainOptions,
  main: boolean,
  log: (line: string) => void,
): { config: TrainConfig; runDir: string; resumeFrom: ResumePoint | null } {
  const sets = options.sets ?? [];
  if (options.resume && options.restart) throw new Error('--resume and --restart exclude each other');
  if (options.resume) {
    const fromFile = configOf(options, sets);
    const runDir =
      typeof options.resume === 'string'
        ? existsSync(options.resume)
          ? resolve(options.resume)
          : resolve(fromFile.output_dir, options.resume)
        : newestRun(resolve(fromFile.output_dir));
    // The checkpoint's own copy of the config is preferred: config.yml may be damaged, the checkpoint is checked.
    const resumeFrom = resumePoint(runDir, options.configFile ?? '<config.yml>', log);
    return { config: configOfCheckpoint(resumeFrom.dir, resumeFrom.state, sets), runDir, resumeFrom };
  }
  const config = configOf(options, sets);
  if (options.name !== undefined) checkRunName(options.name, '--name');
  const restart = typeof options.restart === 'string' ? options.restart : undefined;
  if (restart !== undefined && !existsSync(restart)) checkRunName(restart, '--restart');
  const wanted =
    restart !== undefined && existsSync(restart)
      ? resolve(restart)
      : resolve(config.output_dir, restart ?? options.name ?? runName(config, options.configFile));
  if (!isInside(resolve(config.output_dir), wanted) && restart === undefined)
    throw new Error(`--name ${options.name}: the run folder ${wanted} would be outside ${config.output_dir}`);
  if (hasCheckpoint(wanted)) {
    throw new Error(
      `${wanted} already holds a run with checkpoints: resume it with --resume ${basename(wanted)}, or choose another --name`,
    );
  }
  // A folder of a run stopped before its first checkpoint holds nothing to keep: start it again. Only a folder
  // that holds nothing but what a run writes is removed.
  if (main && existsSync(wanted) && options.restart) {
    const foreign = readdirSync(wanted).filter((n) => !RUN_ENTRY.test(n));
    if (!existsSync(join(wanted, 'config.yml')) || foreign.length > 0)
      throw new Error(
        `--restart: ${wanted} does not look like a run folder (no config.yml, or it holds ${foreign.slice(0, 3).join(', ')}); nothing was removed`,
      );
    rmSync(wanted, { recursive: true, force: true });
  }
  // Only rank 0 creates the folder; the others learn its name (a suffix may have been added) below. The parents
  // through a bounded walk (Node's recursive mkdir can loop on odd file systems); the run folder itself
  // exclusively, so two runs started in the same second never share one (a restart keeps its name).
  let runDir = wanted;
  if (main) {
    makeDirs(dirname(wanted), 'output folder');
    if (options.restart) makeDirs(wanted, 'run folder');
    else runDir = createRunFolder(wanted);
  }
  return { config, runDir, resumeFrom: null };
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  // Data parallel (several processes): rank 0 writes the run folder, logs and checkpoints; the others train.
  const dist = distEnvFrom(options.env ?? process.env);
  const main = !dist || dist.rank === 0;
  const log = main ? (options.log ?? ((line: string) => process.stderr.write(`${line}\n`))) : () => {};

  // 1. The config (a run's own resolved config.yml when resuming) and the run folder.
  const opened = openRun(options, main, log);
  const { config, resumeFrom } = opened;
  let runDir = opened.runDir;
  const group = dist
    ? await ProcessGroup.join(dist, {
        backend: chooseBackend(config.distributed.backend, config.device),
        timeoutSeconds: config.distributed.timeout_seconds,
      })
    : null;
  const world = group?.worldSize ?? 1;
  const rank = group?.rank ?? 0;
  // --device cuda with several processes: each takes the GPU of its LOCAL_RANK.
  const device = dist && config.device === 'cuda' ? `cuda:${dist.localRank}` : config.device;
  if (group) runDir = await group.fromRoot(main ? runDir : undefined);
  if (main) writeFileAtomic(join(runDir, 'config.yml'), configToYaml(config));
  if (config.threads) native().setNumThreads(config.threads);
  log(`run ${runDir}${group ? ` (${world} processes, ${group.backend})` : ''}`);

  // The run's end, for programs: result.json (rank 0's), also when it fails (a diverged loss, an error).
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const result = await trainIn(options, config, runDir, resumeFrom, log, {
      group,
      main,
      world,
      rank,
      device,
    });
    if (main) {
      writeRunResult(runDir, {
        status: result.stopped ? 'stopped' : 'completed',
        steps: result.steps,
        totalSteps: result.totalSteps,
        best: result.best,
        lastValidation: result.lastValidation ?? null,
        ...(result.test ? { testMrr: result.test.mrr } : {}),
        stopped: result.stopped,
        seconds: seconds(),
      });
    }
    return result;
  } catch (error) {
    const diverged = error instanceof DivergedError;
    const failed: RunResult = {
      status: 'failed',
      reason: diverged ? 'diverged' : 'error',
      message: error instanceof Error ? error.message : String(error),
      steps: diverged ? error.step : 0,
      totalSteps: 0,
      best: null,
      lastValidation: null,
      seconds: seconds(),
    };
    if (main) writeRunResult(runDir, failed);
    throw error;
  }
}

/** The encoder: from the checkpoint, a Hugging Face folder, or new; in the process group, with its dropout state. */
async function openEncoder(
  config: TrainConfig,
  tokenizer: CodeTokenizer,
  resumeFrom: ResumePoint | null,
  { group, rank, device }: Pick<Parallel, 'group' | 'rank' | 'device'>,
): Promise<Encoder> {
  const t = config.training;
  // A process-wide switch (libtorch's global context): set before the encoder exists.
  setDeterministic(config.deterministic);
  const encoderOptions: EncoderOptions = {
    device,
    seed: config.seed,
    precision: t.precision,
    tokenizer: tokenizer.native,
    optimizer: { weightDecay: t.weight_decay, betas: [t.beta1, t.beta2], eps: t.eps },
    maxLength: Math.max(config.data.max_query_length, config.data.max_code_length),
  };
  let encoder: Encoder;
  if (resumeFrom) {
    encoder = await Encoder.load(resumeFrom.dir, encoderOptions);
    await encoder.loadOptimizer(join(resumeFrom.dir, 'optimizer.safetensors'));
  } else if (config.model.from !== 'scratch') {
    encoder = await Encoder.load(config.model.from, encoderOptions);
    if (encoder.config.pooling !== config.model.pooling) {
      throw new Error(
        `model.pooling is ${config.model.pooling}, but ${config.model.from} pools by ${encoder.config.pooling} ` +
          "(its secora.json, or 'cls' for a Hugging Face folder); set model.pooling to that: a new head on a " +
          'pretrained model is not supported yet',
      );
    }
    if (encoder.config.vocabSize < tokenizer.vocabSize) {
      throw new Error(
        `model.from ${config.model.from} has ${encoder.config.vocabSize} token embeddings, the tokenizer ${tokenizer.vocabSize}`,
      );
    }
  } else {
    encoder = await Encoder.create(encoderConfigOf(config, tokenizer), encoderOptions);
  }
  if (group) await encoder.joinProcessGroup(group.native, { gatherNegatives: t.gather_negatives });
  if (resumeFrom) {
    const s = resumeFrom.state;
    encoder.setRngState(Buffer.from(s.rngByRank?.[rank] ?? s.rng, 'base64'));
  }
  return encoder;
}

/** The training batches, from the start or where the checkpoint left them; this rank's slice of each. */
async function openBatcher(
  config: TrainConfig,
  trainSource: DataSource,
  tokenizer: CodeTokenizer,
  totalSteps: number,
  resumeFrom: ResumePoint | null,
  { rank, world }: Pick<Parallel, 'rank' | 'world'>,
  log: (line: string) => void,
): Promise<Batcher> {
  const t = config.training;
  const cap = config.data.max_train_examples;
  // Each rank takes its slice of every global batch; a saved position is rank 0's, the order the same.
  const savedPosition = resumeFrom?.state.batcher;
  return Batcher.open(
    {
      source: trainSource,
      tokenizer,
      batchSize: t.batch_size * t.grad_accumulation,
      mode: t.objective === 'pairs' ? 'pairs' : 'concat',
      maxDocLength: config.data.max_query_length,
      maxCodeLength: config.data.max_code_length,
      maxLength: config.data.max_code_length,
      seed: config.seed,
      shuffleBuffer: config.data.shuffle_buffer,
      bucketPool: config.data.bucketing ? DEFAULT_BUCKET_POOL : 0,
      prefetch: config.data.prefetch,
      maxSteps: totalSteps,
      rank,
      worldSize: world,
      ...(cap !== null ? { maxRecords: cap } : {}),
      queryViews: t.query_views,
      ...(t.hard_negatives > 0
        ? { negatives: await hardNegativesOf(trainSource, cap, t.hard_negatives, log) }
        : {}),
    },
    savedPosition ? { ...savedPosition, order: { ...savedPosition.order, rank } } : undefined,
  );
}

/** The run's tokenizer: its checkpoint's, the run folder's, a given one, the pretrained model's, or a new one. */
async function chooseTokenizer(
  config: TrainConfig,
  runDir: string,
  resumeFrom: ResumePoint | null,
  main: boolean,
  trainSource: DataSource,
  log: (line: string) => void,
): Promise<CodeTokenizer> {
  const runTokenizer = join(runDir, 'tokenizer.json');
  const pretrained = config.model.from !== 'scratch' ? join(config.model.from, 'tokenizer.json') : null;
  const checkpointTokenizer = resumeFrom ? join(resumeFrom.dir, 'tokenizer.json') : null;
  if (checkpointTokenizer && existsSync(checkpointTokenizer))
    return CodeTokenizer.fromFile(checkpointTokenizer);
  if (existsSync(runTokenizer) && (resumeFrom || !main)) return CodeTokenizer.fromFile(runTokenizer);
  if (config.tokenizer.path) return CodeTokenizer.fromFile(config.tokenizer.path);
  if (pretrained && existsSync(pretrained)) return CodeTokenizer.fromFile(pretrained);
  const t0 = performance.now();
  const tokenizer = await CodeTokenizer.train(
    trainingTexts(trainSource.records(), config.tokenizer.train_examples),
    {
      modelType: config.model.type,
      vocabSize: config.tokenizer.vocab_size,
      codeAware: config.tokenizer.code_aware,
    },
  );
  log(
    `tokenizer: trained a byte-level BPE of ${tokenizer.vocabSize} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return tokenizer;
}

/** This process's place in a data-parallel run (one process: no group, rank 0 of 1). */
interface Parallel {
  group: ProcessGroup | null;
  /** Rank 0: writes the run folder, logs, metrics and checkpoints. */
  main: boolean;
  world: number;
  rank: number;
  device: string;
}

/** The run itself, in its folder: checkpoints, data, tokenizer, encoder, the loop, the test split. */
async function trainIn(
  options: TrainOptions,
  config: TrainConfig,
  runDir: string,
  resumeFrom: ResumePoint | null,
  log: (line: string) => void,
  { group, main, world, rank, device }: Parallel,
): Promise<TrainResult> {
  // 2. Checkpoints (the one to resume from was chosen above: incomplete or damaged ones are passed over).
  const store = new CheckpointStore(runDir, config.checkpoint.keep);
  if (main) for (const t of store.cleanTemporary()) log(`removed the unfinished checkpoint folder ${t}`);
  if (resumeFrom) {
    const saved = resumeFrom.state.worldSize ?? 1;
    if (saved !== world) {
      throw new Error(
        `--resume: ${resumeFrom.dir} was written by a run of ${saved} process${saved === 1 ? '' : 'es'} and this run has ${world}; ` +
          `resume it with ${saved === 1 ? 'one process (no --nproc-per-node)' : `--nproc-per-node ${saved} (or WORLD_SIZE=${saved})`}: ` +
          "the data order and every rank's dropout state belong to that many",
      );
    }
    log(`resuming from ${resumeFrom.dir} (step ${resumeFrom.state.step})`);
  }
  const stopped = (): TrainResult | null =>
    options.stop?.requested
      ? {
          runDir,
          steps: 0,
          totalSteps: 0,
          stopped: options.stop.reason,
          best: null,
          lastCheckpoint: null,
          worldSize: world,
          rank,
        }
      : null;

  // 3. Data. Rank 0 mines the corpus and makes the tokenizer first; the others then read the same.
  if (group && !main) await group.fromRoot(undefined);
  const corpus = await corpusOf(config, log);
  const trainSource = sourceFor(corpus, config, 'train');
  await requireRecords(trainSource, 'train');
  // Only rank 0 validates and tests.
  let validSets: Awaited<ReturnType<typeof loadEvalSets>> = [];
  if (main) {
    if (config.evaluation.test || config.evaluation.index)
      await requireRecords(sourceFor(corpus, config, 'test'), 'test');
    const validSource = sourceFor(corpus, config, 'valid');
    validSets = await loadEvalSets(validSource, config.validation.max_queries);
    if (validSource.stats.any) log(`validation data: ${validSource.stats.format()}`);
    if (validSets.every((s) => s.docstrings.length === 0)) await requireRecords(validSource, 'valid');
  }
  const early = stopped();
  if (early) return early;

  // 4. The tokenizer: the run's own, a given one, the pretrained model's, or one trained on the training split.
  const tokenizer = await chooseTokenizer(config, runDir, resumeFrom, main, trainSource, log);
  if (main) tokenizer.save(join(runDir, 'tokenizer.json'));
  if (group && main) await group.fromRoot(true);
  const afterTokenizer = stopped();
  if (afterTokenizer) return afterTokenizer;

  // 5. The encoder: from the checkpoint, a Hugging Face folder, or new.
  const t = config.training;
  const encoder = await openEncoder(config, tokenizer, resumeFrom, { group, rank, device });
  const ec = encoder.config;
  log(
    `model: ${ec.modelType}, ${ec.numHiddenLayers} layers, hidden ${ec.hiddenSize}, ${ec.pooling} -> ${encoder.dim}, ${t.precision} on ${encoder.device}`,
  );

  // 6. The batcher, at the start or where the checkpoint left it.
  const contrastive = t.batch_size * t.grad_accumulation;
  const cap = config.data.max_train_examples;
  const totalSteps =
    resumeFrom?.state.totalSteps ??
    t.max_steps ??
    Math.max(1, Math.ceil((t.epochs! * (await countRecords(trainSource, cap))) / (contrastive * world)));
  const batcher = await openBatcher(
    config,
    trainSource,
    tokenizer,
    totalSteps,
    resumeFrom,
    { rank, world },
    log,
  );
  // Accumulation in a contrastive loss is GradCache over the larger batch, so the negatives span all of it.
  const microBatch = t.grad_cache_micro_batch || (t.grad_accumulation > 1 ? t.batch_size : 0);
  // What every step passes the same: the objective, the batch, the learning rate and the stop flag vary.
  const stepSettings = {
    temperature: t.temperature,
    symmetric: t.symmetric,
    microBatch,
    maxGradNorm: t.max_grad_norm,
  };

  // 7. The loop.
  const metrics = main ? new MetricsLog(runDir) : null;
  const progress = main && (options.progress ?? process.stderr.isTTY) ? new ProgressBar() : null;
  let step = resumeFrom?.state.step ?? 0;
  let best = resumeFrom?.state.best ?? null;
  let tokensSeen = resumeFrom?.state.tokensSeen ?? 0;
  let lastCheckpoint: string | null = null;
  let lastSavedStep = resumeFrom ? step : -1;
  let window = { loss: 0, accuracy: 0, gradNorm: 0, tokens: 0, steps: 0, start: performance.now() };
  let smoothedStepSeconds = Number.NaN;
  // Every rank stops after the same step: a stop request travels with the step's collectives.
  let agreedStop = false;
  const stopping = () => (group ? agreedStop : (options.stop?.requested ?? false));
  let lastValidation: { step: number; mrr: number } | null = null;

  const base64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  const state = (rngs: Uint8Array[]): TrainerState => ({
    step,
    totalSteps,
    batcher: batcher.position(),
    rng: base64(rngs[0]!),
    worldSize: world,
    ...(world > 1 ? { rngByRank: rngs.map(base64) } : {}),
    best,
    tokensSeen,
    config,
  });
  const checkpoint = async (isBest: boolean) => {
    const rng = encoder.getRngState();
    const rngs = group ? await group.allGatherBytes(rng) : [rng];
    if (group && !main) await group.barrier();
    else {
      lastCheckpoint = await store.save(
        step,
        state(rngs),
        async (dir) => {
          await encoder.save(dir);
          await encoder.saveOptimizer(join(dir, 'optimizer.safetensors'));
          // No rank may be behind a checkpoint whose DONE marker says it is complete.
          await group?.barrier();
        },
        { best: isBest },
      );
    }
    lastSavedStep = step;
  };
  const validate = async (): Promise<boolean> => {
    // Rank 0 validates; the others wait for its verdict, which decides whether all write a best checkpoint.
    if (!main) return group!.fromRoot<boolean>(undefined);
    const report = await evaluate(encoder, validSets, evalOptions(config));
    const values: Record<string, number> = { 'val/mrr': report.mrr };
    for (const l of report.languages) values[`val/mrr/${l.language}`] = l.mrr;
    metrics?.log(step, values);
    lastValidation = { step, mrr: report.mrr };
    const improved = Number.isFinite(report.mrr) && (best === null || report.mrr > best.mrr);
    if (improved) best = { step, mrr: report.mrr };
    if (group) await group.fromRoot(improved);
    progress?.break();
    log(
      `step ${step}: validation MRR ${report.mrr.toFixed(4)} (${report.languages.map((l) => `${l.language} ${l.mrr.toFixed(4)}`).join(', ')})${improved ? ' (best)' : ''}`,
    );
    return improved;
  };

  options.stop?.enterLoop();
  try {
    if (!resumeFrom && main && !options.stop?.requested) {
      const baseline = await evaluate(encoder, validSets, { ...evalOptions(config), bm25: true });
      log(
        formatEvalReport(
          'validation before training (untrained model, and BM25 on the same chunks):',
          baseline,
        ),
      );
      metrics?.log(0, { 'val/mrr': baseline.mrr, 'val/bm25_mrr': baseline.bm25Mrr ?? Number.NaN });
    }
    if (!resumeFrom && group) await group.fromRoot(true);
    while (step < totalSteps && !stopping()) {
      const batch = await batcher.next();
      if (!batch) break;
      const lr = learningRate(step, totalSteps, t);
      // The SimCSE stage: code alone, each row encoded twice under dropout, before the pairs.
      const codeStage = step < t.simcse_steps;
      const simcse = codeStage || t.objective === 'simcse' || (t.objective === 'both' && step % 2 === 1);
      const simcseInput = codeStage ? ownRows(batch.code, batch.records.length) : batch.joint!;
      const t0 = performance.now();
      const requestStop = options.stop?.requested ?? false;
      const r: TrainStepResult = await encoder.trainStep(
        simcse
          ? { ...stepSettings, objective: 'simcse', a: simcseInput, lr, requestStop }
          : { ...stepSettings, objective: 'pairs', a: batch.docs, b: batch.code, lr, requestStop },
      );
      if (r.stopRequested) agreedStop = true;
      if (!Number.isFinite(r.loss) || (t.max_loss !== null && r.loss > t.max_loss)) {
        metrics?.log(step + 1, { 'train/loss': r.loss });
        throw new DivergedError(step + 1, r.loss);
      }
      const seconds = (performance.now() - t0) / 1000;
      smoothedStepSeconds = Number.isNaN(smoothedStepSeconds)
        ? seconds
        : 0.9 * smoothedStepSeconds + 0.1 * seconds;
      const tokens = simcse
        ? 2 * countTokens(simcseInput)
        : countTokens(batch.docs) + countTokens(batch.code);
      step++;
      tokensSeen += tokens;
      window = {
        ...window,
        loss: window.loss + r.loss,
        accuracy: window.accuracy + r.accuracy,
        gradNorm: window.gradNorm + r.gradNorm,
        tokens: window.tokens + tokens,
        steps: window.steps + 1,
      };
      progress?.update({
        step,
        total: totalSteps,
        loss: r.loss,
        accuracy: r.accuracy,
        tokensPerSecond: tokens / seconds,
        secondsPerStep: smoothedStepSeconds,
      });
      if (step % t.log_interval === 0 || step === totalSteps) {
        const elapsed = (performance.now() - window.start) / 1000;
        const values: Record<string, number> = {
          'train/loss': window.loss / window.steps,
          'train/accuracy': window.accuracy / window.steps,
          'train/grad_norm': window.gradNorm / window.steps,
          'train/lr': lr,
          'train/tokens_per_second': window.tokens / elapsed,
          'train/steps_per_second': window.steps / elapsed,
          'train/epoch': batch.epoch,
        };
        if (r.lossScale !== undefined) values['train/loss_scale'] = r.lossScale;
        metrics?.log(step, values);
        if (!progress) {
          log(
            `step ${step}/${totalSteps} loss ${values['train/loss']!.toFixed(4)} acc ${values['train/accuracy']!.toFixed(3)} lr ${lr.toExponential(2)} ${Math.round(values['train/tokens_per_second']!)} tok/s`,
          );
        }
        window = { loss: 0, accuracy: 0, gradNorm: 0, tokens: 0, steps: 0, start: performance.now() };
      }
      options.onStep?.(step);
      const last = step === totalSteps;
      const improved = step % config.validation.interval === 0 || last ? await validate() : false;
      if (improved || step % config.checkpoint.interval === 0 || last) await checkpoint(improved);
    }
    if (stopping()) {
      progress?.break();
      log(`${options.stop?.reason ?? 'another process asked to stop'}: stopping at step ${step}`);
    }
    if (step !== lastSavedStep) await checkpoint(false);
    progress?.break();
    const skips = trainSource.stats;
    if (skips.any) log(`training data: ${skips.format()}`);
  } finally {
    metrics?.close();
    await batcher.close();
  }
  const collectiveSeconds = group?.collectiveSeconds;
  group?.close();

  const result: TrainResult = {
    runDir,
    steps: step,
    totalSteps,
    stopped: options.stop?.reason ?? (agreedStop ? 'SIGTERM' : null),
    best,
    lastValidation,
    lastCheckpoint,
    worldSize: world,
    rank,
    ...(collectiveSeconds !== undefined ? { collectiveSeconds } : {}),
  };
  const finished = !stopping() && step >= totalSteps;
  if (main && finished && (config.evaluation.test || config.evaluation.index))
    Object.assign(result, await evaluateAtEnd(config, corpus, runDir, store, encoder, device, log));
  await encoder.dispose();
  return result;
}

/** The end of a finished run: the best checkpoint on the test split, and a search over it (`evaluation`). */
async function evaluateAtEnd(
  config: TrainConfig,
  corpus: Awaited<ReturnType<typeof corpusOf>>,
  runDir: string,
  store: CheckpointStore,
  encoder: Encoder,
  device: string,
  log: (line: string) => void,
): Promise<Pick<TrainResult, 'test' | 'search'>> {
  const out: Pick<TrainResult, 'test' | 'search'> = {};
  // The best checkpoint by validation (the last model when no validation ran).
  const bestDir = store.best()?.dir ?? null;
  const final = bestDir ? await Encoder.load(bestDir, { device }) : encoder;
  const which = bestDir ? `best checkpoint (${basename(bestDir)})` : 'last model';
  // The test split, read once for both.
  const testRecords: CodeRecord[] = [];
  const testSource = sourceFor(corpus, config, 'test');
  for await (const r of testSource.records()) testRecords.push(r);
  if (testSource.stats.any) log(`test data: ${testSource.stats.format()}`);
  if (config.evaluation.test) out.test = await testEvaluation(config, testRecords, runDir, final, which, log);
  if (config.evaluation.index)
    out.search = await searchTestSplit(config, testRecords, runDir, final, bestDir, log);
  if (final !== encoder) await final.dispose();
  return out;
}

/** The first `rows` rows of a token batch (the records' own code, without hard negatives after them). */
function ownRows(batch: TokenBatch, rows: number): TokenBatch {
  if (batch.batchSize === rows) return batch;
  const n = rows * batch.seqLen;
  return {
    ...batch,
    batchSize: rows,
    inputIds: batch.inputIds.subarray(0, n),
    attentionMask: batch.attentionMask.subarray(0, n),
    ...(batch.tokenTypeIds ? { tokenTypeIds: batch.tokenTypeIds.subarray(0, n) } : {}),
  };
}

/** The hard negatives of every training pair (the capped set the batcher reads), by the record's url. */
async function hardNegativesOf(
  source: DataSource,
  cap: number | null,
  perPair: number,
  log: (l: string) => void,
): Promise<(r: CodeRecord) => readonly string[]> {
  const t0 = performance.now();
  const records: CodeRecord[] = [];
  for await (const r of source.records()) {
    records.push(r);
    if (records.length === cap) break;
  }
  const mined = mineHardNegatives(
    records.map((r) => ({ language: r.language, query: r.docstring, code: r.code })),
    perPair,
  );
  const byUrl = new Map(records.map((r, i) => [r.url, mined[i]!.map((j) => records[j]!.code)]));
  log(
    `hard negatives: ${perPair} per pair mined by BM25 for ${records.length} training pairs in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return (r) => byUrl.get(r.url) ?? [];
}

/** The options of every evaluation of a run: the CodeSearchNet chunks and the lengths the model was trained on. */
function evalOptions(config: TrainConfig) {
  return {
    distractors: config.validation.distractors,
    seed: config.seed,
    maxQueryLength: config.data.max_query_length,
    maxCodeLength: config.data.max_code_length,
  };
}

/** A model on the test split, beside BM25 on the same queries and candidates; written to test-results.json. */
async function testEvaluation(
  config: TrainConfig,
  records: readonly CodeRecord[],
  runDir: string,
  encoder: Encoder,
  which: string,
  log: (l: string) => void,
): Promise<EvalReport> {
  const report = await evaluate(encoder, pairsByLanguage(records), { ...evalOptions(config), bm25: true });
  log(formatEvalReport(`test split, ${which}, beside BM25:`, report));
  writeFileSync(
    join(runDir, 'test-results.json'),
    `${JSON.stringify({ model: which, ...report }, null, 2)}\n`,
  );
  return report;
}

/** Indexes the test split with a model and answers the config's sample query: the search a user will run. */
async function searchTestSplit(
  config: TrainConfig,
  records: readonly CodeRecord[],
  runDir: string,
  encoder: Encoder,
  modelDir: string | null,
  log: (l: string) => void,
): Promise<TrainResult['search']> {
  const snippets = records.map(snippetOf);
  const texts = records.map((r) => textToEmbed(recordTexts(r), DEFAULT_EMBED_TEXT));
  if (snippets.length === 0) {
    log('search: the test split is empty, nothing to index');
    return undefined;
  }
  const t0 = performance.now();
  const index = await CodeIndex.build(encoder, snippets, {
    texts,
    embedText: DEFAULT_EMBED_TEXT,
    ...(modelDir ? { modelSource: modelDir } : {}),
  });
  const file = join(runDir, 'test-split.index');
  index.save(file);
  log(
    `search: indexed the test split (${snippets.length} functions) in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${file}`,
  );
  const query = config.evaluation.sample_query;
  const hits = await index.search(query, { k: 3 });
  log(`search: "${query}"`);
  for (const h of hits) {
    log(`  ${h.path}:${h.startLine}  ${h.score.toFixed(3)}  ${h.name}`);
    for (const line of preview(h.code, 2)) log(`      ${line}`);
  }
  return { query, index: file, hits };
}
