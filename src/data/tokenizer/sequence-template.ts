// Where a tokenizer puts its special tokens around one sequence or a pair, read from tokenizer.json's
// post_processor, so the batcher can truncate the raw ids itself and then add the specials exactly as HF would.

export type TemplatePiece =
  | { kind: 'special'; ids: number[]; typeId: number }
  | { kind: 'A' | 'B'; typeId: number };

export interface SequenceTemplates {
  single: TemplatePiece[];
  pair: TemplatePiece[];
}

/** Number of special tokens a template adds. */
export function specialCount(template: readonly TemplatePiece[]): number {
  let n = 0;
  for (const p of template) if (p.kind === 'special') n += p.ids.length;
  return n;
}

/** Lays out ids (and type ids) as the template says; b is required for a pair template. */
export function applyTemplate(
  template: readonly TemplatePiece[],
  a: readonly number[],
  b: readonly number[] = [],
): { ids: number[]; typeIds: number[] } {
  const ids: number[] = [];
  const typeIds: number[] = [];
  for (const p of template) {
    const part = p.kind === 'special' ? p.ids : p.kind === 'A' ? a : b;
    for (const id of part) {
      ids.push(id);
      typeIds.push(p.typeId);
    }
  }
  return { ids, typeIds };
}

type Json = Record<string, unknown>;

function tokenPair(v: unknown, what: string): number {
  if (!Array.isArray(v) || typeof v[1] !== 'number') {
    throw new Error(`tokenizer.json post_processor.${what} must be [token, id], got ${JSON.stringify(v)}`);
  }
  return v[1];
}

function fromTemplateProcessing(pp: Json): SequenceTemplates {
  const specials = (pp['special_tokens'] ?? {}) as Record<string, { ids?: number[] }>;
  const parse = (pieces: unknown, name: string): TemplatePiece[] => {
    if (!Array.isArray(pieces)) throw new Error(`tokenizer.json TemplateProcessing.${name} must be a list`);
    return pieces.map((piece: Json) => {
      if (piece['SpecialToken']) {
        const { id, type_id } = piece['SpecialToken'] as { id: string; type_id: number };
        const ids = specials[id]?.ids;
        if (!ids)
          throw new Error(`tokenizer.json TemplateProcessing names special token "${id}" without ids`);
        return { kind: 'special', ids, typeId: type_id };
      }
      const { id, type_id } = piece['Sequence'] as { id: 'A' | 'B'; type_id: number };
      return { kind: id, typeId: type_id };
    });
  };
  return { single: parse(pp['single'], 'single'), pair: parse(pp['pair'], 'pair') };
}

/** Reads the templates of a tokenizer.json post_processor (Roberta, Bert, Template, or a Sequence of them). */
export function templatesFromPostProcessor(pp: unknown): SequenceTemplates {
  if (pp === null || pp === undefined) {
    return {
      single: [{ kind: 'A', typeId: 0 }],
      pair: [
        { kind: 'A', typeId: 0 },
        { kind: 'B', typeId: 1 },
      ],
    };
  }
  const p = pp as Json;
  switch (p['type']) {
    case 'RobertaProcessing': {
      const cls = tokenPair(p['cls'], 'cls');
      const sep = tokenPair(p['sep'], 'sep');
      const s = (ids: number[]): TemplatePiece => ({ kind: 'special', ids, typeId: 0 });
      return {
        single: [s([cls]), { kind: 'A', typeId: 0 }, s([sep])],
        pair: [s([cls]), { kind: 'A', typeId: 0 }, s([sep, sep]), { kind: 'B', typeId: 0 }, s([sep])],
      };
    }
    case 'BertProcessing': {
      const cls = tokenPair(p['cls'], 'cls');
      const sep = tokenPair(p['sep'], 'sep');
      return {
        single: [
          { kind: 'special', ids: [cls], typeId: 0 },
          { kind: 'A', typeId: 0 },
          { kind: 'special', ids: [sep], typeId: 0 },
        ],
        pair: [
          { kind: 'special', ids: [cls], typeId: 0 },
          { kind: 'A', typeId: 0 },
          { kind: 'special', ids: [sep], typeId: 0 },
          { kind: 'B', typeId: 1 },
          { kind: 'special', ids: [sep], typeId: 1 },
        ],
      };
    }
    case 'TemplateProcessing':
      return fromTemplateProcessing(p);
    case 'Sequence': {
      // e.g. [ByteLevel, TemplateProcessing]: the one that adds tokens decides.
      const inner = ((p['processors'] ?? []) as Json[]).filter((q) => q['type'] !== 'ByteLevel');
      return templatesFromPostProcessor(inner.at(-1) ?? null);
    }
    case 'ByteLevel':
      return templatesFromPostProcessor(null);
    default:
      throw new Error(`tokenizer.json post_processor type "${String(p['type'])}" is not supported`);
  }
}
