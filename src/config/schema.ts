// A small declarative schema: each key's type, default and allowed values, so that validation can name the
// key, the value and what is allowed, and the defaults are written once.

export type FieldSpec =
  | {
      kind: 'number';
      default: number | null;
      min?: number;
      max?: number;
      above?: number;
      integer?: boolean;
      nullable?: boolean;
      doc: string;
    }
  | { kind: 'string'; default: string | null; nullable?: boolean; doc: string }
  | { kind: 'enum'; values: readonly string[]; default: string; doc: string }
  | { kind: 'boolean'; default: boolean; doc: string }
  | { kind: 'list'; values?: readonly string[]; default: readonly string[]; doc: string }
  | { kind: 'section'; fields: Record<string, FieldSpec>; doc: string };

/** The value a field validates to, derived from its spec (so a config's type is written once, as its schema). */
export type ValueOf<F> = F extends { kind: 'section'; fields: infer S }
  ? ConfigOf<S>
  : F extends { kind: 'number'; nullable: true }
    ? number | null
    : F extends { kind: 'number' }
      ? number
      : F extends { kind: 'string'; nullable: true }
        ? string | null
        : F extends { kind: 'string' }
          ? string
          : F extends { kind: 'enum'; values: readonly (infer V)[] }
            ? V
            : F extends { kind: 'boolean' }
              ? boolean
              : F extends { kind: 'list' }
                ? string[]
                : never;

/** The validated object a schema describes. */
export type ConfigOf<S> = { -readonly [K in keyof S]: ValueOf<S[K]> };

export interface SchemaIssue {
  /** Dotted key path, e.g. "training.lr". */
  key: string;
  message: string;
}

function describeAllowed(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'number': {
      const parts = [spec.integer ? 'an integer' : 'a number'];
      if (spec.above !== undefined) parts.push(`> ${spec.above}`);
      if (spec.min !== undefined) parts.push(`>= ${spec.min}`);
      if (spec.max !== undefined) parts.push(`<= ${spec.max}`);
      return parts.join(' ') + (spec.nullable ? ', or null' : '');
    }
    case 'string':
      return `a string${spec.nullable ? ', or null' : ''}`;
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'boolean':
      return 'true or false';
    case 'list':
      return spec.values ? `a list of ${spec.values.join(', ')}` : 'a list of strings';
    case 'section':
      return `a mapping with keys ${Object.keys(spec.fields).join(', ')}`;
  }
}

/** A value as YAML would write it: JSON, but .inf, -.inf and .nan rather than JSON's null. */
const show = (value: unknown): string => {
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
  return typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
};

/** The largest whole number a count or size may be when its field sets no maximum (what the native side takes). */
const MAX_INTEGER = 2 ** 31 - 1;

/** Edit distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

export function suggest(name: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const option of options) {
    const d = distance(name.toLowerCase(), option.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = option;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function checkValue(spec: FieldSpec, value: unknown, key: string, issues: SchemaIssue[]): unknown {
  const bad = (why?: string) => {
    issues.push({
      key,
      message: `${show(value)} is not allowed${why ? ` (${why})` : ''}: expected ${describeAllowed(spec)}`,
    });
    return undefined;
  };
  switch (spec.kind) {
    case 'number': {
      if (value === null && spec.nullable) return null;
      if (typeof value !== 'number' || !Number.isFinite(value)) return bad();
      if (spec.integer && !Number.isInteger(value)) return bad();
      if (spec.integer && spec.max === undefined && value > MAX_INTEGER) return bad(`over ${MAX_INTEGER}`);
      if (spec.above !== undefined && !(value > spec.above)) return bad();
      if (spec.min !== undefined && value < spec.min) return bad();
      if (spec.max !== undefined && value > spec.max) return bad();
      return value;
    }
    case 'string':
      if (value === null && spec.nullable) return null;
      return typeof value === 'string' && value.length > 0 ? value : bad();
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value) ? value : bad();
    case 'boolean':
      return typeof value === 'boolean' ? value : bad();
    case 'list': {
      const list = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) return bad();
      const unknown = spec.values ? list.filter((v) => !spec.values!.includes(v)) : [];
      if (unknown.length > 0) return bad(`unknown ${unknown.map((v) => JSON.stringify(v)).join(', ')}`);
      return list;
    }
    case 'section':
      return checkSection(spec.fields, value, key, issues);
  }
}

function defaults(fields: Record<string, FieldSpec>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(fields)) {
    out[name] = spec.kind === 'section' ? defaults(spec.fields) : structuredClone(spec.default);
  }
  return out;
}

/**
 * Validates `value` against `fields`, fills in defaults, and records every problem in `issues`. The result has
 * the schema's derived type; it is only complete when `issues` stayed empty.
 */
export function applySchema<S extends Record<string, FieldSpec>>(
  fields: S,
  value: unknown,
  prefix: string,
  issues: SchemaIssue[],
): ConfigOf<S> {
  return checkSection(fields, value, prefix, issues) as ConfigOf<S>;
}

function checkSection(
  fields: Record<string, FieldSpec>,
  value: unknown,
  prefix: string,
  issues: SchemaIssue[],
): Record<string, unknown> {
  const out = defaults(fields);
  if (value === undefined || value === null) return out;
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.push({
      key: prefix || '(top level)',
      message: `${show(value)} is not a mapping: expected keys ${Object.keys(fields).join(', ')}`,
    });
    return out;
  }
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${name}` : name;
    const spec = fields[name];
    if (!spec) {
      const hint = suggest(name, Object.keys(fields));
      issues.push({
        key,
        message: `unknown key${hint ? ` (did you mean ${prefix ? `${prefix}.` : ''}${hint}?)` : ''}; allowed here: ${Object.keys(fields).join(', ')}`,
      });
      continue;
    }
    const checked = checkValue(spec, v, key, issues);
    if (checked !== undefined) out[name] = checked;
  }
  return out;
}

/** Every key path of a schema with its doc and default, for `secora-train --help-config`. */
export function describeSchema(fields: Record<string, FieldSpec>, prefix = ''): string[] {
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(fields)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (spec.kind === 'section') {
      lines.push(`${key}:  ${spec.doc}`);
      lines.push(...describeSchema(spec.fields, key));
    } else {
      lines.push(`  ${key} = ${JSON.stringify(spec.default)}  (${describeAllowed(spec)})  ${spec.doc}`);
    }
  }
  return lines;
}
