// The training recipe's additions run end to end on the tiny config and keep resume exact: query views, BM25
// hard negatives (extra code rows in the loss) and a SimCSE stage on code before the pairs.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train } from '../src/train/trainer.js';
import { expectSameCheckpoint, quiet, TINY, trainStoppedAt } from './train-helpers.js';

describe('secora-train with query views, hard negatives and a SimCSE stage', () => {
  it('resumes exactly across the SimCSE stage and the pairs with hard negatives', async () => {
    const out = mkdtempSync(join(tmpdir(), 'secora-quality-'));
    const sets = [
      `output_dir=${out}`,
      'deterministic=true',
      'training.max_steps=8',
      'training.simcse_steps=3',
      'training.hard_negatives=2',
      'training.query_views.first_sentence=0.3',
      'training.query_views.shortened=0.2',
      'training.query_views.name=0.2',
      'training.query_views.language=0.3',
      'training.query_views.word_dropout=0.1',
      'validation.interval=100',
      'evaluation.test=false',
      'evaluation.index=false',
      'checkpoint.interval=100',
    ];
    const lines: string[] = [];
    const straight = await train({ configFile: TINY, sets, name: 'straight', log: (l) => lines.push(l) });
    expect(straight.steps).toBe(8);
    expect(lines.join('\n')).toMatch(/hard negatives: 2 per pair mined by BM25 for 256 training pairs/);
    const metrics = readFileSync(join(out, 'straight', 'metrics.jsonl'), 'utf8');
    expect(metrics).toContain('"train/loss"');

    const first = await trainStoppedAt(2, { configFile: TINY, sets, name: 'interrupted', log: quiet });
    expect(first.steps).toBe(2);
    const second = await train({ configFile: TINY, sets, resume: 'interrupted', log: quiet });
    expect(second.steps).toBe(8);
    expectSameCheckpoint(out, 'straight', 'interrupted', 8);
  }, 900_000);
});
