// Turning a docstring or a doc comment into its text, and the text into the query: its first paragraph.
// Pure functions over strings.

/** Python's inspect.cleandoc: the first line stripped, the others dedented by their common indentation. */
export function cleandoc(text: string): string {
  const lines = text.replace(/\t/g, '        ').split('\n');
  let indent = Number.POSITIVE_INFINITY;
  for (const line of lines.slice(1)) {
    const stripped = line.trimStart();
    if (stripped) indent = Math.min(indent, line.length - stripped.length);
  }
  const out = [lines[0]!.trim(), ...lines.slice(1).map((l) => (indent < Infinity ? l.slice(indent) : l))];
  while (out.length && !out[0]!.trim()) out.shift();
  while (out.length && !out[out.length - 1]!.trim()) out.pop();
  return out.map((l) => l.trimEnd()).join('\n');
}

/** The text of a Python string literal used as a docstring: prefix and quotes removed, then cleandoc. */
export function pythonDocstringText(literal: string): string {
  const body = literal.replace(/^[rRuUbBfF]*/, '');
  const quote = body.startsWith('"""') || body.startsWith("'''") ? 3 : 1;
  return cleandoc(body.slice(quote, body.length - quote));
}

/** The text of a `/** ... *\/` comment: delimiters and leading stars removed, cut before the first @tag line. */
export function blockCommentText(comment: string): string {
  const inner = comment.replace(/^\/\*\*+/, '').replace(/\*+\/$/, '');
  const lines: string[] = [];
  for (const raw of inner.split('\n')) {
    const line = raw.replace(/^\s*\*(?!\/)\s?/, '').trimEnd();
    if (/^\s*@[A-Za-z]/.test(line)) break; // block tags (@param, @return, ...) follow the description
    lines.push(line);
  }
  return cleandoc(lines.join('\n'));
}

/** The text of a run of line comments (`//` or `#`), markers removed; Go directives (//go:x) dropped. */
export function lineCommentText(lines: readonly string[], marker: '//' | '#'): string {
  const kept: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (marker === '//' && /^\/\/[a-z]+:\S/.test(line)) continue; // //go:generate, //nolint:...
    kept.push(line.slice(marker.length).replace(/^ /, ''));
  }
  return cleandoc(kept.join('\n'));
}

/**
 * The query: the first paragraph of a documentation text (up to the first blank line or Javadoc `<p>`),
 * inline tags reduced to their text ({@link a.B#c label} to label, {@link #c} to c, {@code x} to x), HTML
 * tags dropped, whitespace collapsed to single spaces.
 */
export function firstParagraph(text: string): string {
  const paragraph = text.split(/\n\s*\n|<p\s*\/?>/i)[0] ?? '';
  return paragraph
    .replace(/\{@(code|literal)\s+([^}]*)\}/g, '$2')
    .replace(/\{@\w+\s+([^}\s]+)\s*([^}]*)\}/g, (_, target: string, label: string) =>
      label ? label : target.replace(/^#/, '').replace('#', '.'),
    )
    .replace(/<\/?[a-zA-Z][^>]*>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
