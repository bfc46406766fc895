// The questions evaluation end to end: read and validate the questions file, load (mine once) the corpora
// it asks over, resolve every judged answer to one mined function, then run the rankers.
import { join } from 'node:path';
import { isMinedLanguage, type MinedLanguage } from '../../data/miner/languages.js';
import { fixedCorpora, type QuestionCorpus } from './corpora.js';
import { type LoadedCorpus, loadCorpus } from './corpus-cache.js';
import { type Question, readQuestions } from './question-file.js';
import { type ResolvedQuestion, resolveQuestions } from './resolve.js';

/**
 * The corpora by name: the fixed three, with overrides "name=dir" (a fixed corpus read from elsewhere) or
 * "name=language:dir" (another corpus, e.g. a small fixture), mined whole with the repo layout.
 */
export function corporaWith(
  cacheDir: string,
  overrides: readonly string[] = [],
): Map<string, QuestionCorpus> {
  const corpora = new Map(fixedCorpora(cacheDir).map((c) => [c.name, c]));
  for (const spec of overrides) {
    const m = /^([\w.-]+)=(?:(\w+):)?(.+)$/.exec(spec);
    if (!m) throw new Error(`--corpus '${spec}': expected name=dir or name=language:dir`);
    const [, name, language, dir] = m as unknown as [string, string, string | undefined, string];
    const known = corpora.get(name);
    if (language !== undefined && !isMinedLanguage(language))
      throw new Error(`--corpus '${spec}': unknown language '${language}'`);
    if (!known && language === undefined)
      throw new Error(
        `--corpus '${spec}': '${name}' is not a fixed corpus: give its language, name=language:dir`,
      );
    corpora.set(name, {
      name,
      language: (language as MinedLanguage | undefined) ?? known!.language,
      dir,
      layout: 'modules',
      exclude: known && language === undefined ? known.exclude : [],
    });
  }
  return corpora;
}

export interface PreparedQuestions {
  questions: Question[];
  corpora: LoadedCorpus[];
  resolved: ResolvedQuestion[];
}

/** Reads the questions, mines or loads the corpora they use, and resolves every judged answer. */
export async function prepareQuestions(
  file: string,
  options: { cacheDir: string; corpora?: readonly string[]; log?: (line: string) => void },
): Promise<PreparedQuestions> {
  const questions = readQuestions(file);
  const known = corporaWith(join(options.cacheDir, 'sources'), options.corpora);
  const used = [...new Set(questions.map((q) => q.corpus))];
  const unknown = questions.find((q) => !known.has(q.corpus));
  if (unknown)
    throw new Error(
      `${unknown.at}: corpus: unknown corpus '${unknown.corpus}' (known: ${[...known.keys()].join(', ')})`,
    );
  const corpora: LoadedCorpus[] = [];
  for (const name of used) corpora.push(await loadCorpus(known.get(name)!, options.cacheDir, options.log));
  const resolved = resolveQuestions(questions, new Map(corpora.map((c) => [c.corpus.name, c.functions])));
  return { questions, corpora, resolved };
}
