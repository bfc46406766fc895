// The original secora's truncation for "doc <sep> code" in one sequence: grow the two prefixes one token each in
// turn (doc first) until the budget is spent; a part that runs out leaves the rest of the budget to the other.

/** Kept lengths [a, b] of two parts of lengths lenA, lenB under a total budget; a + b = min(budget, lenA + lenB). */
export function fairTruncate(lenA: number, lenB: number, budget: number): [number, number] {
  if (budget < 0 || !Number.isInteger(budget))
    throw new RangeError(`budget must be a whole number >= 0, got ${budget}`);
  if (lenA + lenB <= budget) return [lenA, lenB];
  // In turns, A gets ceil(budget / 2) when both are long; B's shortfall goes to A.
  const a = Math.min(lenA, Math.max(Math.ceil(budget / 2), budget - lenB));
  return [a, Math.min(lenB, budget - a)];
}
