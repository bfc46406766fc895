// embed(texts): tokenizer → padded batches → normalized rows; the folder carries the tokenizer along.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Encoder } from '../src/model/encoder.js';
import { maxAbsDiff, tinyConfig, wordTokenizer } from './encoder-helpers.js';

const words = 'def return parse open file read the a list of lines json value sum numbers add two'.split(' ');
const texts = [
  'parse the json value',
  'def sum numbers',
  'open a file read the list of lines return lines',
  'add',
];

describe('Encoder.embed', () => {
  it('returns one unit-length row per text, the same whatever the batch and its padding', async () => {
    const enc = await Encoder.create(tinyConfig({ pooling: 'mean' }), {
      seed: 2,
      tokenizer: wordTokenizer(words),
    });
    const rows = await enc.embed(texts);
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect(r.length).toBe(enc.dim);
      expect(Math.abs(Math.hypot(...r) - 1)).toBeLessThan(1e-6);
    }
    // Alone (no padding) or in batches of 3 and 1: the same vectors, so padding is never attended to.
    const alone = await Promise.all(texts.map(async (t) => (await enc.embed([t]))[0]!));
    const split = await enc.embed(texts, { batchSize: 3 });
    for (let i = 0; i < texts.length; i++) {
      expect(maxAbsDiff(rows[i]!, alone[i]!)).toBeLessThan(1e-5);
      expect(maxAbsDiff(rows[i]!, split[i]!)).toBeLessThan(1e-5);
    }
    // Different texts, different vectors.
    expect(maxAbsDiff(rows[0]!, rows[1]!)).toBeGreaterThan(1e-3);
    // maxLength truncates: only [CLS] + 2 words + [SEP] of the long text remain.
    const truncated = (await enc.embed([texts[2]!], { maxLength: 4 }))[0]!;
    const short = (await enc.embed(['open a']))[0]!;
    expect(maxAbsDiff(truncated, short)).toBeLessThan(1e-5);
  });

  it('saves tokenizer.json with the model, and Encoder.load uses it', async () => {
    const enc = await Encoder.create(tinyConfig(), { seed: 4, tokenizer: wordTokenizer(words) });
    const dir = mkdtempSync(join(tmpdir(), 'secora-embed-'));
    await enc.save(dir);
    const loaded = await Encoder.load(dir);
    expect(loaded.tokenizer).toBeDefined();
    const [a, b] = [await enc.embed(texts), await loaded.embed(texts)];
    for (let i = 0; i < texts.length; i++) expect(maxAbsDiff(a[i]!, b[i]!)).toBe(0);
  });

  it('says what to do when there is no tokenizer', async () => {
    const enc = await Encoder.create(tinyConfig());
    await expect(enc.embed(['x'])).rejects.toThrow(
      /no tokenizer: pass options\.tokenizer, or use embedTokens/,
    );
    await expect(Encoder.create(tinyConfig(), { tokenizer: '/nonexistent/tokenizer.json' })).rejects.toThrow(
      /tokenizer file \/nonexistent\/tokenizer\.json does not exist/,
    );
  });
});
