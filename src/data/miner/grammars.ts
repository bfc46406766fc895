// Loads web-tree-sitter once and each grammar once, lazily, from the prebuilt tree-sitter-wasms package.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

const require = createRequire(import.meta.url);
let runtime: Promise<void> | undefined;
const parsers = new Map<string, Promise<Parser>>();

/** Folder of the prebuilt grammars (node_modules/tree-sitter-wasms/out). */
export function grammarDir(): string {
  return join(dirname(require.resolve('tree-sitter-wasms/package.json')), 'out');
}

async function loadParser(grammar: string): Promise<Parser> {
  runtime ??= Parser.init();
  await runtime;
  const path = join(grammarDir(), grammar);
  let language: Language;
  try {
    language = await Language.load(path);
  } catch (error) {
    throw new Error(`cannot load the tree-sitter grammar ${path}: ${(error as Error).message}`);
  }
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** The parser of a grammar, made on first use and shared after (parsing is synchronous, so sharing is safe). */
export function parserFor(grammar: string): Promise<Parser> {
  let parser = parsers.get(grammar);
  if (!parser) {
    parser = loadParser(grammar);
    parsers.set(grammar, parser);
    parser.catch(() => parsers.delete(grammar)); // a failed load may be retried
  }
  return parser;
}
