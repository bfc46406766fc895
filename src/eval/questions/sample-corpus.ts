// A smaller candidate set when embedding a whole standard library is too slow for the machine: every judged
// function of the questions stays, the rest is a seeded sample of the others, so every ranker is compared on
// the same (easier) candidates. Reported as such; the full corpus is the default.
import { seededPermutation } from '../seeded-shuffle.js';
import type { LoadedCorpus } from './corpus-cache.js';
import type { ResolvedQuestion } from './resolve.js';

/**
 * The corpus cut to at most `size` functions (all judged ones kept, in corpus order) and the questions'
 * judgments renumbered to it; its key names the sample so cached embeddings are not mixed up.
 */
export function sampleCorpus(
  loaded: LoadedCorpus,
  questions: readonly ResolvedQuestion[],
  size: number,
  seed = 0,
): { corpus: LoadedCorpus; questions: ResolvedQuestion[] } {
  const asked = questions.filter((q) => q.question.corpus === loaded.corpus.name);
  const keep = new Set<number>();
  for (const q of asked) for (const i of q.judgments.keys()) keep.add(i);
  for (const i of seededPermutation(loaded.functions.length, seed)) {
    if (keep.size >= size) break;
    keep.add(i);
  }
  const kept = [...keep].sort((a, b) => a - b);
  const renumber = new Map(kept.map((old, i) => [old, i]));
  return {
    corpus: {
      ...loaded,
      key: `${loaded.key}-sample${size}-seed${seed}`,
      functions: kept.map((i) => loaded.functions[i]!),
    },
    questions: asked.map((q) => ({
      question: q.question,
      judgments: new Map([...q.judgments].map(([i, g]) => [renumber.get(i)!, g])),
    })),
  };
}
