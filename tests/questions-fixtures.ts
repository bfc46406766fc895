// A tiny question corpus for the questions evaluation's tests: a few real, documented Python functions in
// two files (one defined twice, as platform variants are) and a questions file over them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const FIXTURE_FILES: Record<string, string> = {
  'textutil.py': `"""Small text helpers."""


def wrap_lines(text, width):
    """Break a paragraph into lines no longer than width."""
    words = text.split()
    lines, line = [], ''
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f'{line} {word}' if line else word
    return lines + ([line] if line else [])


def slugify(title):
    """Turn a title into a lowercase dash separated slug."""
    out = []
    for ch in title.lower():
        out.append(ch if ch.isalnum() else '-')
    return '-'.join(p for p in ''.join(out).split('-') if p)


class Counter:
    """Counts things."""

    def most_frequent(self, n):
        """The n most frequent items with their counts."""
        ranked = sorted(self.counts.items(), key=lambda kv: -kv[1])
        return ranked[:n]
`,
  'fsutil.py': `"""File helpers."""
import os


if os.name == 'nt':
    def free_space(path):
        """Free bytes on the drive holding path (Windows)."""
        import ctypes
        free = ctypes.c_ulonglong(0)
        return free.value
else:
    def free_space(path):
        """Free bytes on the file system holding path."""
        st = os.statvfs(path)
        return st.f_bavail * st.f_frsize


def read_text(path, encoding='utf-8'):
    """Read a whole file and return its contents as a string."""
    with open(path, encoding=encoding) as f:
        data = f.read()
    return data
`,
};

/** Writes the fixture corpus under dir and returns dir. */
export function writeFixtureCorpus(dir: string): string {
  for (const [path, text] of Object.entries(FIXTURE_FILES)) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}

/** Questions over the fixture corpus (named "fix"): BM25 finds the first two; the third shares no word. */
export const FIXTURE_QUESTIONS = [
  {
    id: 'fix-slug',
    corpus: 'fix',
    query: 'slugify title lowercase',
    answers: [{ path: 'textutil.py', name: 'slugify', grade: 3 }],
  },
  {
    id: 'fix-disk',
    corpus: 'fix',
    query: 'statvfs free bytes',
    answers: [
      { path: 'fsutil.py', name: 'free_space', line: 12, grade: 3 },
      { path: 'fsutil.py', name: 'free_space', line: 6, grade: 2 },
    ],
  },
  {
    id: 'fix-none',
    corpus: 'fix',
    query: 'zzz qqq',
    answers: [{ path: 'textutil.py', name: 'Counter.most_frequent', grade: 3 }],
  },
];
