// A small syntax highlighter for the search page: splits code into comment, string, number, keyword and
// function-name tokens with one regular expression per language family. No HTML is built from strings: the
// page makes a text node or a span per token, so code can never inject markup.

const KEYWORDS = {
  python:
    'and as assert async await break class continue def del elif else except False finally for from global if import in is lambda None nonlocal not or pass raise return True try while with yield self',
  javascript:
    'async await break case catch class const continue debugger default delete do else export extends false finally for function if import in instanceof let new null of return static super switch this throw true try typeof undefined var void while with yield',
  typescript:
    'abstract any as async await boolean break case catch class const continue declare default delete do else enum export extends false finally for from function if implements import in instanceof interface keyof let new null number of private protected public readonly return static string super switch this throw true try type typeof undefined var void while',
  go: 'break case chan const continue default defer else fallthrough for func go goto if import interface map nil package range return select struct switch type var true false',
  java: 'abstract boolean break byte case catch char class const continue default do double else enum extends final finally float for if implements import instanceof int interface long new null package private protected public return short static super switch synchronized this throw throws true false try void volatile while',
  ruby: 'alias and begin break case class def defined? do else elsif end ensure false for if in module next nil not or redo rescue retry return self super then true undef unless until when while yield',
  php: 'abstract and array as break case catch class const continue declare default do echo else elseif empty extends false final finally fn for foreach function global if implements include interface isset namespace new null or private protected public require return static switch this throw true try use var while',
};

const HASH_COMMENT = new Set(['python', 'ruby', 'php', 'shell', 'bash']);

function patternFor(language) {
  const hash = HASH_COMMENT.has(language) ? '#[^\\n]*|' : '';
  const slash =
    language === 'python' || language === 'ruby' ? '' : '\\/\\/[^\\n]*|\\/\\*[\\s\\S]*?(?:\\*\\/|$)|';
  const triple = language === 'python' ? '"""[\\s\\S]*?(?:"""|$)|\'\'\'[\\s\\S]*?(?:\'\'\'|$)|' : '';
  const template =
    language === 'javascript' || language === 'typescript' || language === 'go'
      ? '|`(?:\\\\[\\s\\S]|[^`\\\\])*`'
      : '';
  return new RegExp(
    `(${hash}${slash}(?!))|(${triple}"(?:\\\\.|[^"\\\\\\n])*"|'(?:\\\\.|[^'\\\\\\n])*'${template})|` +
      '(\\b(?:0x[0-9a-fA-F_]+|\\d[\\d_]*(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)\\b)|([A-Za-z_$][\\w$]*\\??)',
    'g',
  );
}

/** [{ text, kind }] covering `code` in order; kind is '', 'com', 'str', 'num', 'kw' or 'fn'. */
export function tokenize(code, language) {
  const keywords = new Set((KEYWORDS[language] ?? `${KEYWORDS.python} ${KEYWORDS.javascript}`).split(' '));
  const re = patternFor(language);
  const out = [];
  let at = 0;
  const push = (text, kind) => {
    if (text === '') return;
    const last = out[out.length - 1];
    if (last && last.kind === kind) last.text += text;
    else out.push({ text, kind });
  };
  for (let m = re.exec(code); m !== null; m = re.exec(code)) {
    if (m[0] === '') {
      re.lastIndex++;
      continue;
    }
    push(code.slice(at, m.index), '');
    let kind = '';
    if (m[1] !== undefined) kind = 'com';
    else if (m[2] !== undefined) kind = 'str';
    else if (m[3] !== undefined) kind = 'num';
    else if (keywords.has(m[4])) kind = 'kw';
    else if (code[re.lastIndex] === '(') kind = 'fn';
    push(m[0], kind);
    at = re.lastIndex;
  }
  push(code.slice(at), '');
  return out;
}

/** Fills `element` with the highlighted code: text nodes and spans, never HTML. */
export function highlightInto(element, code, language) {
  element.replaceChildren();
  for (const { text, kind } of tokenize(code, language)) {
    if (kind === '') {
      element.append(document.createTextNode(text));
    } else {
      const span = document.createElement('span');
      span.className = `tok-${kind}`;
      span.textContent = text;
      element.append(span);
    }
  }
}
