// The search file: YAML naming a base training config, a metric, a space over config keys, a sampler, a pruner,
// a budget and how trials run. Every problem is reported with its file:line and key; a bad file never starts.
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { CONFIG_SCHEMA, ConfigError } from '../config/config.js';
import { applySchema, type FieldSpec, type SchemaIssue, suggest } from '../config/schema.js';
import type { PrunerSpec } from './pruner.js';
import {
  contains,
  type Distribution,
  isActive,
  type ParamSpec,
  type Params,
  type ParamValue,
} from './space.js';

export const FAILURE_REASONS = ['signal', 'oom', 'timeout', 'error', 'diverged', 'config'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface SearchSpec {
  file: string;
  name: string;
  /** The base training config (absolute). */
  base: string;
  /** Fixed `key=value` overrides of the base, applied before the searched keys. */
  set: string[];
  /** The folder that holds the study folder <output_dir>/<name>. */
  outputDir: string;
  metric: { key: string; direction: 'maximize' | 'minimize'; reduce: 'best' | 'last' };
  space: ParamSpec[];
  sampler: { type: 'random' | 'tpe'; seed: number; startupTrials: number; candidates: number; gamma: number };
  pruner: PrunerSpec;
  budget: { trials: number | null; minutes: number | null };
  concurrency: number;
  /** Trials to run first with these values (a baseline, a known good point); they count against the budget. */
  enqueue: Params[];
  trial: {
    timeoutMinutes: number | null;
    retries: number;
    retryOn: FailureReason[];
    /** argv before the trial's config file; null: this package's secora-train. */
    command: string[] | null;
    /** CPU threads per trial; null: the CPUs shared out between concurrent trials. */
    threads: number | null;
    /** Seconds between SIGTERM and SIGKILL when a trial is stopped. */
    graceSeconds: number;
  };
}

type Issue = { path: (string | number)[]; message: string };
type Raw = Record<string, unknown>;

const TOP_KEYS = [
  'name',
  'base',
  'set',
  'output_dir',
  'metric',
  'space',
  'sampler',
  'pruner',
  'budget',
  'concurrency',
  'trial',
  'enqueue',
];

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => JSON.stringify(v) ?? String(v);

/** Checks a mapping's keys against the allowed ones, with "did you mean". */
function keysOf(value: unknown, path: (string | number)[], allowed: string[], issues: Issue[]): Raw {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) {
    issues.push({ path, message: `${show(value)} is not a mapping: expected keys ${allowed.join(', ')}` });
    return {};
  }
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) {
      const hint = suggest(k, allowed);
      issues.push({
        path: [...path, k],
        message: `unknown key${hint ? ` (did you mean ${hint}?)` : ''}; allowed here: ${allowed.join(', ')}`,
      });
    }
  }
  return value;
}

function num(
  raw: Raw,
  key: string,
  path: (string | number)[],
  issues: Issue[],
  o: { def: number | null; min?: number; above?: number; integer?: boolean },
): number | null {
  const v = raw[key];
  if (v === undefined || v === null) return o.def;
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (!o.integer || Number.isInteger(v)) &&
    (o.min === undefined || v >= o.min) &&
    (o.above === undefined || v > o.above);
  if (!ok) {
    const what = [o.integer ? 'an integer' : 'a number'];
    if (o.min !== undefined) what.push(`>= ${o.min}`);
    if (o.above !== undefined) what.push(`> ${o.above}`);
    issues.push({ path: [...path, key], message: `${show(v)} is not allowed: expected ${what.join(' ')}` });
    return o.def;
  }
  return v as number;
}

function choice<T extends string>(
  raw: Raw,
  key: string,
  path: (string | number)[],
  issues: Issue[],
  values: readonly T[],
  def: T,
): T {
  const v = raw[key];
  if (v === undefined || v === null) return def;
  if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
  issues.push({
    path: [...path, key],
    message: `${show(v)} is not allowed: expected one of ${values.join(', ')}`,
  });
  return def;
}

/** The schema entry of a dotted config key, or undefined. */
function fieldOf(key: string): FieldSpec | undefined {
  let fields: Record<string, FieldSpec> = CONFIG_SCHEMA;
  const parts = key.split('.');
  for (let i = 0; i < parts.length; i++) {
    const f = fields[parts[i]!];
    if (!f) return undefined;
    if (i === parts.length - 1) return f;
    if (f.kind !== 'section') return undefined;
    fields = f.fields;
  }
  return undefined;
}

/** A value for a config key checked alone against the training config's schema (not its cross-key checks). */
function checkAgainstSchema(key: string, value: ParamValue): string | null {
  const nested: Raw = {};
  let node = nested;
  const parts = key.split('.');
  for (const p of parts.slice(0, -1)) node = node[p] = {} as Raw;
  node[parts[parts.length - 1]!] = value;
  const issues: SchemaIssue[] = [];
  applySchema(CONFIG_SCHEMA, nested, '', issues);
  return issues[0]?.message ?? null;
}

const SETTABLE = (f: FieldSpec | undefined) => f !== undefined && f.kind !== 'section' && f.kind !== 'list';

function parseParam(key: string, value: unknown, issues: Issue[]): ParamSpec | null {
  const path = ['space', key];
  const field = fieldOf(key);
  if (!SETTABLE(field)) {
    issues.push({
      path,
      message: field
        ? 'is not a single training-config value (a section or a list) and cannot be searched'
        : 'is not a training-config key (secora-train --help-config lists them)',
    });
    return null;
  }
  const raw = keysOf(value, path, ['type', 'low', 'high', 'log', 'values', 'when'], issues);
  const type = choice(
    raw,
    'type',
    path,
    issues,
    ['uniform', 'log_uniform', 'int', 'categorical'] as const,
    'uniform',
  );
  if (raw['type'] === undefined)
    issues.push({ path, message: 'needs a type: uniform, log_uniform, int or categorical' });
  let distribution: Distribution;
  if (type === 'categorical') {
    const values = raw['values'];
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      values.some((v) => !['number', 'string', 'boolean'].includes(typeof v))
    ) {
      issues.push({
        path: [...path, 'values'],
        message: 'a categorical key needs values: a non-empty list of numbers, strings or booleans',
      });
      return null;
    }
    distribution = { type, values: values as ParamValue[] };
  } else {
    const low = num(raw, 'low', path, issues, { def: null });
    const high = num(raw, 'high', path, issues, { def: null });
    if (low === null || high === null) {
      issues.push({ path, message: `a ${type} key needs low and high` });
      return null;
    }
    if (!(low < high))
      issues.push({ path: [...path, 'high'], message: `${high} must be larger than low (${low})` });
    const log = raw['log'] === true;
    if (type === 'int' && (!Number.isInteger(low) || !Number.isInteger(high)))
      issues.push({ path, message: 'an int key needs integer low and high' });
    if ((type === 'log_uniform' && low <= 0) || (type === 'int' && log && low < 1))
      issues.push({
        path: [...path, 'low'],
        message: `${low} is not allowed on a log scale: expected > 0 (int: >= 1)`,
      });
    distribution = type === 'int' ? { type, low, high, log } : { type, low, high };
  }
  const ends =
    distribution.type === 'categorical' ? distribution.values : [distribution.low, distribution.high];
  for (const v of ends) {
    const problem = checkAgainstSchema(key, v);
    if (problem) issues.push({ path, message: `the training config does not allow ${show(v)}: ${problem}` });
  }
  const when: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(
    keysOf(raw['when'], [...path, 'when'], Object.keys(isObject(raw['when']) ? raw['when'] : {}), issues),
  ))
    when[k] = v as ParamValue;
  return { key, distribution, when };
}

/** Parses and checks a search file's text; `file` names it in errors and anchors relative paths. */
export function parseSearch(text: string, file: string): SearchSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0)
    throw new ConfigError(
      file,
      doc.errors.map(
        (e) => `${file}:${lines.linePos(e.pos[0]).line}: YAML syntax: ${e.message.split('\n')[0]}`,
      ),
    );
  const issues: Issue[] = [];
  const top = keysOf(doc.toJS() ?? {}, [], TOP_KEYS, issues);
  const here = dirname(resolve(file));

  const name = typeof top['name'] === 'string' ? top['name'] : basename(file).replace(/\.ya?ml$/, '');
  if (!/^[\w.-]+$/.test(name))
    issues.push({ path: ['name'], message: `${show(name)}: letters, digits, '.', '_' and '-' only` });
  if (typeof top['base'] !== 'string')
    issues.push({ path: ['base'], message: 'name the base training config (a path relative to this file)' });
  const base = resolve(here, String(top['base'] ?? ''));
  const set = top['set'] ?? [];
  if (!Array.isArray(set) || set.some((s) => typeof s !== 'string' || !s.includes('=')))
    issues.push({
      path: ['set'],
      message: 'expected a list of key=value overrides, e.g. [evaluation.test=false]',
    });
  const outputDir = typeof top['output_dir'] === 'string' ? top['output_dir'] : 'runs/hparam';

  const m = keysOf(top['metric'], ['metric'], ['key', 'direction', 'reduce'], issues);
  const metric = {
    key: typeof m['key'] === 'string' ? m['key'] : 'val/mrr',
    direction: choice(m, 'direction', ['metric'], issues, ['maximize', 'minimize'] as const, 'maximize'),
    reduce: choice(m, 'reduce', ['metric'], issues, ['best', 'last'] as const, 'best'),
  };

  const space: ParamSpec[] = [];
  if (!isObject(top['space']) || Object.keys(top['space']).length === 0) {
    issues.push({
      path: ['space'],
      message:
        'needs at least one key to search, e.g. training.lr: {type: log_uniform, low: 1e-4, high: 1e-2}',
    });
  } else {
    for (const [key, value] of Object.entries(top['space'])) {
      const p = parseParam(key, value, issues);
      if (p) space.push(p);
    }
    for (const p of space)
      for (const [k, v] of Object.entries(p.when)) {
        const earlier = space.slice(0, space.indexOf(p)).find((q) => q.key === k);
        if (!earlier)
          issues.push({
            path: ['space', p.key, 'when', k],
            message: 'a condition must name a key searched above this one',
          });
        else if (earlier.distribution.type === 'categorical' && !earlier.distribution.values.includes(v))
          issues.push({
            path: ['space', p.key, 'when', k],
            message: `${show(v)} is not one of ${k}'s values`,
          });
      }
  }

  const s = keysOf(
    top['sampler'],
    ['sampler'],
    ['type', 'seed', 'startup_trials', 'candidates', 'gamma'],
    issues,
  );
  const sampler = {
    type: choice(s, 'type', ['sampler'], issues, ['random', 'tpe'] as const, 'tpe'),
    seed: num(s, 'seed', ['sampler'], issues, { def: 0, min: 0, integer: true })!,
    startupTrials: num(s, 'startup_trials', ['sampler'], issues, { def: 5, min: 0, integer: true })!,
    candidates: num(s, 'candidates', ['sampler'], issues, { def: 24, min: 1, integer: true })!,
    gamma: num(s, 'gamma', ['sampler'], issues, { def: 0.25, above: 0 })!,
  };

  const p = keysOf(
    top['pruner'],
    ['pruner'],
    ['type', 'startup_trials', 'warmup_steps', 'min_step', 'reduction_factor'],
    issues,
  );
  const ptype = choice(p, 'type', ['pruner'], issues, ['none', 'median', 'asha'] as const, 'median');
  const pruner: PrunerSpec =
    ptype === 'none'
      ? { type: 'none' }
      : ptype === 'median'
        ? {
            type: 'median',
            startupTrials: num(p, 'startup_trials', ['pruner'], issues, { def: 3, min: 0, integer: true })!,
            warmupSteps: num(p, 'warmup_steps', ['pruner'], issues, { def: 0, min: 0, integer: true })!,
          }
        : {
            type: 'asha',
            minStep: num(p, 'min_step', ['pruner'], issues, { def: 1, min: 1, integer: true })!,
            reductionFactor: num(p, 'reduction_factor', ['pruner'], issues, {
              def: 3,
              min: 2,
              integer: true,
            })!,
          };

  const b = keysOf(top['budget'], ['budget'], ['trials', 'minutes'], issues);
  const budget = {
    trials: num(b, 'trials', ['budget'], issues, { def: null, min: 1, integer: true }),
    minutes: num(b, 'minutes', ['budget'], issues, { def: null, above: 0 }),
  };
  if (budget.trials === null && budget.minutes === null)
    issues.push({ path: ['budget'], message: 'set budget.trials, budget.minutes or both' });

  const t = keysOf(
    top['trial'],
    ['trial'],
    ['timeout_minutes', 'retries', 'retry_on', 'command', 'threads', 'grace_seconds'],
    issues,
  );
  const retryOn = t['retry_on'] ?? ['signal', 'oom', 'timeout'];
  if (
    !Array.isArray(retryOn) ||
    retryOn.some((r) => !(FAILURE_REASONS as readonly unknown[]).includes(r) || r === 'config')
  )
    issues.push({
      path: ['trial', 'retry_on'],
      message: `expected a list of ${FAILURE_REASONS.filter((r) => r !== 'config').join(', ')} (a config error is never retried)`,
    });
  const command = t['command'] ?? null;
  if (
    command !== null &&
    (!Array.isArray(command) || command.length === 0 || command.some((c) => typeof c !== 'string'))
  )
    issues.push({
      path: ['trial', 'command'],
      message: 'expected a non-empty list of strings (the trial config file is appended)',
    });
  const trial = {
    timeoutMinutes: num(t, 'timeout_minutes', ['trial'], issues, { def: null, above: 0 }),
    retries: num(t, 'retries', ['trial'], issues, { def: 2, min: 0, integer: true })!,
    retryOn: (Array.isArray(retryOn) ? retryOn : []) as FailureReason[],
    command: Array.isArray(command)
      ? (command as string[]).map((c) => (c.startsWith('./') || c.startsWith('../') ? resolve(here, c) : c))
      : null,
    threads: num(t, 'threads', ['trial'], issues, { def: null, min: 1, integer: true }),
    graceSeconds: num(t, 'grace_seconds', ['trial'], issues, { def: 30, min: 0 })!,
  };
  const concurrency = num(top, 'concurrency', [], issues, { def: 1, min: 1, integer: true })!;

  const enqueue: Params[] = [];
  const listed = top['enqueue'] ?? [];
  if (!Array.isArray(listed))
    issues.push({ path: ['enqueue'], message: 'expected a list of mappings of searched keys to values' });
  else
    listed.forEach((item, i) => {
      const params = keysOf(
        item,
        ['enqueue', i],
        space.map((p) => p.key),
        issues,
      ) as Params;
      for (const p of space) {
        const active = isActive(p, params);
        if (active && !(p.key in params))
          issues.push({ path: ['enqueue', i], message: `needs a value for ${p.key}` });
        else if (active && !contains(p.distribution, params[p.key]!))
          issues.push({
            path: ['enqueue', i, p.key],
            message: `${show(params[p.key])} is outside the searched range`,
          });
      }
      enqueue.push(params);
    });

  if (issues.length > 0) {
    const where = (path: (string | number)[]): string => {
      for (let n = path.length; n > 0; n--) {
        const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        let offset = node?.range?.[0];
        if (offset === undefined) {
          const parent = n > 1 ? doc.getIn(path.slice(0, n - 1), true) : doc.contents;
          if (isMap(parent)) {
            const pair = parent.items.find((it) => (it.key as { value?: unknown })?.value === path[n - 1]);
            offset = (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
          } else if (isSeq(parent)) offset = undefined;
        }
        if (offset !== undefined) return `${file}:${lines.linePos(offset).line}`;
      }
      return `${file}:1`;
    };
    throw new ConfigError(
      file,
      issues.map(
        (i) => `${where(i.path)}: ${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`,
      ),
    );
  }
  return {
    file: resolve(file),
    name,
    base,
    set: set as string[],
    outputDir: resolve(outputDir),
    metric,
    space,
    sampler,
    pruner,
    budget,
    concurrency,
    enqueue,
    trial,
  };
}

export function loadSearch(file: string): SearchSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read the search file: ${(error as Error).message}`]);
  }
  return parseSearch(text, file);
}
