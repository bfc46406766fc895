// Which files an incremental `secora index` must re-embed: a pure comparison of content hashes.

export interface ReindexPlan {
  /** Same hash as when indexed: their vectors are kept. */
  unchanged: string[];
  /** Indexed before with another hash: removed and re-embedded. */
  changed: string[];
  /** Not indexed before. */
  added: string[];
  /** Indexed before, gone now (deleted, or no functions left). */
  removed: string[];
}

export function planReindex(
  indexed: ReadonlyMap<string, string>,
  current: ReadonlyMap<string, string>,
): ReindexPlan {
  const plan: ReindexPlan = { unchanged: [], changed: [], added: [], removed: [] };
  for (const [path, hash] of current) {
    const before = indexed.get(path);
    if (before === undefined) plan.added.push(path);
    else if (before === hash) plan.unchanged.push(path);
    else plan.changed.push(path);
  }
  for (const path of indexed.keys()) if (!current.has(path)) plan.removed.push(path);
  return plan;
}
