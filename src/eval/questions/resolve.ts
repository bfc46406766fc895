// Judged answers to the corpus's functions: each must resolve to exactly one mined function, or the
// questions file is wrong (a renamed function, a path typo, a function the miner's filters drop).
import type { CorpusFunction } from './corpus-cache.js';
import type { JudgedAnswer, Question } from './question-file.js';

/** The functions of a corpus by "path\0name", for lookups. */
export function functionsByKey(functions: readonly CorpusFunction[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  functions.forEach((f, i) => {
    const key = `${f.path}\0${f.name}`;
    const list = byKey.get(key);
    if (list) list.push(i);
    else byKey.set(key, [i]);
  });
  return byKey;
}

/**
 * The index of the one function an answer names, or why there is none. Several functions of the same path
 * and name (overloads, platform variants) are told apart by the line hint: the nearest start line wins.
 */
export function resolveAnswer(
  answer: JudgedAnswer,
  functions: readonly CorpusFunction[],
  byKey: ReadonlyMap<string, number[]>,
): number | string {
  const found = byKey.get(`${answer.path}\0${answer.name}`);
  if (!found) {
    const elsewhere = functions.filter((f) => f.name === answer.name).map((f) => f.path);
    const inFile = functions.some((f) => f.path === answer.path);
    const hint =
      elsewhere.length > 0
        ? ` (that name is in ${[...new Set(elsewhere)].slice(0, 3).join(', ')})`
        : inFile
          ? ' (the file has other functions: a typo?)'
          : ' (no function of that file was mined)';
    return `no mined function ${answer.name} in ${answer.path}${hint}`;
  }
  if (found.length === 1) return found[0]!;
  if (answer.line === undefined) {
    const lines = found.map((i) => functions[i]!.startLine).join(', ');
    return `${found.length} functions ${answer.name} in ${answer.path} (lines ${lines}): add "line" to pick one`;
  }
  const line = answer.line;
  const distance = (i: number) => Math.abs(functions[i]!.startLine - line);
  const sorted = [...found].sort((a, b) => distance(a) - distance(b));
  if (distance(sorted[0]!) === distance(sorted[1]!))
    return `line ${line} is as near to two functions ${answer.name} in ${answer.path}: give its start line`;
  return sorted[0]!;
}

export interface ResolvedQuestion {
  question: Question;
  /** Function index → grade (1–3). */
  judgments: Map<number, number>;
}

/** Resolves every answer of every question over its corpus; throws listing each one that does not resolve. */
export function resolveQuestions(
  questions: readonly Question[],
  corpora: ReadonlyMap<string, readonly CorpusFunction[]>,
): ResolvedQuestion[] {
  const problems: string[] = [];
  const keys = new Map([...corpora].map(([name, fns]) => [name, functionsByKey(fns)]));
  const resolved: ResolvedQuestion[] = [];
  for (const question of questions) {
    const functions = corpora.get(question.corpus);
    const byKey = keys.get(question.corpus);
    if (!functions || !byKey) {
      problems.push(
        `${question.at}: corpus: unknown corpus '${question.corpus}' (known: ${[...corpora.keys()].join(', ')})`,
      );
      continue;
    }
    const judgments = new Map<number, number>();
    question.answers.forEach((answer, j) => {
      const r = resolveAnswer(answer, functions, byKey);
      if (typeof r === 'string') problems.push(`${question.at}: answers[${j}]: ${r}`);
      else if (judgments.has(r))
        problems.push(`${question.at}: answers[${j}]: the same function as an earlier answer`);
      else judgments.set(r, answer.grade);
    });
    resolved.push({ question, judgments });
  }
  if (problems.length > 0) throw new Error(`judged answers that do not resolve:\n  ${problems.join('\n  ')}`);
  return resolved;
}
