// The shape of a checkpoint's trainer_state.json, checked in full before a resume trusts it: a state with a
// step that is not a number or without the batcher's position would resume into nonsense without an error.

type Check = (value: unknown, key: string) => string | null;

const wholeNumber: Check = (v, key) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
    ? null
    : `${key} must be a whole number >= 0, got ${JSON.stringify(v)}`;
const finite: Check = (v, key) =>
  typeof v === 'number' && Number.isFinite(v) ? null : `${key} must be a number, got ${JSON.stringify(v)}`;
const bool: Check = (v, key) => (typeof v === 'boolean' ? null : `${key} must be true or false`);
const nullable =
  (check: Check): Check =>
  (v, key) =>
    v === null ? null : check(v, key);
const base64: Check = (v, key) =>
  typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0
    ? null
    : `${key} must be base64 text`;
const object =
  (fields: Record<string, Check>): Check =>
  (v, key) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${key} must be an object`;
    for (const [name, check] of Object.entries(fields)) {
      const problem = check((v as Record<string, unknown>)[name], `${key}.${name}`);
      if (problem) return problem;
    }
    return null;
  };
const anyObject: Check = (v, key) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? null : `${key} must be an object`;

const STATE = object({
  step: wholeNumber,
  totalSteps: wholeNumber,
  batcher: object({
    epoch: wholeNumber,
    batchInEpoch: wholeNumber,
    step: wholeNumber,
    order: object({
      seed: wholeNumber,
      batchSize: wholeNumber,
      worldSize: wholeNumber,
      rank: wholeNumber,
      shuffle: bool,
      shuffleBuffer: wholeNumber,
      bucketPool: wholeNumber,
      maxRecords: nullable(wholeNumber),
    }),
  }),
  rng: base64,
  best: nullable(object({ step: wholeNumber, mrr: finite })),
  tokensSeen: wholeNumber,
  config: anyObject,
});

/** What is wrong with a parsed trainer_state.json (the first problem, naming its key), or null. */
export function trainerStateProblem(value: unknown): string | null {
  const problem = STATE(value, 'state');
  if (problem) return problem;
  const s = value as { step: number; totalSteps: number };
  return s.step > s.totalSteps ? `state.step ${s.step} is past state.totalSteps ${s.totalSteps}` : null;
}
