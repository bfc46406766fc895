// Which files the miner reads: pure rules over paths and contents (vendored, test, minified, generated,
// binary, non-UTF-8). The walk and the miner apply them and count what each rule skipped.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Folders holding someone else's code, or tool output: never mined inside a tree. */
const VENDORED_DIRS = new Set([
  'node_modules',
  'bower_components',
  'jspm_packages',
  'vendor',
  'vendors',
  'third_party',
  'third-party',
  'thirdparty',
  'external',
  'site-packages',
  'dist-packages',
  '__pycache__',
]);

/** By name alone; a virtual environment is recognized by its pyvenv.cfg (isVirtualEnv), whatever its name. */
export function isVendoredDir(name: string): boolean {
  return VENDORED_DIRS.has(name) || name.startsWith('.'); // hidden: .git, .venv, .tox, caches
}

/** A Python virtual environment: a folder holding pyvenv.cfg (the standard library's venv/ package does not). */
export function isVirtualEnv(dir: string): boolean {
  return existsSync(join(dir, 'pyvenv.cfg'));
}

const TEST_DIR = /^(tests?|__tests__|specs?|\w+_tests?)$/i;
const TEST_FILE = [
  /^test_.*\.py$/,
  /_tests?\.(py|go|rb)$/,
  /^conftest\.py$/,
  /\.(test|spec)\.[cm]?[jt]sx?$/,
  /Tests?\.java$/,
  /_spec\.rb$/,
  /Test\.php$/,
];

/** A test file: under a test folder (test/, tests/, __tests__/, spec/, idle_test/…) or named like one. */
export function isTestPath(relativePath: string): boolean {
  const parts = relativePath.split('/');
  const name = parts.pop() ?? '';
  return parts.some((p) => TEST_DIR.test(p)) || TEST_FILE.some((re) => re.test(name));
}

/** A test function by name: test, test_x, testX, TestX. */
export function isTestFunctionName(name: string): boolean {
  return /^[Tt]est($|[_A-Z0-9])/.test(name);
}

/** Any NUL byte marks a binary file (as git does, on the bytes read). */
export function isBinary(bytes: Uint8Array): boolean {
  return bytes.indexOf(0) !== -1;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of the bytes, or undefined when they are not valid UTF-8. A BOM is dropped. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Minified: named *.min.js (or .mjs/.cjs/.css), or a line longer than maxLineLength characters. */
export function isMinified(fileName: string, text: string, maxLineLength: number): boolean {
  if (/\.min\.[cm]?js$/.test(fileName)) return true;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end - start > maxLineLength) return true;
    start = end + 1;
  }
  return false;
}

const GENERATED_MARKER =
  /code generated .*do not edit|@generated\b|\bauto-?generated\b|\bautomatically generated\b|\bgenerated (by|from)\b/i;

/** Generated: a comment among the first 15 lines says so ("Code generated … DO NOT EDIT", "@generated"…). */
export function isGenerated(text: string): boolean {
  const head = text.slice(0, 4000).split('\n', 15);
  return head.some(
    (line) =>
      /^\s*(#|\/\/|\/\*|\*|<\?php)/.test(line) &&
      (GENERATED_MARKER.test(line) || line.includes('DO NOT EDIT')),
  );
}
