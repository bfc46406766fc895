// Training-time query views: the docstring reshaped the way people type into a search box. Pure functions of
// their inputs and a random stream, so a run draws the same views on every machine and after a resume.
import type { CodeRecord } from './record.js';

export interface QueryViewRates {
  /** The docstring's first sentence. */
  first_sentence: number;
  /** A few content words of the docstring (stop words and filler dropped). */
  shortened: number;
  /** Words of the function's name and parameters (read_csv_header -> "read csv header"). */
  name: number;
  /** After the view is chosen: the language's name added (before or after), as people do. */
  language: number;
  /** After that: each word dropped with this probability (one word always stays). */
  word_dropout: number;
}

export const NO_VIEWS: QueryViewRates = {
  first_sentence: 0,
  shortened: 0,
  name: 0,
  language: 0,
  word_dropout: 0,
};

/** Whether any view changes the docstring (the batcher then skips the work). */
export const viewsActive = (r: QueryViewRates): boolean =>
  r.first_sentence > 0 || r.shortened > 0 || r.name > 0 || r.language > 0 || r.word_dropout > 0;

/** The first sentence: up to the first ". ", "? " or "! " (or a line break after one), without the stop. */
export function firstSentence(docstring: string): string {
  const text = docstring.replace(/\s+/g, ' ').trim();
  // A period after a one-letter word or a known abbreviation (e.g., i.e., etc.) does not end a sentence.
  const re = /[.!?](?=\s|$)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const before = text.slice(0, m.index);
    if (/(^|\s)(e\.g|i\.e|etc|vs|cf|resp|\w)$/i.test(before)) continue;
    return before.trim() || text;
  }
  return text.replace(/[.!?]$/, '');
}

/** Words a search box rarely sees: articles, pronouns, auxiliaries, and docstring filler. */
export const STOP_WORDS = new Set(
  (
    'a an the this that these those it its of to in on for by with from as at into onto over under ' +
    'and or but if then else when while is are was were be been being am do does did has have had ' +
    'will would shall should can could may might must not no nor so such than too very just also ' +
    'which who whom whose what where how why all any each every some other another both either ' +
    'i we you he she they me us him her them my our your their his ' +
    'returns return returned given specified provided object instance value values method function ' +
    'called call calls used uses use using new current optional optionally corresponding respectively ' +
    'true false none null nil one'
  ).split(' '),
);

/** Lowercase words of a text (letters and digits), code-like tokens split (camelCase, snake_case). */
export function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** The content words of the first sentence, first seen first, at most `keep` of them. */
export function shortened(docstring: string, keep: number): string {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const w of words(firstSentence(docstring))) {
    if (STOP_WORDS.has(w) || w.length < 2 || /^\d+$/.test(w) || seen.has(w)) continue;
    seen.add(w);
    kept.push(w);
    if (kept.length === keep) break;
  }
  return kept.length > 0 ? kept.join(' ') : firstSentence(docstring);
}

/** Parameter names of a function's first line: what is between the first "(" and its ")". */
export function parameterNames(code: string): string[] {
  // Go: a method's receiver comes first, and a parameter's name before its type.
  const go = /^func\s/.test(code);
  const receiver = go ? /^func\s*\([^)]*\)/.exec(code) : null;
  const open = code.indexOf('(', receiver ? receiver[0].length : 0);
  if (open < 0) return [];
  let depth = 0;
  let end = open;
  for (; end < code.length && end < open + 400; end++) {
    if (code[end] === '(') depth++;
    else if (code[end] === ')' && --depth === 0) break;
  }
  const names: string[] = [];
  for (const param of code.slice(open + 1, end).split(',')) {
    // The identifier before a default or a type annotation (Python, PHP, TypeScript); Go and Java put the
    // type after or before the name, so the last identifier before "=" or ":" is taken.
    const head = param.split(/[=:]/)[0] ?? '';
    const ids = head.match(/[$A-Za-z_][\w$]*/g) ?? [];
    const name = (go ? ids[0] : ids[ids.length - 1])?.replace(/^\$/, '');
    if (name && !['self', 'cls', 'this', 'ctx', 'args', 'kwargs'].includes(name)) names.push(name);
  }
  return names;
}

/** The words of a function's name (its last part: Parser.parse_args -> "parse args"), then of some parameters. */
export function nameQuery(funcName: string, code: string, params: number): string {
  const parts = funcName.split(/[.:#]|->|::/).filter(Boolean);
  const own = words(parts[parts.length - 1] ?? funcName);
  const extra = parameterNames(code)
    .slice(0, params)
    .flatMap((p) => words(p))
    .filter((w) => !own.includes(w));
  return [...own, ...extra].join(' ');
}

const LANGUAGE_NAMES: Record<string, readonly string[]> = {
  go: ['go', 'golang'],
  java: ['java'],
  javascript: ['javascript', 'js', 'node'],
  typescript: ['typescript', 'ts'],
  php: ['php'],
  python: ['python', 'python3'],
  ruby: ['ruby'],
};

/** The language's name before or after the query. */
export function withLanguage(query: string, language: string, random: () => number): string {
  const names = LANGUAGE_NAMES[language] ?? [language];
  const name = names[Math.floor(random() * names.length)]!;
  return random() < 0.5 ? `${name} ${query}` : `${query} ${name}`;
}

/** Each word dropped with probability p; at least one word stays. */
export function wordDropout(query: string, p: number, random: () => number): string {
  const all = query.split(/\s+/).filter(Boolean);
  const kept = all.filter(() => random() >= p);
  return kept.length > 0 ? kept.join(' ') : (all[Math.floor(random() * all.length)] ?? query);
}

/**
 * The query a training pair is shown with: one view drawn by the rates (the docstring itself for the rest),
 * then the language's name and word dropout. The same record and random stream always give the same query.
 */
export function queryView(
  record: Pick<CodeRecord, 'docstring' | 'funcName' | 'code' | 'language'>,
  rates: QueryViewRates,
  random: () => number,
): string {
  const draw = random();
  let query: string;
  if (draw < rates.first_sentence) query = firstSentence(record.docstring);
  else if (draw < rates.first_sentence + rates.shortened)
    query = shortened(record.docstring, 2 + Math.floor(random() * 4));
  else if (draw < rates.first_sentence + rates.shortened + rates.name)
    query = nameQuery(record.funcName, record.code, Math.floor(random() * 3)) || record.docstring;
  else query = record.docstring;
  if (rates.language > 0 && random() < rates.language) query = withLanguage(query, record.language, random);
  if (rates.word_dropout > 0) query = wordDropout(query, rates.word_dropout, random);
  return query;
}
