// Finds the functions in a parsed file and cuts each into its name, its code without the docstring, and the
// docstring's first paragraph, following each language's convention (see LanguageSpec.docStyle).
import type { Node } from 'web-tree-sitter';
import { blockCommentText, firstParagraph, lineCommentText, pythonDocstringText } from './docstring.js';
import type { LanguageSpec } from './languages.js';

export interface ExtractedFunction {
  /** The function's own name. */
  name: string;
  /** Qualified with its classes/modules, e.g. "Parser.parse_args". */
  funcName: string;
  /** The code without its docstring, dedented to the function's own indentation. */
  code: string;
  /** The function as written, doc comment or docstring included. */
  originalString: string;
  /** The first paragraph of the documentation; '' when there is none. */
  docstring: string;
  /** 1-based lines of the code in the file. */
  startLine: number;
  endLine: number;
  /** The code with comments and all whitespace removed: what deduplication compares. */
  normalizedCode: string;
  isConstructor: boolean;
  /** A constructor that only stores its parameters, or is shorter than 3 lines. */
  trivialConstructor: boolean;
  /** Whether tree-sitter found a syntax error inside the function (its text may be cut wrong). */
  hasError: boolean;
}

/** A function expression counts when one of these names it (the node holding the name is the code). */
const NAMING_PARENTS: Record<string, string> = {
  variable_declarator: 'name',
  assignment_expression: 'left',
  pair: 'key',
  public_field_definition: 'name',
  field_definition: 'property',
};
const EXPRESSION_TYPES = new Set(['function', 'function_expression', 'generator_function', 'arrow_function']);

interface Located {
  name: string;
  /** The node whose text is the function's code. */
  codeNode: Node;
  /** The node the documentation comment sits right above. */
  anchor: Node;
}

function locate(fn: Node, spec: LanguageSpec): Located | undefined {
  if (EXPRESSION_TYPES.has(fn.type)) {
    const parent = fn.parent;
    const field = parent ? NAMING_PARENTS[parent.type] : undefined;
    if (!parent || !field) return undefined; // an anonymous callback
    if (parent.type === 'assignment_expression' && parent.childForFieldName('right')?.id !== fn.id)
      return undefined;
    const nameNode = parent.childForFieldName(field);
    if (!nameNode) return undefined;
    let anchor: Node = parent;
    if (parent.type === 'variable_declarator' || parent.type === 'assignment_expression')
      anchor = parent.parent ?? parent;
    if (anchor.parent?.type === 'export_statement') anchor = anchor.parent;
    return { name: nameNode.text.replace(/^['"`]|['"`]$/g, ''), codeNode: parent, anchor };
  }
  const nameNode = fn.childForFieldName('name');
  if (!nameNode) return undefined;
  if (spec.language !== 'ruby' && !fn.childForFieldName('body')) return undefined; // abstract, interface
  const anchor = fn.parent?.type === 'export_statement' ? fn.parent : fn;
  return { name: nameNode.text, codeNode: fn, anchor };
}

function scopeNames(node: Node, spec: LanguageSpec): string[] {
  const names: string[] = [];
  if (node.type === 'method_declaration' && spec.language === 'go') {
    const receiverType = node.childForFieldName('receiver')?.descendantsOfType('type_identifier')[0];
    if (receiverType) names.push(receiverType.text);
  }
  for (let p = node.parent; p; p = p.parent) {
    if (!spec.scopeTypes.includes(p.type)) continue;
    const name = p.childForFieldName('name')?.text;
    if (name) names.unshift(name);
  }
  return names;
}

/** The Python docstring: the body's first statement when it is a lone string. */
function pythonDocstringNode(fn: Node): Node | undefined {
  const body = fn.childForFieldName('body');
  const first = body?.namedChildren.find((c) => c !== null && c.type !== 'comment');
  if (first?.type !== 'expression_statement' || first.namedChildCount !== 1) return undefined;
  const literal = first.namedChild(0);
  return literal?.type === 'string' ? first : undefined;
}

/**
 * The `/** … *\/` comment right before the anchor (whitespace with at most one line break between), stepping
 * over a few other comments such as `/* @__NO_SIDE_EFFECTS__ *\/` or `// eslint-disable-next-line`.
 */
function blockDocComment(anchor: Node, root: Node, source: string): Node | undefined {
  let end = anchor.startIndex;
  for (let hop = 0; hop < 4; hop++) {
    let i = end;
    let breaks = 0;
    while (i > 0 && /\s/.test(source[i - 1]!)) if (source[--i] === '\n') breaks++;
    if (breaks > 1 || i === 0) return undefined;
    const comment = root.descendantForIndex(i - 1);
    if (!comment?.type.includes('comment') || comment.endIndex !== i) return undefined;
    if (comment.text.startsWith('/**') && comment.text !== '/**/') return comment;
    end = comment.startIndex;
  }
  return undefined;
}

/** The run of line comments (`//` or `#`) on the lines right above the anchor's first line. */
function lineDocComment(anchor: Node, lines: readonly string[], marker: '//' | '#'): string[] {
  const run: string[] = [];
  for (let row = anchor.startPosition.row - 1; row >= 0; row--) {
    const line = lines[row]!.trim();
    if (!line.startsWith(marker) || (marker === '#' && line.startsWith('#!'))) break;
    run.unshift(line);
  }
  return run;
}

/** The indentation (spaces and tabs) of the line where start is. */
function indentAt(source: string, start: number): number {
  const lineStart = source.lastIndexOf('\n', start - 1) + 1;
  return /^[ \t]*/.exec(source.slice(lineStart, start))![0].length;
}

/** Removes up to indent leading spaces/tabs from every line after the first. */
function dedent(text: string, indent: number): string {
  return indent === 0 ? text : text.replace(new RegExp(`\\n[ \\t]{0,${indent}}`, 'g'), '\n');
}

function dedentedSlice(source: string, start: number, end: number): string {
  return dedent(source.slice(start, end), indentAt(source, start));
}

/** The function's text with the docstring cut out; its whole lines go when it fills them. */
function withoutRange(source: string, start: number, end: number, cutStart: number, cutEnd: number): string {
  let from = cutStart;
  let to = cutEnd;
  const lineStart = source.lastIndexOf('\n', from - 1) + 1;
  const newline = source.indexOf('\n', to);
  const lineEnd = newline < 0 ? source.length : newline;
  if (!source.slice(lineStart, from).trim() && !source.slice(to, lineEnd).trim()) {
    from = Math.max(lineStart, start);
    to = Math.min(lineEnd + 1, end);
  }
  return dedent(source.slice(start, from) + source.slice(to, end), indentAt(source, start));
}

function stripRanges(text: string, offset: number, ranges: readonly [number, number][]): string {
  let out = '';
  let at = 0;
  for (const [s, e] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const from = s - offset;
    if (from < at) continue;
    out += text.slice(at, from);
    at = e - offset;
  }
  return out + text.slice(at);
}

const PARAM_ASSIGNMENT =
  /^(?:(?:self|this|\$this)\s*(?:\.|->)\s*|@)?\$?([\p{L}_][\p{L}\p{N}_]*)\s*=\s*\$?([\p{L}_][\p{L}\p{N}_]*)\s*;?$/u;

function isTrivialConstructor(
  fn: Node,
  spec: LanguageSpec,
  docNode: Node | undefined,
  code: string,
): boolean {
  if (code.split('\n').length < 3) return true;
  const params = new Set(fn.childForFieldName('parameters')?.text.match(/[\p{L}_][\p{L}\p{N}_]*/gu) ?? []);
  const body = fn.childForFieldName('body');
  const statements = (body?.namedChildren ?? []).filter(
    (c): c is Node => c !== null && !spec.commentTypes.includes(c.type) && c.id !== docNode?.id,
  );
  return statements.every((s) => {
    const m = PARAM_ASSIGNMENT.exec(s.text.trim());
    return m !== null && params.has(m[2]!);
  });
}

/** Every named function with a body in a parsed file, in source order. */
export function extractFunctions(root: Node, source: string, spec: LanguageSpec): ExtractedFunction[] {
  const found: ExtractedFunction[] = [];
  let lines: string[] | undefined;
  for (const fn of root.descendantsOfType([...spec.functionTypes])) {
    if (!fn) continue;
    const located = locate(fn, spec);
    if (!located) continue;
    const { name, codeNode, anchor } = located;
    const start = codeNode.startIndex;
    const end = codeNode.endIndex;
    const fullCode = dedentedSlice(source, start, end);
    let code = fullCode;
    let originalString = fullCode;
    let docstring = '';
    let docNode: Node | undefined;
    const removed: [number, number][] = [];
    if (spec.docStyle === 'python-docstring') {
      docNode = pythonDocstringNode(fn);
      if (docNode) {
        docstring = firstParagraph(pythonDocstringText(docNode.text));
        code = withoutRange(source, start, end, docNode.startIndex, docNode.endIndex);
        removed.push([docNode.startIndex, docNode.endIndex]);
      }
    } else if (spec.docStyle === 'block-comment') {
      const comment = blockDocComment(anchor, root, source);
      if (comment) {
        docstring = firstParagraph(blockCommentText(comment.text));
        originalString = `${dedentedSlice(source, comment.startIndex, comment.endIndex)}\n${fullCode}`;
      }
    } else {
      lines ??= source.split('\n');
      const run = lineDocComment(anchor, lines, spec.docStyle === 'slash-lines' ? '//' : '#');
      if (run.length) {
        docstring = firstParagraph(lineCommentText(run, spec.docStyle === 'slash-lines' ? '//' : '#'));
        originalString = `${run.join('\n')}\n${fullCode}`;
      }
    }
    for (const c of codeNode.descendantsOfType([...spec.commentTypes]))
      if (c) removed.push([c.startIndex, c.endIndex]);
    const normalizedCode = stripRanges(source.slice(start, end), start, removed).replace(/\s+/g, '');
    const isConstructor = fn.type === 'constructor_declaration' || spec.constructorNames.includes(name);
    found.push({
      name,
      funcName: [...scopeNames(codeNode, spec), name].join('.'),
      code,
      originalString,
      docstring,
      startLine: codeNode.startPosition.row + 1,
      endLine: codeNode.endPosition.row + 1,
      normalizedCode,
      isConstructor,
      trivialConstructor: isConstructor && isTrivialConstructor(fn, spec, docNode, code),
      hasError: codeNode.hasError,
    });
  }
  return found;
}
