// What the miner knows about each language: which files it reads, which grammar parses them, which syntax
// nodes are functions and scopes, and where a function's documentation lives.

export const MINED_LANGUAGES = ['python', 'javascript', 'typescript', 'go', 'java', 'ruby', 'php'] as const;
export type MinedLanguage = (typeof MINED_LANGUAGES)[number];

/** Where the documentation of a function is written. */
export type DocStyle =
  | 'python-docstring' // the first statement of the body, a string
  | 'block-comment' // a `/** ... */` right before the function (JSDoc, Javadoc, PHPDoc)
  | 'slash-lines' // `//` lines right above (Go)
  | 'hash-lines'; // `#` lines right above (Ruby)

export interface LanguageSpec {
  language: MinedLanguage;
  /** File name of the grammar in tree-sitter-wasms/out/. */
  grammar: string;
  docStyle: DocStyle;
  /** Syntax nodes that are functions with a body. */
  functionTypes: readonly string[];
  /** Syntax nodes whose name qualifies the functions inside them (classes, modules, traits). */
  scopeTypes: readonly string[];
  /** Syntax nodes that are comments (removed before deduplication). */
  commentTypes: readonly string[];
  /** Function names that are constructors (Java's constructor_declaration is one by its type). */
  constructorNames: readonly string[];
}

const JS_FUNCTIONS = [
  'function_declaration',
  'generator_function_declaration',
  'method_definition',
  // Expressions count only where an assignment, a declaration, a field or a property names them.
  'function',
  'function_expression',
  'generator_function',
  'arrow_function',
];
const JS_SCOPES = ['class_declaration', 'class', 'abstract_class_declaration'];

const PYTHON: LanguageSpec = {
  language: 'python',
  grammar: 'tree-sitter-python.wasm',
  docStyle: 'python-docstring',
  functionTypes: ['function_definition'],
  scopeTypes: ['class_definition'],
  commentTypes: ['comment'],
  constructorNames: ['__init__'],
};
const JAVASCRIPT: LanguageSpec = {
  language: 'javascript',
  grammar: 'tree-sitter-javascript.wasm',
  docStyle: 'block-comment',
  functionTypes: JS_FUNCTIONS,
  scopeTypes: JS_SCOPES,
  commentTypes: ['comment'],
  constructorNames: ['constructor'],
};
const TYPESCRIPT: LanguageSpec = {
  ...JAVASCRIPT,
  language: 'typescript',
  grammar: 'tree-sitter-typescript.wasm',
};
const TSX: LanguageSpec = { ...TYPESCRIPT, grammar: 'tree-sitter-tsx.wasm' };
const GO: LanguageSpec = {
  language: 'go',
  grammar: 'tree-sitter-go.wasm',
  docStyle: 'slash-lines',
  functionTypes: ['function_declaration', 'method_declaration'],
  scopeTypes: [],
  commentTypes: ['comment'],
  constructorNames: [],
};
const JAVA: LanguageSpec = {
  language: 'java',
  grammar: 'tree-sitter-java.wasm',
  docStyle: 'block-comment',
  functionTypes: ['method_declaration', 'constructor_declaration'],
  scopeTypes: [
    'class_declaration',
    'interface_declaration',
    'enum_declaration',
    'record_declaration',
    'annotation_type_declaration',
  ],
  commentTypes: ['line_comment', 'block_comment'],
  constructorNames: [],
};
const RUBY: LanguageSpec = {
  language: 'ruby',
  grammar: 'tree-sitter-ruby.wasm',
  docStyle: 'hash-lines',
  functionTypes: ['method', 'singleton_method'],
  scopeTypes: ['class', 'module'],
  commentTypes: ['comment'],
  constructorNames: ['initialize'],
};
const PHP: LanguageSpec = {
  language: 'php',
  grammar: 'tree-sitter-php.wasm',
  docStyle: 'block-comment',
  functionTypes: ['function_definition', 'method_declaration'],
  scopeTypes: ['class_declaration', 'interface_declaration', 'trait_declaration', 'enum_declaration'],
  commentTypes: ['comment'],
  constructorNames: ['__construct'],
};

const BY_EXTENSION: Record<string, LanguageSpec> = {
  '.py': PYTHON,
  '.js': JAVASCRIPT,
  '.mjs': JAVASCRIPT,
  '.cjs': JAVASCRIPT,
  '.jsx': JAVASCRIPT,
  '.ts': TYPESCRIPT,
  '.mts': TYPESCRIPT,
  '.cts': TYPESCRIPT,
  '.tsx': TSX,
  '.go': GO,
  '.java': JAVA,
  '.rb': RUBY,
  '.php': PHP,
};

/** The language of a file by its name, or undefined when the miner does not read it (declaration files too). */
export function languageOfFile(fileName: string): LanguageSpec | undefined {
  if (/\.d\.[mc]?ts$/.test(fileName)) return undefined; // declarations only: no bodies to mine
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? undefined : BY_EXTENSION[fileName.slice(dot).toLowerCase()];
}

export function isMinedLanguage(name: string): name is MinedLanguage {
  return (MINED_LANGUAGES as readonly string[]).includes(name);
}
