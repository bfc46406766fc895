// Byte-level BPE training: start from the 256 byte symbols and repeatedly merge the most frequent adjacent pair,
// keeping pair counts up to date incrementally (only the words that hold the merged pair are touched).

export interface BpeTrainOptions {
  /** Total vocabulary size, special tokens and the 256 byte symbols included. */
  vocabSize: number;
  /** Tokens given the first ids, in order. */
  specialTokens: readonly string[];
  /** The initial symbols (the byte-level alphabet), each one token. */
  alphabet: readonly string[];
  /** A pair seen fewer times than this is never merged. */
  minFrequency?: number;
}

export interface BpeModel {
  /** token -> id, ids dense from 0. */
  vocab: Map<string, number>;
  /** Merges in the order learned (their rank). */
  merges: [string, string][];
}

// Pair key: two symbol ids packed into one number (ids stay below 2^21).
const SHIFT = 2 ** 21;
const key = (a: number, b: number): number => a * SHIFT + b;

/** A binary max-heap of [count, pairKey]; ties go to the smaller key so training is deterministic. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private above(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }

  push(count: number, k: number): void {
    this.counts.push(count);
    this.keys.push(k);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): [number, number] {
    const top: [number, number] = [this.counts[0]!, this.keys[0]!];
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.counts.length && this.above(l, best)) best = l;
        if (r < this.counts.length && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

/**
 * Learns merges from word counts. Each word is a string of alphabet symbols (one per character, as the
 * byte-level pre-tokenizer writes it). Pure: the same counts give the same model.
 */
export function trainBpe(wordCounts: ReadonlyMap<string, number>, opts: BpeTrainOptions): BpeModel {
  const minFrequency = opts.minFrequency ?? 2;
  const base = opts.specialTokens.length + opts.alphabet.length;
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < base) {
    throw new RangeError(
      `vocabSize must be an integer of at least ${base} (special tokens + byte alphabet), got ${opts.vocabSize}`,
    );
  }
  if (opts.vocabSize >= SHIFT)
    throw new RangeError(`vocabSize must be below ${SHIFT}, got ${opts.vocabSize}`);
  const symbols: string[] = [];
  const symbolId = new Map<string, number>();
  const vocab = new Map<string, number>();
  for (const t of opts.specialTokens) vocab.set(t, vocab.size);
  for (const ch of opts.alphabet) {
    symbolId.set(ch, symbols.length);
    symbols.push(ch);
    vocab.set(ch, vocab.size);
  }

  // Words as symbol-id arrays; a character outside the alphabet (not byte-level input) is an error.
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, count] of [...wordCounts].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) {
    const ids: number[] = [];
    for (const ch of word) {
      const id = symbolId.get(ch);
      if (id === undefined) throw new Error(`BPE training: "${ch}" in word "${word}" is not in the alphabet`);
      ids.push(id);
    }
    if (ids.length > 1) {
      words.push(ids);
      counts.push(count);
    }
  }

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const add = (k: number, n: number, w: number): void => {
    pairCount.set(k, (pairCount.get(k) ?? 0) + n);
    if (n > 0) {
      const set = pairWords.get(k);
      if (set) set.add(w);
      else pairWords.set(k, new Set([w]));
    }
  };
  for (let w = 0; w < words.length; w++) {
    const ids = words[w]!;
    for (let i = 0; i + 1 < ids.length; i++) add(key(ids[i]!, ids[i + 1]!), counts[w]!, w);
  }
  const heap = new PairHeap();
  for (const [k, c] of pairCount) heap.push(c, k);

  const merges: [string, string][] = [];
  while (vocab.size < opts.vocabSize && heap.size > 0) {
    const [stored, k] = heap.pop();
    const current = pairCount.get(k) ?? 0;
    // Counts of existing pairs only fall, so a stale entry is re-queued at its current count.
    if (current !== stored) {
      if (current > 0) heap.push(current, k);
      continue;
    }
    if (current < minFrequency) break;
    const a = Math.floor(k / SHIFT);
    const b = k % SHIFT;
    const merged = symbols[a]! + symbols[b]!;
    const m = symbols.length;
    symbols.push(merged);
    merges.push([symbols[a]!, symbols[b]!]);
    if (!vocab.has(merged)) vocab.set(merged, vocab.size);
    const touched = new Set<number>();
    for (const w of pairWords.get(k) ?? []) {
      const ids = words[w]!;
      const n = counts[w]!;
      for (let i = 0; i + 1 < ids.length; i++) {
        if (ids[i] !== a || ids[i + 1] !== b) continue;
        if (i > 0) {
          add(key(ids[i - 1]!, a), -n, w);
          add(key(ids[i - 1]!, m), n, w);
          touched.add(key(ids[i - 1]!, m));
        }
        if (i + 2 < ids.length) {
          add(key(b, ids[i + 2]!), -n, w);
          add(key(m, ids[i + 2]!), n, w);
          touched.add(key(m, ids[i + 2]!));
        }
        ids.splice(i, 2, m);
      }
    }
    pairCount.delete(k);
    pairWords.delete(k);
    for (const t of touched) {
      const c = pairCount.get(t) ?? 0;
      if (c > 0) heap.push(c, t);
    }
  }
  return { vocab, merges };
}
