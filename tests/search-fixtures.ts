// Small, real functions (with what they do in their names and bodies) for the index and search tests.
import type { Snippet } from '../src/search/snippet.js';

const raw: [string, string, string, string][] = [
  [
    'src/io/json.py',
    'read_json_file',
    'python',
    'def read_json_file(path):\n    """Read a JSON document from a file."""\n    with open(path) as f:\n        return json.load(f)',
  ],
  [
    'src/io/json.py',
    'write_json_file',
    'python',
    'def write_json_file(path, value):\n    """Write a value to a file as JSON."""\n    with open(path, "w") as f:\n        json.dump(value, f)',
  ],
  [
    'src/net/socket.js',
    'openSocketConnection',
    'javascript',
    'function openSocketConnection(host, port) {\n  // Open a TCP socket to host:port.\n  return net.createConnection({ host, port });\n}',
  ],
  [
    'src/util/sort.go',
    'SortStringsDescending',
    'go',
    'func SortStringsDescending(xs []string) {\n\t// sort strings in descending order\n\tsort.Sort(sort.Reverse(sort.StringSlice(xs)))\n}',
  ],
  [
    'src/util/hash.rb',
    'sha256_hex_digest',
    'ruby',
    'def sha256_hex_digest(data)\n  # hex digest of the sha256 hash of data\n  Digest::SHA256.hexdigest(data)\nend',
  ],
  [
    'src/web/Http.java',
    'Http.parseHttpResponseStatus',
    'java',
    'static int parseHttpResponseStatus(String line) {\n  // parse the status code of an HTTP response line\n  return Integer.parseInt(line.split(" ")[1]);\n}',
  ],
  [
    'src/util/strings.php',
    'slugify_title',
    'php',
    'function slugify_title($title) {\n  // turn a title into a url slug\n  return strtolower(preg_replace("/[^a-z0-9]+/i", "-", $title));\n}',
  ],
  [
    'src/util/date.py',
    'parse_iso_date',
    'python',
    'def parse_iso_date(text):\n    """Parse an ISO 8601 date string."""\n    return datetime.date.fromisoformat(text)',
  ],
];

export const SNIPPETS: Snippet[] = raw.map(([path, name, language, code], i) => ({
  path,
  name,
  language,
  code,
  startLine: 1 + 10 * i,
  endLine: 1 + 10 * i + code.split('\n').length - 1,
}));

/** `n` distinct generated functions (for the approximate index kinds, which need more vectors). */
export function manySnippets(n: number): Snippet[] {
  const verbs = [
    'read',
    'write',
    'parse',
    'format',
    'sort',
    'merge',
    'split',
    'load',
    'save',
    'hash',
    'encode',
  ];
  const nouns = [
    'user',
    'config',
    'token',
    'file',
    'record',
    'date',
    'socket',
    'cache',
    'matrix',
    'url',
    'image',
  ];
  const extra = ['async', 'batch', 'fast', 'safe', 'lazy', 'remote', 'local', 'cached', 'strict', 'raw'];
  return Array.from({ length: n }, (_, i) => {
    const name = `${verbs[i % 11]}_${nouns[Math.floor(i / 11) % 11]}_${extra[Math.floor(i / 121) % 10]}_${i}`;
    return {
      path: `gen/file${i % 37}.py`,
      name,
      language: 'python',
      code: `def ${name}(x):\n    return ${verbs[(i * 7) % 11]}(x, ${i})`,
      startLine: i + 1,
      endLine: i + 2,
    };
  });
}
