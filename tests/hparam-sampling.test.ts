// The search's pure parts: samplers against their spaces and seeds, TPE against random on a synthetic
// objective, pruning decisions on synthetic learning curves, and the search file's errors.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shouldPrune } from '../src/hparam/pruner.js';
import { mixSeed, seededRandom } from '../src/hparam/random.js';
import { loadSearch, parseSearch } from '../src/hparam/search-file.js';
import { contains, type ParamSpec, type Params, sampleRandom } from '../src/hparam/space.js';
import { type Observation, sampleTpe } from '../src/hparam/tpe.js';
import { packageRoot } from '../src/native.js';

const SPACE: ParamSpec[] = [
  { key: 'model.dropout', distribution: { type: 'uniform', low: 0, high: 1 }, when: {} },
  { key: 'training.lr', distribution: { type: 'log_uniform', low: 1e-5, high: 1 }, when: {} },
  {
    key: 'training.objective',
    distribution: { type: 'categorical', values: ['pairs', 'simcse', 'both'] },
    when: {},
  },
  { key: 'training.warmup_steps', distribution: { type: 'int', low: 0, high: 7, log: false }, when: {} },
  { key: 'training.batch_size', distribution: { type: 'int', low: 2, high: 512, log: true }, when: {} },
  {
    key: 'training.symmetric',
    distribution: { type: 'categorical', values: [true, false] },
    when: { 'training.objective': 'pairs' },
  },
];

/** A synthetic objective: best at dropout 0.8, lr 1e-2, objective 'simcse', warm-up 3; larger is better. */
function objective(p: Params): number {
  return (
    -(((p['model.dropout'] as number) - 0.8) ** 2) -
    ((Math.log10(p['training.lr'] as number) + 2) / 5) ** 2 +
    (p['training.objective'] === 'simcse' ? 0.2 : 0) -
    Math.abs((p['training.warmup_steps'] as number) - 3) / 20
  );
}

function search(kind: 'random' | 'tpe', seed: number, n: number): number[] {
  const history: Observation[] = [];
  for (let i = 0; i < n; i++) {
    const random = seededRandom(mixSeed(seed, i));
    const params = kind === 'random' ? sampleRandom(SPACE, random) : sampleTpe(SPACE, history, random);
    history.push({ params, score: objective(params), pruned: false });
  }
  return history.map((o) => o.score);
}

describe('samplers', () => {
  it('draw only values inside each distribution, and conditional keys only when their condition holds', () => {
    const history: Observation[] = [];
    for (let i = 0; i < 300; i++) {
      const random = seededRandom(i);
      const p = i % 2 ? sampleRandom(SPACE, random) : sampleTpe(SPACE, history, random);
      history.push({ params: p, score: objective(p), pruned: i % 7 === 0 });
      for (const spec of SPACE) {
        const active = spec.key !== 'training.symmetric' || p['training.objective'] === 'pairs';
        expect(spec.key in p).toBe(active);
        if (active)
          expect(contains(spec.distribution, p[spec.key]!), `${spec.key}=${p[spec.key]}`).toBe(true);
      }
    }
    // Every categorical value and both ends of an int range occur.
    const seen = (k: string) => new Set(history.map((o) => o.params[k]));
    expect(seen('training.objective').size).toBe(3);
    expect(seen('training.warmup_steps')).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
  });

  it('give the same suggestions for the same seed and history, other ones for another seed', () => {
    expect(search('random', 5, 12)).toEqual(search('random', 5, 12));
    expect(search('tpe', 5, 15)).toEqual(search('tpe', 5, 15));
    expect(search('tpe', 6, 15)).not.toEqual(search('tpe', 5, 15));
  });

  it('TPE concentrates on the good region better than random search', () => {
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const late = (kind: 'random' | 'tpe') =>
      mean([1, 2, 3, 4, 5].map((seed) => mean(search(kind, seed, 40).slice(20))));
    const best = (kind: 'random' | 'tpe') =>
      mean([1, 2, 3, 4, 5].map((seed) => Math.max(...search(kind, seed, 40))));
    // The later suggestions are better on average, and so is the best found.
    expect(late('tpe')).toBeGreaterThan(late('random') + 0.05);
    expect(best('tpe')).toBeGreaterThan(best('random'));
  });
});

describe('pruners', () => {
  const curve = (...scores: number[]) => scores.map((score, i) => ({ step: (i + 1) * 10, score }));
  const others = [curve(0.1, 0.2, 0.3), curve(0.2, 0.4, 0.5), curve(0.3, 0.5, 0.6)];
  const median = { type: 'median' as const, startupTrials: 2, warmupSteps: 0 };

  it('median: stops a trial below the median at its step, keeps one at or above it', () => {
    expect(shouldPrune(median, curve(0.1, 0.15), others, 3)).toMatchObject({ prune: true });
    expect(shouldPrune(median, curve(0.1, 0.4), others, 3).prune).toBe(false);
    // Its best so far counts: a dip below the median after a good score is kept.
    expect(shouldPrune(median, curve(0.5, 0.3), others, 3).prune).toBe(false);
  });

  it('median: not before enough trials finished, not during warm-up, not without peers at the step', () => {
    expect(shouldPrune(median, curve(0.1, 0.15), others, 1).prune).toBe(false);
    expect(shouldPrune({ ...median, warmupSteps: 20 }, curve(0.1, 0.15), others, 3).prune).toBe(false);
    expect(shouldPrune(median, curve(0.1, 0.1, 0.1, 0.1), others, 3).prune).toBe(false);
    expect(shouldPrune({ type: 'none' }, curve(0), others, 3).prune).toBe(false);
  });

  it('ASHA: keeps the top 1/factor at each rung, decides once per rung', () => {
    const asha = { type: 'asha' as const, minStep: 10, reductionFactor: 2 };
    // Rung 0 at step 10: values 0.1, 0.2, 0.3 and this one; the top 2 of 4 go on.
    expect(shouldPrune(asha, curve(0.25), others, 0).prune).toBe(false);
    expect(shouldPrune(asha, curve(0.15), others, 0)).toMatchObject({ prune: true });
    // Step 30 is past rung 1 (step 20) but not rung 2 (step 40): no new decision.
    expect(shouldPrune(asha, curve(0.25, 0.45, 0.01), others, 0).prune).toBe(false);
    // Rung 1 at step 20 among 0.2, 0.4, 0.5: 0.45 is in the top 2 of 4, 0.3 is not.
    expect(shouldPrune(asha, curve(0.25, 0.45), others, 0).prune).toBe(false);
    expect(shouldPrune(asha, curve(0.25, 0.3), others, 0).prune).toBe(true);
    // The first trial at a rung always goes on.
    expect(shouldPrune(asha, curve(0.01), [], 0).prune).toBe(false);
  });
});

describe('search files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secora-search-'));
  const write = (text: string) => {
    const file = join(dir, `s${Math.random().toString(36).slice(2)}.yml`);
    writeFileSync(file, text);
    return file;
  };

  it('reads a full search and anchors the base config at the file', () => {
    const spec = parseSearch(
      `base: ${join(packageRoot, 'configs', 'tiny.yml')}\nspace:\n  training.lr: {type: log_uniform, low: 1.0e-4, high: 1.0e-2}\n  training.objective: {type: categorical, values: [pairs, simcse]}\n  model.dropout: {type: uniform, low: 0.05, high: 0.3, when: {training.objective: simcse}}\nbudget: {trials: 4}\n`,
      join(dir, 'x.yml'),
    );
    expect(spec.metric).toEqual({ key: 'val/mrr', direction: 'maximize', reduce: 'best' });
    expect(spec.sampler.type).toBe('tpe');
    expect(spec.pruner.type).toBe('median');
    expect(spec.concurrency).toBe(1);
    expect(spec.space[2]!.when).toEqual({ 'training.objective': 'simcse' });
    expect(loadSearch(join(packageRoot, 'configs', 'search-tiny.yml')).base).toBe(
      join(packageRoot, 'configs', 'tiny.yml'),
    );
  });

  it('names file, line and key of every problem', () => {
    const file = write(
      [
        'base: tiny.yml',
        'space:',
        '  training.lr: {type: log_uniform, low: 0, high: 1.0e-2}',
        '  training.nope: {type: uniform, low: 0, high: 1}',
        '  model.dropout: {type: uniform, low: 0.1, high: 2}',
        '  training.batch_size: {type: int, low: 8, high: 64, when: {training.lr: 0.1}}',
        'sampler: {type: grid}',
        'budgett: {trials: 3}',
        'enqueue: [{training.lr: 5, model.dropout: 0.2, training.batch_size: 16}]',
      ].join('\n'),
    );
    let message = '';
    try {
      loadSearch(file);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`${file}:3: space.training.lr.low: 0 is not allowed on a log scale`);
    expect(message).toContain(`${file}:4: space.training.nope: is not a training-config key`);
    expect(message).toMatch(
      new RegExp(`${file}:5: space.model.dropout: the training config does not allow 2`),
    );
    expect(message).toContain(`${file}:7: sampler.type: "grid" is not allowed: expected one of random, tpe`);
    expect(message).toContain(`${file}:8: budgett: unknown key (did you mean budget?)`);
    expect(message).toContain('set budget.trials, budget.minutes or both');
    expect(message).toContain(`${file}:9: enqueue.0.training.lr: 5 is outside the searched range`);
  });
});
