import { beforeAll, describe, expect, it } from 'vitest';
import { type Batch, Batcher, type BatcherConfig } from '../src/data/batcher/batcher.js';
import { fairTruncate } from '../src/data/batcher/fair-truncation.js';
import { padBatch } from '../src/data/batcher/pad-batch.js';
import { openDataSource } from '../src/data/data-source.js';
import { CodeTokenizer } from '../src/data/tokenizer/code-tokenizer.js';
import { applyTemplate } from '../src/data/tokenizer/sequence-template.js';
import { csnRow, makeCsnFixture } from './data-fixtures.js';

/** Fair truncation as the original describes it, one token at a time. */
function growInTurns(lenA: number, lenB: number, budget: number): [number, number] {
  let a = 0;
  let b = 0;
  let turnA = true;
  while (a + b < budget && (a < lenA || b < lenB)) {
    if ((turnA && a < lenA) || b >= lenB) a++;
    else b++;
    turnA = !turnA;
  }
  return [a, b];
}

describe('fair truncation', () => {
  it('equals growing the two prefixes in turn, and never exceeds the budget', () => {
    for (let lenA = 0; lenA <= 12; lenA++) {
      for (let lenB = 0; lenB <= 12; lenB++) {
        for (let budget = 0; budget <= 26; budget++) {
          const got = fairTruncate(lenA, lenB, budget);
          expect(got, `${lenA} ${lenB} ${budget}`).toEqual(growInTurns(lenA, lenB, budget));
          expect(got[0] + got[1]).toBe(Math.min(budget, lenA + lenB));
        }
      }
    }
    expect(fairTruncate(300, 10, 253)).toEqual([243, 10]);
    expect(fairTruncate(300, 400, 253)).toEqual([127, 126]);
    expect(() => fairTruncate(1, 1, -1)).toThrow(/budget/);
  });
});

describe('padBatch', () => {
  it('pads to the longest row of the batch, with mask and type ids', () => {
    const b = padBatch([{ ids: [5, 6, 7] }, { ids: [8], typeIds: [1] }], 1);
    expect(b.seqLen).toBe(3);
    expect([...b.inputIds]).toEqual([5, 6, 7, 8, 1, 1]);
    expect([...b.attentionMask]).toEqual([1, 1, 1, 1, 0, 0]);
    expect([...b.tokenTypeIds!]).toEqual([0, 0, 0, 1, 0, 0]);
    expect(padBatch([{ ids: [5, 6, 7] }], 0, 8).seqLen).toBe(8);
    expect(padBatch([{ ids: [5] }], 0).tokenTypeIds).toBeUndefined();
  });

  it("takes the tokenizer's typed arrays as they are", () => {
    const b = padBatch(
      [{ ids: Uint32Array.of(5, 6), typeIds: Uint32Array.of(0, 1) }, { ids: Uint32Array.of(8) }],
      9,
    );
    expect([...b.inputIds]).toEqual([5, 6, 8, 9]);
    expect([...b.attentionMask]).toEqual([1, 1, 1, 0]);
    expect([...b.tokenTypeIds!]).toEqual([0, 1, 0, 0]);
  });
});

const VIEWS = { first_sentence: 0.3, shortened: 0.3, name: 0.3, language: 0.5, word_dropout: 0.2 };
const NEGATIVES = (r: { code: string }) => [`${r.code}\n# other`, 'def other():\n    return 0'];

describe('Batcher', () => {
  const fx = makeCsnFixture(20);
  const source = () =>
    openDataSource({ format: 'codesearchnet', path: fx.root, languages: ['python'], split: 'train' });
  const usable = fx.expected['python/train']!.length; // 60
  let tokenizer: CodeTokenizer;
  beforeAll(async () => {
    const texts = Array.from({ length: 200 }, (_, i) => csnRow(i % 2 ? 'go' : 'python', i, 'train'));
    tokenizer = await CodeTokenizer.train(
      texts.flatMap((r) => [r.docstring, r.code]),
      { modelType: 'roberta', vocabSize: 400 },
    );
  });
  const config = (over: Partial<BatcherConfig> = {}): BatcherConfig => ({
    source: source(),
    tokenizer,
    batchSize: 8,
    mode: 'pairs',
    maxDocLength: 16,
    maxCodeLength: 48,
    seed: 7,
    shuffleBuffer: 16,
    ...over,
  });
  const take = async (b: Batcher, n: number): Promise<Batch[]> => {
    const out: Batch[] = [];
    for (let i = 0; i < n; i++) {
      const x = await b.next();
      if (!x) break;
      out.push(x);
    }
    return out;
  };
  /** What must match between two runs: the records, and every token array. */
  const fingerprint = (b: Batch) => ({
    step: b.step,
    epoch: b.epoch,
    ids: b.ids,
    docs: [...b.docs.inputIds],
    code: [...b.code.inputIds],
    joint: b.joint ? [...b.joint.inputIds] : undefined,
  });

  it('covers each record at most once an epoch, drops the incomplete last batch, and reshuffles by epoch', async () => {
    const b = await Batcher.open(config({ maxEpochs: 2 }));
    const all = await take(b, 100);
    const perEpoch = Math.floor(usable / 8);
    expect(all).toHaveLength(2 * perEpoch);
    expect(await b.next()).toBeNull();
    const epoch0 = all.filter((x) => x.epoch === 0).flatMap((x) => x.ids);
    const epoch1 = all.filter((x) => x.epoch === 1).flatMap((x) => x.ids);
    expect(new Set(epoch0).size).toBe(perEpoch * 8);
    expect(new Set(epoch1).size).toBe(perEpoch * 8);
    expect(epoch0).not.toEqual(epoch1);
    // The malformed line and the record without docstring, counted once per epoch, not once per run.
    expect(b.skipStats.skipped).toBe(2);
    const again = await take(await Batcher.open(config({ maxEpochs: 2 })), 100);
    expect(again.map(fingerprint)).toEqual(all.map(fingerprint));
    const otherSeed = await take(await Batcher.open(config({ seed: 8, maxEpochs: 1 })), 100);
    expect(otherSeed.flatMap((x) => x.ids)).not.toEqual(epoch0);
  });

  for (const [label, over] of [
    ['pairs', {}],
    ['concat with bucketing', { mode: 'concat', maxLength: 40, bucketPool: 2 }],
    ['pairs with query views and hard negatives', { queryViews: VIEWS, negatives: NEGATIVES }],
  ] as const) {
    it(`resumes at exactly the next batch, mid-epoch and at an epoch's end (${label})`, async () => {
      const cfg = () => config({ ...over, maxSteps: 17 });
      const whole = (await take(await Batcher.open(cfg()), 100)).map(fingerprint);
      expect(whole).toHaveLength(17);
      for (const cut of [3, 7, 10]) {
        const first = await Batcher.open(cfg());
        await take(first, cut);
        const saved = JSON.parse(JSON.stringify(first.position()));
        await first.close();
        const resumed = await Batcher.open(cfg(), saved);
        const rest = (await take(resumed, 100)).map(fingerprint);
        expect(rest, `cut at ${cut}`).toEqual(whole.slice(cut));
      }
    });
  }

  it('shows each pair through its query view, drawn from (seed, step, row), and appends hard negatives', async () => {
    const plain = await take(await Batcher.open(config({ maxSteps: 3 })), 3);
    const viewed = await take(
      await Batcher.open(config({ maxSteps: 3, queryViews: VIEWS, negatives: NEGATIVES })),
      3,
    );
    const again = await take(
      await Batcher.open(config({ maxSteps: 3, queryViews: VIEWS, negatives: NEGATIVES })),
      3,
    );
    expect(viewed.map((b) => b.queries)).toEqual(again.map((b) => b.queries));
    for (const [i, b] of viewed.entries()) {
      expect(b.ids).toEqual(plain[i]!.ids);
      expect(plain[i]!.queries).toEqual(b.records.map((r) => r.docstring));
      expect(b.queries).not.toEqual(plain[i]!.queries);
      expect(b.negativeRows).toBe(2 * b.records.length);
      expect(b.code.batchSize).toBe(3 * b.records.length);
      expect(b.docs.batchSize).toBe(b.records.length);
      // The records' own code first, unchanged by the negatives after it.
      const own = b.code.seqLen * b.records.length;
      const plainOwn = plain[i]!.code;
      const strip = (ids: Int32Array, len: number, rows: number) =>
        Array.from({ length: rows }, (_, r) =>
          [...ids.subarray(r * len, (r + 1) * len)].filter((t) => t !== tokenizer.special.pad),
        );
      expect(strip(b.code.inputIds.subarray(0, own), b.code.seqLen, b.records.length)).toEqual(
        strip(plainOwn.inputIds, plainOwn.seqLen, b.records.length),
      );
    }
  });

  it('gives each rank a disjoint slice of the same global batch', async () => {
    const single = await take(await Batcher.open(config({ batchSize: 8, maxSteps: 5 })), 5);
    const ranks = await Promise.all(
      [0, 1].map(async (rank) =>
        take(await Batcher.open(config({ batchSize: 4, worldSize: 2, rank, maxSteps: 5 })), 5),
      ),
    );
    for (let s = 0; s < 5; s++) {
      const r0 = ranks[0]![s]!.ids;
      const r1 = ranks[1]![s]!.ids;
      expect(r0.filter((id) => r1.includes(id))).toEqual([]);
      expect([...r0, ...r1]).toEqual(single[s]!.ids);
    }
  });

  it('truncates pairs to their maxima and pads each batch only to its longest sequence', async () => {
    const b = await Batcher.open(config({ maxDocLength: 64, maxCodeLength: 24, maxSteps: 3 }));
    const rowsOf = (t: Batch['docs'], i: number) => [
      ...t.inputIds.subarray(i * t.seqLen, (i + 1) * t.seqLen),
    ];
    for (const batch of await take(b, 3)) {
      const docs = await tokenizer.encodeBatch(batch.records.map((r) => r.docstring));
      const want = docs.map((ids) => applyTemplate(tokenizer.templates.single, ids.slice(0, 64 - 2)).ids);
      const longest = Math.max(...want.map((w) => w.length));
      // Docstrings are short: the batch is as long as its longest, far below the maximum.
      expect(batch.docs.seqLen).toBe(longest);
      expect(longest).toBeLessThan(64);
      want.forEach((w, i) => {
        expect(rowsOf(batch.docs, i)).toEqual([
          ...w,
          ...Array(longest - w.length).fill(tokenizer.special.pad),
        ]);
        expect([...batch.docs.attentionMask.subarray(i * longest, (i + 1) * longest)]).toEqual(
          Array.from({ length: longest }, (_, j) => (j < w.length ? 1 : 0)),
        );
      });
      // Code is long: every row is cut to 22 tokens between <s> and </s>.
      const codes = await tokenizer.encodeBatch(batch.records.map((r) => r.code));
      expect(batch.code.seqLen).toBe(24);
      codes.forEach((ids, i) => {
        expect(rowsOf(batch.code, i)).toEqual(
          applyTemplate(tokenizer.templates.single, ids.slice(0, 22)).ids,
        );
      });
    }
  });

  it('in concat mode, joins doc and code with fair truncation inside the budget', async () => {
    const b = await Batcher.open(config({ mode: 'concat', maxLength: 40, maxSteps: 2 }));
    for (const batch of await take(b, 2)) {
      const joint = batch.joint!;
      expect(joint.seqLen).toBeLessThanOrEqual(40);
      const [docs, codes] = await Promise.all([
        tokenizer.encodeBatch(batch.records.map((r) => r.docstring)),
        tokenizer.encodeBatch(batch.records.map((r) => r.code)),
      ]);
      batch.records.forEach((_, i) => {
        const [a, c] = fairTruncate(docs[i]!.length, codes[i]!.length, 40 - 4);
        const want = applyTemplate(tokenizer.templates.pair, docs[i]!.slice(0, a), codes[i]!.slice(0, c)).ids;
        expect([...joint.inputIds.subarray(i * joint.seqLen, i * joint.seqLen + want.length)]).toEqual(want);
        expect(want.length).toBeLessThanOrEqual(40);
      });
    }
  });

  it('length bucketing cuts the padding', async () => {
    const waste = async (bucketPool: number) => {
      const batches = await take(
        await Batcher.open(config({ bucketPool, maxEpochs: 1, batchSize: 4, maxCodeLength: 512 })),
        100,
      );
      let pad = 0;
      for (const b of batches)
        pad += b.code.attentionMask.length - b.code.attentionMask.reduce((s, v) => s + v, 0);
      return pad;
    };
    expect(await waste(5)).toBeLessThan((await waste(0)) * 0.7);
  });

  it('refuses a position saved under other order settings, and bad settings by name', async () => {
    const b = await Batcher.open(config());
    await take(b, 1);
    const pos = b.position();
    await b.close();
    await expect(Batcher.open(config({ seed: 9 }), pos)).rejects.toThrow(/order settings/);
    await expect(Batcher.open(config({ rank: 2, worldSize: 2 }))).rejects.toThrow(/rank must be in 0\.\.1/);
    await expect(Batcher.open(config({ mode: 'concat' }))).rejects.toThrow(
      /maxLength must be a positive integer/,
    );
    await expect(Batcher.open(config({ batchSize: 0 }))).rejects.toThrow(/batchSize/);
  });

  it('tokenizes `prefetch` batches ahead of the consumer, and a failure ahead surfaces at its own turn', async () => {
    let calls = 0;
    const counting = Object.create(tokenizer) as CodeTokenizer;
    counting.encodeBatch = (texts: string[]) => {
      calls++;
      return tokenizer.encodeBatch(texts);
    };
    const b = await Batcher.open(config({ tokenizer: counting, prefetch: 3 }));
    await b.next();
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(4);
    await b.close();

    let n = 0;
    const failing = Object.create(tokenizer) as CodeTokenizer;
    failing.encodeBatch = async (texts: string[]) => {
      if (n++ === 2) throw new Error('tokenizer broke on batch 3');
      return tokenizer.encodeBatch(texts);
    };
    const f = await Batcher.open(config({ tokenizer: failing, prefetch: 3 }));
    expect(await f.next()).not.toBeNull();
    expect(await f.next()).not.toBeNull();
    await expect(f.next()).rejects.toThrow(/batch 3/);
  });

  it('with maxRecords, trains on the same first records every epoch, reshuffled', async () => {
    const b = await Batcher.open(config({ maxRecords: 20, batchSize: 4, maxEpochs: 2, prefetch: 0 }));
    const all = await take(b, 100);
    expect(all).toHaveLength(10);
    const first20 = fx.expected['python/train']!.slice(0, 20).map((r) => r.url);
    const epoch = (e: number) => all.filter((x) => x.epoch === e).flatMap((x) => x.ids);
    expect(new Set(epoch(0))).toEqual(new Set(first20));
    expect(new Set(epoch(1))).toEqual(new Set(first20));
    expect(epoch(0)).not.toEqual(epoch(1));
    expect(epoch(0)).not.toEqual(first20);
  });

  it('says so when the data holds no full batch', async () => {
    const b = await Batcher.open(config({ batchSize: 1000 }));
    await expect(b.next()).rejects.toThrow(/no full batch \(needs 1000 records/);
  });
});
