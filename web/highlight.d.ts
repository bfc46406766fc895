// Types of highlight.js, for the tests that import it.
export interface Token {
  text: string;
  kind: '' | 'com' | 'str' | 'num' | 'kw' | 'fn';
}
export function tokenize(code: string, language: string): Token[];
export function highlightInto(element: Element, code: string, language: string): void;
