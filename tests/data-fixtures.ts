// Tiny datasets in the real CodeSearchNet, Hugging Face parquet and GraphCodeBERT schemas, made by the tests.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteFile } from 'hyparquet-writer';

// hyparquet-writer's own copy of hyparquet's SchemaElement.
type SchemaElement = NonNullable<Parameters<typeof parquetWriteFile>[0]['schema']>[number];

export interface CsnRow {
  repo: string;
  path: string;
  func_name: string;
  original_string: string;
  language: string;
  code: string;
  code_tokens: string[];
  docstring: string;
  docstring_tokens: string[];
  sha: string;
  partition: string;
  url: string;
}

const PY_BODIES: [string, string][] = [
  [
    'Return the sum of the squares of the given numbers.',
    'total = 0\n    for x in values:\n        total += x * x\n    return total',
  ],
  [
    'Read a file and return its lines without trailing newlines.',
    'with open(path) as f:\n        return [line.rstrip("\\n") for line in f]',
  ],
  [
    'Parse a comma separated header into a list of stripped names.',
    'return [name.strip() for name in header.split(",") if name.strip()]',
  ],
  [
    'Merge two sorted lists into one sorted list.',
    'out = []\n    i = j = 0\n    while i < len(a) and j < len(b):\n        if a[i] <= b[j]:\n            out.append(a[i]); i += 1\n        else:\n            out.append(b[j]); j += 1\n    return out + a[i:] + b[j:]',
  ],
  ['Check whether a string is a palindrome, ignoring case.', 's = s.lower()\n    return s == s[::-1]'],
  [
    'Compute the factorial of n iteratively.',
    'result = 1\n    for k in range(2, n + 1):\n        result *= k\n    return result',
  ],
];
const GO_BODIES: [string, string][] = [
  ['Max returns the larger of two integers.', 'if a > b {\n\t\treturn a\n\t}\n\treturn b'],
  [
    'Reverse returns a copy of s with its elements in reverse order.',
    'out := make([]int, len(s))\n\tfor i, v := range s {\n\t\tout[len(s)-1-i] = v\n\t}\n\treturn out',
  ],
  [
    'Contains reports whether v is in s.',
    'for _, x := range s {\n\t\tif x == v {\n\t\t\treturn true\n\t\t}\n\t}\n\treturn false',
  ],
];

/** The i-th fixture function of a language, in CodeSearchNet's schema. */
export function csnRow(language: 'python' | 'go', i: number, partition: string): CsnRow {
  const bodies = language === 'python' ? PY_BODIES : GO_BODIES;
  const [doc, body] = bodies[i % bodies.length]!;
  const name = `f${i}_${partition}`;
  const code =
    language === 'python'
      ? `def ${name}(values, path=None, header="", a=(), b=(), s="", n=0):\n    """${doc}"""\n    ${body}\n`
      : `// ${doc}\nfunc ${name}(a, b int, s []int, v int) int {\n\t${body}\n}\n`;
  return {
    repo: `owner${i % 3}/repo${i % 2}`,
    path: language === 'python' ? `pkg/mod${i}.py` : `pkg/file${i}.go`,
    func_name: name,
    original_string: code,
    language,
    code,
    code_tokens: code.split(/\W+/).filter(Boolean),
    docstring: doc,
    docstring_tokens: doc.split(/\s+/),
    sha: `${i}`.padStart(40, 'a'),
    partition,
    url: `https://github.com/owner${i % 3}/repo${i % 2}/blob/${'a'.repeat(40)}/pkg/${language}${i}_${partition}#L1-L9`,
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `secora-${prefix}-`));
}

export function writeJsonlGz(file: string, lines: string[]): void {
  writeFileSync(file, gzipSync(`${lines.join('\n')}\n`));
}

export interface CsnFixture {
  root: string;
  /** The rows each file holds, in file order, that a reader must yield. */
  expected: Record<string, CsnRow[]>;
  malformedFile: string;
  missingDocFile: string;
}

/**
 * {root}/{python,go}/final/jsonl/{train,valid,test}/{lang}_{split}_{n}.jsonl.gz. Python's train has 3 files
 * (train_0, train_1, train_10 to check natural order), with one malformed line (train_0 line 3) and one record
 * without a docstring (train_1 line 2).
 */
export function makeCsnFixture(perFile = 5): CsnFixture {
  const root = tempDir('csn');
  const expected: Record<string, CsnRow[]> = {};
  let malformedFile = '';
  let missingDocFile = '';
  for (const language of ['python', 'go'] as const) {
    for (const split of ['train', 'valid', 'test']) {
      const dir = join(root, language, 'final', 'jsonl', split);
      mkdirSync(dir, { recursive: true });
      const fileIds = language === 'python' && split === 'train' ? [0, 1, 10] : [0];
      let n = 0;
      for (const id of fileIds) {
        const file = join(dir, `${language}_${split}_${id}.jsonl.gz`);
        const rows = Array.from({ length: perFile }, () => csnRow(language, n++, split));
        const lines = rows.map((r) => JSON.stringify(r));
        if (language === 'python' && split === 'train' && id === 0) {
          lines.splice(2, 0, '{"repo": "broken", "code": ');
          malformedFile = file;
        }
        if (language === 'python' && split === 'train' && id === 1) {
          lines.splice(
            1,
            0,
            JSON.stringify({ ...csnRow(language, 99, split), docstring: '', docstring_tokens: [] }),
          );
          missingDocFile = file;
        }
        writeJsonlGz(file, lines);
        expected[`${language}/${split}`] = [...(expected[`${language}/${split}`] ?? []), ...rows];
      }
    }
  }
  return { root, expected, malformedFile, missingDocFile };
}

/** HF's code_search_net parquet: {root}/python/{split}-00000-of-00001.parquet, two row groups in train. */
export function makeHfParquetFixture(rows = 6): { root: string; expected: Record<string, CsnRow[]> } {
  const root = tempDir('hfpq');
  const expected: Record<string, CsnRow[]> = {};
  mkdirSync(join(root, 'python'), { recursive: true });
  for (const split of ['train', 'valid', 'test']) {
    const data = Array.from({ length: rows }, (_, i) => csnRow('python', i, split));
    // Row 4 (1-based) has no docstring: counted, not yielded.
    data[3] = { ...data[3]!, docstring: '' };
    expected[`python/${split}`] = data.filter((_, i) => i !== 3);
    const strings = {
      repository_name: data.map((r) => r.repo),
      func_path_in_repository: data.map((r) => r.path),
      func_name: data.map((r) => r.func_name),
      whole_func_string: data.map((r) => r.original_string),
      language: data.map((r) => r.language),
      func_code_string: data.map((r) => r.code),
      func_documentation_string: data.map((r) => r.docstring),
      split_name: data.map((r) => r.partition),
      func_code_url: data.map((r) => r.url),
    };
    const lists = {
      func_code_tokens: data.map((r) => r.code_tokens),
      func_documentation_tokens: data.map((r) => r.docstring_tokens),
    };
    const utf8 = { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' } as const;
    // The schema pyarrow writes for HF's datasets: strings, and list<string> as the 3-level LIST.
    const schema: SchemaElement[] = [
      { name: 'root', num_children: Object.keys(strings).length + Object.keys(lists).length },
      ...Object.keys(strings).map((name) => ({ name, ...utf8 })),
      ...Object.keys(lists).flatMap((name): SchemaElement[] => [
        { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', ...utf8 },
      ]),
    ];
    parquetWriteFile({
      filename: join(root, 'python', `${split}-00000-of-00001.parquet`),
      rowGroupSize: Math.ceil(rows / 2),
      schema,
      columnData: [...Object.entries(strings), ...Object.entries(lists)].map(([name, values]) => ({
        name,
        data: values,
      })),
    });
  }
  return { root, expected };
}

/** GraphCodeBERT's cleaned layout: {root}/python/{train,valid,test,codebase}.jsonl; test lines carry no code. */
export function makeGraphCodeBertFixture(rows = 4): { root: string; expected: Record<string, CsnRow[]> } {
  const root = tempDir('gcb');
  const dir = join(root, 'python');
  mkdirSync(dir, { recursive: true });
  const expected: Record<string, CsnRow[]> = {};
  const codebase: CsnRow[] = [];
  for (const split of ['train', 'valid', 'test']) {
    const data = Array.from({ length: rows }, (_, i) => csnRow('python', i, split));
    expected[`python/${split}`] = data;
    if (split !== 'train') codebase.push(...data);
    const lines = data.map((r) => {
      if (split !== 'test') return JSON.stringify({ ...r, idx: r.func_name });
      // Only the query and its url: the code comes from codebase.jsonl.
      return JSON.stringify({ url: r.url, docstring_tokens: r.docstring_tokens, language: r.language });
    });
    writeFileSync(join(dir, `${split}.jsonl`), `${lines.join('\n')}\n`);
  }
  writeFileSync(join(dir, 'codebase.jsonl'), `${codebase.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return { root, expected };
}
