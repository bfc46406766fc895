// The questions file: JSON lines, one question per line (blank lines and lines starting with # are
// skipped). Every line is validated; a bad one is named by file, line and field, and none of a file with a
// bad line is used. The format is documented in questions/README.md.
import { readFileSync } from 'node:fs';

/** A function judged to answer a question: corpus-relative path + qualified name (+ start line as a hint). */
export interface JudgedAnswer {
  path: string;
  name: string;
  /** The function's first line when judged; picks among same-named functions (overloads), need not match. */
  line?: number;
  /** 3: answers it; 2: answers most of it or is the main step; 1: a useful related function. Default 3. */
  grade: number;
}

export interface Question {
  id: string;
  /** The corpus it is asked over, e.g. "python-stdlib". */
  corpus: string;
  /** What a developer types into a search box. */
  query: string;
  answers: JudgedAnswer[];
  /** The judge's remark, kept for readers; not used. */
  note?: string;
  /** Where it was read, for messages: "file:line". */
  at: string;
}

export class QuestionFileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`bad questions file:\n  ${problems.join('\n  ')}`);
    this.name = 'QuestionFileError';
  }
}

const QUESTION_KEYS = new Set(['id', 'corpus', 'query', 'answers', 'note']);
const ANSWER_KEYS = new Set(['path', 'name', 'line', 'grade']);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** One answer, or the problems with it (each naming its field). */
function parseAnswer(v: unknown, field: string, problems: string[]): JudgedAnswer | undefined {
  if (!isObject(v)) {
    problems.push(`${field}: must be an object {path, name, line?, grade?}`);
    return undefined;
  }
  const before = problems.length;
  for (const key of Object.keys(v))
    if (!ANSWER_KEYS.has(key)) problems.push(`${field}.${key}: unknown field`);
  if (!nonEmptyString(v['path'])) problems.push(`${field}.path: must be a non-empty string`);
  else if (v['path'].startsWith('/') || v['path'].split('/').includes('..'))
    problems.push(`${field}.path: must be relative to the corpus root, got '${v['path']}'`);
  if (!nonEmptyString(v['name'])) problems.push(`${field}.name: must be a non-empty string`);
  const line = v['line'];
  if (line !== undefined && !(Number.isInteger(line) && (line as number) >= 1))
    problems.push(`${field}.line: must be an integer >= 1, got ${JSON.stringify(line)}`);
  const grade = v['grade'] ?? 3;
  if (grade !== 1 && grade !== 2 && grade !== 3)
    problems.push(`${field}.grade: must be 1, 2 or 3, got ${JSON.stringify(grade)}`);
  if (problems.length > before) return undefined;
  const answer: JudgedAnswer = {
    path: v['path'] as string,
    name: v['name'] as string,
    grade: grade as number,
  };
  if (line !== undefined) answer.line = line as number;
  return answer;
}

/** Parses the text of a questions file; throws QuestionFileError listing every bad line and field. */
export function parseQuestions(text: string, file: string): Question[] {
  const problems: string[] = [];
  const questions: Question[] = [];
  const ids = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = `${file}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (error) {
      problems.push(`${at}: not JSON (${(error as Error).message})`);
      return;
    }
    if (!isObject(v)) {
      problems.push(`${at}: must be a JSON object`);
      return;
    }
    const own: string[] = [];
    for (const key of Object.keys(v)) if (!QUESTION_KEYS.has(key)) own.push(`${key}: unknown field`);
    for (const key of ['id', 'corpus', 'query'])
      if (!nonEmptyString(v[key])) own.push(`${key}: must be a non-empty string`);
    if (v['note'] !== undefined && typeof v['note'] !== 'string') own.push('note: must be a string');
    const answers: JudgedAnswer[] = [];
    if (!Array.isArray(v['answers']) || v['answers'].length === 0) {
      own.push('answers: must be a non-empty list of {path, name, line?, grade?}');
    } else {
      v['answers'].forEach((a, j) => {
        const answer = parseAnswer(a, `answers[${j}]`, own);
        if (answer) answers.push(answer);
      });
    }
    const id = v['id'];
    if (nonEmptyString(id)) {
      const first = ids.get(id);
      if (first) own.push(`id: '${id}' is already used at ${first}`);
      else ids.set(id, at);
    }
    if (own.length > 0) {
      problems.push(...own.map((p) => `${at}: ${p}`));
      return;
    }
    const q: Question = {
      id: id as string,
      corpus: v['corpus'] as string,
      query: v['query'] as string,
      answers,
      at,
    };
    if (typeof v['note'] === 'string') q.note = v['note'];
    questions.push(q);
  });
  if (problems.length > 0) throw new QuestionFileError(problems);
  if (questions.length === 0) throw new QuestionFileError([`${file}: no questions`]);
  return questions;
}

export function readQuestions(file: string): Question[] {
  return parseQuestions(readFileSync(file, 'utf8'), file);
}
