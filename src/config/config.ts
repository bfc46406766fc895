// The training config: YAML in, validated and typed config out. Every error names the file, the line, the
// key, the value and what is allowed; a config with any error never starts a run.
import { readFileSync } from 'node:fs';
import { isMap, LineCounter, parseDocument, stringify, visit } from 'yaml';
import { DEFAULT_MAX_RECORD_CHARS } from '../data/skip-stats.js';
import { applySchema, type ConfigOf, describeSchema, type FieldSpec, type SchemaIssue } from './schema.js';

export const LANGUAGES = ['go', 'java', 'javascript', 'php', 'python', 'ruby', 'typescript'] as const;

export const CONFIG_SCHEMA = {
  name: {
    kind: 'string',
    default: null,
    nullable: true,
    doc: 'run name (default: the config file name and a time stamp)',
  },
  output_dir: { kind: 'string', default: 'runs', doc: 'folder that holds the runs' },
  seed: {
    kind: 'number',
    default: 42,
    integer: true,
    min: 0,
    max: 4294967295,
    doc: 'seed of weights, dropout and data order',
  },
  device: { kind: 'string', default: 'cpu', doc: 'cpu, cuda or cuda:N' },
  deterministic: { kind: 'boolean', default: false, doc: 'bitwise reproducible on CPU (slower kernels)' },
  threads: {
    kind: 'number',
    default: null,
    nullable: true,
    integer: true,
    min: 1,
    max: 4096,
    doc: 'CPU threads (default: all)',
  },
  data: {
    kind: 'section',
    doc: 'where the (docstring, code) pairs come from',
    fields: {
      source: {
        kind: 'enum',
        values: ['default', 'codesearchnet', 'hf-parquet', 'graphcodebert'],
        default: 'default',
        doc: 'default: the corpus mined from code on this machine; the others read a downloaded data set at data.path',
      },
      path: {
        kind: 'string',
        default: null,
        nullable: true,
        doc: 'folder of the data set (not for source: default)',
      },
      default_corpus: {
        kind: 'enum',
        values: ['debian', 'debian-small', 'local'],
        default: 'debian',
        doc: "source: default's corpus: debian (Debian 12's packages), debian-small (a fixed slice of it, for quick runs), local (version 1: this machine's python3 and node_modules)",
      },
      languages: {
        kind: 'list',
        values: LANGUAGES,
        default: [],
        doc: 'languages to use (empty: all present)',
      },
      max_query_length: {
        kind: 'number',
        default: 64,
        integer: true,
        min: 8,
        max: 65536,
        doc: 'tokens of a docstring',
      },
      max_code_length: {
        kind: 'number',
        default: 256,
        integer: true,
        min: 8,
        max: 65536,
        doc: 'tokens of code',
      },
      bucketing: { kind: 'boolean', default: true, doc: 'group examples of similar length into batches' },
      prefetch: {
        kind: 'number',
        default: 4,
        integer: true,
        min: 0,
        max: 1024,
        doc: 'batches prepared ahead of the step',
      },
      shuffle_buffer: {
        kind: 'number',
        default: 8192,
        integer: true,
        min: 1,
        max: 10_000_000,
        doc: 'records held for shuffling',
      },
      max_record_chars: {
        kind: 'number',
        default: DEFAULT_MAX_RECORD_CHARS,
        integer: true,
        min: 100,
        doc: 'a record whose docstring and code are longer is skipped and counted, before tokenizing',
      },
      max_train_examples: {
        kind: 'number',
        default: null,
        nullable: true,
        integer: true,
        min: 1,
        doc: 'cap on training pairs (tests, quick runs)',
      },
    },
  },
  tokenizer: {
    kind: 'section',
    doc: 'a Hugging Face tokenizer.json, or a byte-level BPE trained on the training split',
    fields: {
      path: {
        kind: 'string',
        default: null,
        nullable: true,
        doc: "tokenizer.json to load (default: the model folder's, or train one)",
      },
      vocab_size: {
        kind: 'number',
        default: 8192,
        integer: true,
        min: 300,
        max: 1_048_576,
        doc: 'vocabulary of a trained BPE',
      },
      code_aware: {
        kind: 'boolean',
        default: true,
        doc: 'a trained BPE splits identifiers (camelCase, snake_case) into lowercase words first, as BM25 does',
      },
      train_examples: {
        kind: 'number',
        default: 20000,
        integer: true,
        min: 10,
        max: 100_000_000,
        doc: 'training pairs the BPE is learned on',
      },
    },
  },
  model: {
    kind: 'section',
    doc: 'the encoder: from scratch with these sizes, or a Hugging Face model folder',
    fields: {
      from: {
        kind: 'string',
        default: 'scratch',
        doc: '"scratch" or a folder with config.json and model.safetensors',
      },
      type: {
        kind: 'enum',
        values: ['bert', 'roberta'],
        default: 'roberta',
        doc: 'architecture when from scratch',
      },
      hidden_size: { kind: 'number', default: 256, integer: true, min: 8, max: 65536, doc: '' },
      num_layers: { kind: 'number', default: 4, integer: true, min: 1, max: 1024, doc: '' },
      num_heads: {
        kind: 'number',
        default: 4,
        integer: true,
        min: 1,
        max: 1024,
        doc: 'must divide hidden_size',
      },
      intermediate_size: { kind: 'number', default: 1024, integer: true, min: 1, max: 262144, doc: '' },
      max_positions: {
        kind: 'number',
        default: 514,
        integer: true,
        min: 16,
        max: 65536,
        doc: 'position embeddings',
      },
      dropout: {
        kind: 'number',
        default: 0.1,
        min: 0,
        max: 0.9,
        doc: 'hidden dropout (SimCSE needs it > 0)',
      },
      attention_dropout: { kind: 'number', default: 0.1, min: 0, max: 0.9, doc: '' },
      layer_norm_eps: { kind: 'number', default: 1e-5, above: 0, max: 1, doc: '' },
      pooling: {
        kind: 'enum',
        values: ['cls', 'mean', 'cls_projection'],
        default: 'cls_projection',
        doc: 'cls_projection: CLS then Linear+Tanh (the original secora head)',
      },
      embedding_size: {
        kind: 'number',
        default: 256,
        integer: true,
        min: 2,
        max: 65536,
        doc: 'output size of cls_projection',
      },
    },
  },
  training: {
    kind: 'section',
    doc: 'objective, optimizer and schedule',
    fields: {
      objective: {
        kind: 'enum',
        values: ['pairs', 'simcse', 'both'],
        default: 'pairs',
        doc: 'pairs: docstring->code InfoNCE; simcse: doc<sep>code encoded twice; both: alternate',
      },
      temperature: { kind: 'number', default: 0.05, above: 0, max: 10, doc: 'InfoNCE temperature' },
      symmetric: { kind: 'boolean', default: true, doc: 'also code->docstring' },
      batch_size: {
        kind: 'number',
        default: 32,
        integer: true,
        min: 2,
        max: 65536,
        doc: 'pairs per step (in-batch negatives)',
      },
      grad_cache_micro_batch: {
        kind: 'number',
        default: 0,
        integer: true,
        min: 0,
        max: 65536,
        doc: 'GradCache micro-batch (0: off)',
      },
      grad_accumulation: {
        kind: 'number',
        default: 1,
        integer: true,
        min: 1,
        max: 65536,
        doc: 'contrastive batch = batch_size x this, through GradCache',
      },
      optimizer: { kind: 'enum', values: ['adamw'], default: 'adamw', doc: '' },
      lr: { kind: 'number', default: 5e-4, above: 0, max: 1, doc: 'peak learning rate' },
      weight_decay: { kind: 'number', default: 0.01, min: 0, max: 1, doc: 'not on biases and LayerNorm' },
      beta1: { kind: 'number', default: 0.9, min: 0, max: 0.999999, doc: '' },
      beta2: { kind: 'number', default: 0.999, min: 0, max: 0.999999, doc: '' },
      eps: { kind: 'number', default: 1e-8, above: 0, max: 1, doc: '' },
      schedule: {
        kind: 'enum',
        values: ['constant', 'linear', 'cosine'],
        default: 'linear',
        doc: 'after warmup',
      },
      warmup_steps: { kind: 'number', default: 100, integer: true, min: 0, doc: '' },
      min_lr_ratio: {
        kind: 'number',
        default: 0,
        min: 0,
        max: 1,
        doc: 'floor of linear/cosine decay, as a fraction of lr',
      },
      epochs: {
        kind: 'number',
        default: null,
        nullable: true,
        above: 0,
        max: 1_000_000,
        doc: 'passes over the training split (or max_steps)',
      },
      max_steps: {
        kind: 'number',
        default: null,
        nullable: true,
        integer: true,
        min: 1,
        doc: 'optimizer steps (or epochs)',
      },
      max_grad_norm: {
        kind: 'number',
        default: 1,
        min: 0,
        max: 1_000_000,
        doc: 'clip the global gradient norm (0: off)',
      },
      max_loss: {
        kind: 'number',
        default: null,
        nullable: true,
        above: 0,
        max: 1e12,
        doc: 'a step loss above this (or NaN) ends the run as diverged (NaN always does)',
      },
      precision: { kind: 'enum', values: ['fp32', 'bf16', 'fp16'], default: 'fp32', doc: 'fp16 needs CUDA' },
      log_interval: { kind: 'number', default: 10, integer: true, min: 1, doc: 'steps between metric lines' },
      query_views: {
        kind: 'section',
        doc: 'the query side of a pair reshaped like a search (rates: first_sentence + shortened + name <= 1; the rest keeps the docstring)',
        fields: {
          first_sentence: {
            kind: 'number',
            default: 0,
            min: 0,
            max: 1,
            doc: "the docstring's first sentence",
          },
          shortened: {
            kind: 'number',
            default: 0,
            min: 0,
            max: 1,
            doc: 'a few content words (stop words and filler dropped)',
          },
          name: {
            kind: 'number',
            default: 0,
            min: 0,
            max: 1,
            doc: "words of the function's name and parameters",
          },
          language: {
            kind: 'number',
            default: 0,
            min: 0,
            max: 1,
            doc: "the language's name added to the query",
          },
          word_dropout: {
            kind: 'number',
            default: 0,
            min: 0,
            max: 1,
            doc: 'each query word dropped with this probability',
          },
        },
      },
      hard_negatives: {
        kind: 'number',
        default: 0,
        integer: true,
        min: 0,
        max: 16,
        doc: 'BM25-mined hard negatives per pair (same language, never the pair itself), extra candidates in the loss',
      },
      simcse_steps: {
        kind: 'number',
        default: 0,
        integer: true,
        min: 0,
        doc: 'the first steps of the run: unsupervised SimCSE on code alone (dropout views), before the pairs',
      },
      gather_negatives: {
        kind: 'boolean',
        default: true,
        doc: "with several processes, every process's batch gives negatives (no effect with one)",
      },
    },
  },
  distributed: {
    kind: 'section',
    doc: 'data-parallel runs (secora-train --nproc-per-node N, torchrun, srun)',
    fields: {
      backend: {
        kind: 'enum',
        values: ['auto', 'gloo', 'nccl'],
        default: 'auto',
        doc: 'auto: nccl on CUDA when the addon has it, else gloo',
      },
      timeout_seconds: {
        kind: 'number',
        default: 300,
        above: 0,
        max: 86_400,
        doc: 'rendezvous and each collective: a dead or silent worker ends the run after this long',
      },
    },
  },
  validation: {
    kind: 'section',
    doc: 'MRR on the validation split by the CodeSearchNet protocol',
    fields: {
      interval: { kind: 'number', default: 200, integer: true, min: 1, doc: 'steps between validations' },
      distractors: {
        kind: 'number',
        default: 999,
        integer: true,
        min: 1,
        max: 1_000_000,
        doc: 'candidates per query besides its own code',
      },
      max_queries: {
        kind: 'number',
        default: 5000,
        integer: true,
        min: 2,
        max: 10_000_000,
        doc: 'per language',
      },
    },
  },
  evaluation: {
    kind: 'section',
    doc: 'after training: the test split, and a search over it',
    fields: {
      test: {
        kind: 'boolean',
        default: true,
        doc: 'MRR on the test split (best model) beside BM25 on the same queries',
      },
      index: {
        kind: 'boolean',
        default: true,
        doc: 'index the test split with the best model and answer sample_query',
      },
      sample_query: {
        kind: 'string',
        default: 'read a file and return its lines',
        doc: 'the query the end of a run answers',
      },
    },
  },
  checkpoint: {
    kind: 'section',
    doc: 'checkpoints under <output_dir>/<name>/checkpoints',
    fields: {
      interval: { kind: 'number', default: 200, integer: true, min: 1, doc: 'steps between checkpoints' },
      keep: {
        kind: 'number',
        default: 3,
        integer: true,
        min: 1,
        max: 1000,
        doc: 'newest checkpoints kept (the best is kept too)',
      },
    },
  },
} as const satisfies Record<string, FieldSpec>;

/** The validated config. Its type is derived from CONFIG_SCHEMA: a key is added in the schema alone. */
export type TrainConfig = ConfigOf<typeof CONFIG_SCHEMA>;
export type Objective = TrainConfig['training']['objective'];
export type Precision = TrainConfig['training']['precision'];
export type ScheduleName = TrainConfig['training']['schedule'];

/** A config that cannot run: every problem, each on its own line with file, line and key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      `${file}: the config has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  }
}

/** Checks that span several keys; each names the keys involved. */
function crossChecks(c: TrainConfig): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  if (c.data.source !== 'default' && !c.data.path) {
    issues.push({ key: 'data.path', message: `is required when data.source is ${c.data.source}` });
  }
  if (c.data.source === 'default' && c.data.path) {
    issues.push({
      key: 'data.path',
      message: 'must not be set when data.source is default (the embedded corpus)',
    });
  }
  if (c.model.from === 'scratch' && c.model.hidden_size % c.model.num_heads !== 0) {
    issues.push({
      key: 'model.num_heads',
      message: `${c.model.num_heads} does not divide model.hidden_size ${c.model.hidden_size}`,
    });
  }
  if (c.model.from === 'scratch') {
    const longest = Math.max(c.data.max_query_length, c.data.max_code_length);
    // RoBERTa's positions start at pad_token_id + 1, so two positions are never used for tokens.
    const usable = c.model.type === 'roberta' ? c.model.max_positions - 2 : c.model.max_positions;
    if (longest > usable) {
      issues.push({
        key: 'model.max_positions',
        message: `${c.model.max_positions} leaves ${usable} positions, fewer than the longest input (${longest} tokens)`,
      });
    }
  }
  if (c.model.from === 'scratch') {
    // Each size is in range, but together they can still ask for more weights than any machine holds.
    const m = c.model;
    const h = m.hidden_size;
    const params =
      (c.tokenizer.vocab_size + m.max_positions) * h +
      m.num_layers * (4 * h * h + 2 * h * m.intermediate_size);
    if (params > 20e9) {
      issues.push({
        key: 'model.hidden_size',
        message: `with model.num_layers ${m.num_layers}, model.intermediate_size ${m.intermediate_size} and tokenizer.vocab_size ${c.tokenizer.vocab_size} the model would have ${(params / 1e9).toFixed(0)} billion weights (at most 20 billion)`,
      });
    }
  }
  if (c.training.epochs === null && c.training.max_steps === null) {
    issues.push({ key: 'training.max_steps', message: 'set training.max_steps or training.epochs' });
  }
  if (c.training.precision === 'fp16' && !c.device.startsWith('cuda')) {
    issues.push({
      key: 'training.precision',
      message: `fp16 needs a CUDA device (device is ${c.device}); use bf16 or fp32 on the CPU`,
    });
  }
  if (c.training.grad_cache_micro_batch > c.training.batch_size * c.training.grad_accumulation) {
    issues.push({
      key: 'training.grad_cache_micro_batch',
      message: `${c.training.grad_cache_micro_batch} is larger than the contrastive batch (${c.training.batch_size * c.training.grad_accumulation})`,
    });
  }
  const q = c.training.query_views;
  if (q.first_sentence + q.shortened + q.name > 1) {
    issues.push({
      key: 'training.query_views',
      message: `first_sentence + shortened + name is ${q.first_sentence + q.shortened + q.name}: the rates of the views drawn must sum to at most 1`,
    });
  }
  if (c.training.hard_negatives > 0 && c.training.objective === 'simcse') {
    issues.push({
      key: 'training.hard_negatives',
      message: 'needs (docstring, code) pairs: training.objective is simcse',
    });
  }
  if (c.training.max_steps !== null && c.training.simcse_steps >= c.training.max_steps) {
    issues.push({
      key: 'training.simcse_steps',
      message: `${c.training.simcse_steps} leaves no step for the pairs (training.max_steps is ${c.training.max_steps})`,
    });
  }
  if ((c.training.objective !== 'pairs' || c.training.simcse_steps > 0) && c.model.dropout === 0) {
    issues.push({
      key: 'model.dropout',
      message: 'SimCSE (training.objective simcse or both) needs dropout > 0: two encodings must differ',
    });
  }
  if (!/^(cpu|cuda(:\d+)?)$/.test(c.device)) {
    issues.push({
      key: 'device',
      message: `${JSON.stringify(c.device)} is not allowed: expected cpu, cuda or cuda:N`,
    });
  }
  if (c.name !== null && (!/^[\w.-]+$/.test(c.name) || /^\.+$/.test(c.name))) {
    issues.push({
      key: 'name',
      message: `${JSON.stringify(c.name)} is not allowed: letters, digits, '.', '_' and '-' only`,
    });
  }
  return issues;
}

/** Keys that would reach an object's prototype instead of a key of its own. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Reads one --set value as YAML; an error says which flag and where in the value. */
function overrideValue(set: string, text: string, issues: SchemaIssue[]): { value: unknown } | null {
  const doc = parseDocument(text, { prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    issues.push({
      key: `--set ${set}`,
      message: `the value is not valid YAML at character ${error.pos[0] + 1}: ${error.message.split('\n')[0]}`,
    });
    return null;
  }
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (e) {
    issues.push({ key: `--set ${set}`, message: `the value cannot be read: ${(e as Error).message}` });
    return null;
  }
}

/** Applies `--set key=value` overrides; the value is read as YAML (numbers, booleans, lists). */
export function applyOverrides(raw: Record<string, unknown>, sets: string[], issues: SchemaIssue[]): void {
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) {
      issues.push({ key: `--set ${set}`, message: 'expected key=value, e.g. --set training.lr=0.001' });
      continue;
    }
    const path = set.slice(0, eq).split('.');
    const bad = path.find((p) => PROTOTYPE_KEYS.has(p) || p === '');
    if (bad !== undefined) {
      issues.push({ key: `--set ${set}`, message: `${JSON.stringify(bad)} is not a config key` });
      continue;
    }
    const parsed = overrideValue(set, set.slice(eq + 1), issues);
    if (!parsed) continue;
    const { value } = parsed;
    let node: Record<string, unknown> = raw;
    for (const part of path.slice(0, -1)) {
      const next = Object.hasOwn(node, part) ? node[part] : undefined;
      if (next === undefined || next === null) node[part] = {};
      else if (typeof next !== 'object' || Array.isArray(next)) {
        issues.push({ key: `--set ${set}`, message: `${part} is not a section` });
        break;
      }
      node = node[part] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
}

/** Validates a raw config mapping (overrides applied first): the typed config and every problem found. */
function checkConfig(
  raw: Record<string, unknown>,
  sets: string[],
): { config: TrainConfig; issues: SchemaIssue[] } {
  const issues: SchemaIssue[] = [];
  applyOverrides(raw, sets, issues);
  const config: TrainConfig = applySchema(CONFIG_SCHEMA, raw, '', issues);
  if (issues.length === 0) issues.push(...crossChecks(config));
  return { config, issues };
}

/** Validates a config given as an object (a program's, not a file's); `source` names it in errors. */
export function configFromObject(
  raw: Record<string, unknown> | TrainConfig,
  sets: string[] = [],
  source = 'config object',
): TrainConfig {
  const { config, issues } = checkConfig(structuredClone(raw) as Record<string, unknown>, sets);
  if (issues.length > 0)
    throw new ConfigError(
      source,
      issues.map((i) => `${i.key}: ${i.message}`),
    );
  return config;
}

/** Parses and validates a config text. `file` names it in errors. */
export function parseConfig(text: string, file: string, sets: string[] = []): TrainConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map(
        (e) => `${file}:${lines.linePos(e.pos[0]).line}: YAML syntax: ${e.message.split('\n')[0]}`,
      ),
    );
  }
  // Keys such as __proto__ would reach the prototype of the object YAML builds: refused where they are.
  const prototypeKeys: string[] = [];
  visit(doc, {
    Pair(_, pair) {
      const key = (pair.key as { value?: unknown; range?: [number, number, number] } | null) ?? null;
      if (key && typeof key.value === 'string' && PROTOTYPE_KEYS.has(key.value))
        prototypeKeys.push(
          `${file}:${lines.linePos(key.range?.[0] ?? 0).line}: ${JSON.stringify(key.value)} is not a config key`,
        );
    },
  });
  if (prototypeKeys.length > 0) throw new ConfigError(file, prototypeKeys);
  let js: unknown;
  try {
    // Aliases that expand without end (a "billion laughs" file) stop here, with the file and the first alias.
    js = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    let line = 1;
    visit(doc, {
      Alias(_, node) {
        line = lines.linePos(node.range?.[0] ?? 0).line;
        return visit.BREAK;
      },
    });
    throw new ConfigError(file, [`${file}:${line}: YAML: ${(error as Error).message}`]);
  }
  const raw = (js ?? {}) as unknown;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(file, [`${file}:1: the config must be a mapping of keys to values`]);
  }
  const { config, issues } = checkConfig(raw as Record<string, unknown>, sets);
  if (issues.length > 0) {
    const where = (key: string): string => {
      if (key.startsWith('--set')) return 'command line';
      const node = doc.getIn(key.split('.'), true) as { range?: [number, number, number] } | undefined;
      let offset = node?.range?.[0];
      if (offset === undefined) {
        // An unknown or missing key: point at the key itself, or its section.
        const parts = key.split('.');
        const section = parts.length > 1 ? doc.getIn(parts.slice(0, -1), true) : doc.contents;
        if (isMap(section)) {
          const pair = section.items.find(
            (p) => (p.key as { value?: unknown })?.value === parts[parts.length - 1],
          );
          offset = (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
          offset ??= section.range?.[0];
        }
      }
      return offset === undefined ? file : `${file}:${lines.linePos(offset).line}`;
    };
    throw new ConfigError(
      file,
      issues.map((i) => `${where(i.key)}: ${i.key}: ${i.message}`),
    );
  }
  return config;
}

export function loadConfig(file: string, sets: string[] = []): TrainConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read the config: ${(error as Error).message}`]);
  }
  return parseConfig(text, file, sets);
}

/** The resolved config as YAML, saved with every run so it can be reproduced from its folder. */
export function configToYaml(config: TrainConfig): string {
  return stringify(config);
}

export function configHelp(): string {
  return describeSchema(CONFIG_SCHEMA).join('\n');
}
