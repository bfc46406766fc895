// Stopping hopeless trials early from their intermediate validation scores. Scores here are oriented so
// that larger is better; a curve is a trial's (step, score) reports in step order.

export type PrunerSpec =
  | { type: 'none' }
  /** Stop when the best score so far is below the median of other trials' scores at the same step. */
  | { type: 'median'; startupTrials: number; warmupSteps: number }
  /**
   * Asynchronous successive halving: rungs at min_step x factor^k; at each rung a trial goes on only when it
   * is in the top 1/factor of the scores reached at that rung so far.
   */
  | { type: 'asha'; minStep: number; reductionFactor: number };

export type Curve = ReadonlyArray<{ step: number; score: number }>;

export interface PruneDecision {
  prune: boolean;
  why?: string;
}

const KEEP: PruneDecision = { prune: false };

/** The score of a curve at a step: its report at that step, or none. */
const at = (curve: Curve, step: number) => curve.find((p) => p.step === step)?.score;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Whether the trial with `curve` (its newest report last) should stop, given the curves of the other trials
 * (finished, pruned or running) and how many trials finished.
 */
export function shouldPrune(
  pruner: PrunerSpec,
  curve: Curve,
  others: readonly Curve[],
  finishedTrials: number,
): PruneDecision {
  const last = curve[curve.length - 1];
  if (!last || !Number.isFinite(last.score)) return KEEP;
  switch (pruner.type) {
    case 'none':
      return KEEP;
    case 'median': {
      if (finishedTrials < pruner.startupTrials || last.step <= pruner.warmupSteps) return KEEP;
      const peers = others
        .map((c) => at(c, last.step))
        .filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (peers.length === 0) return KEEP;
      const best = Math.max(...curve.map((p) => p.score));
      const m = median(peers);
      return best < m
        ? {
            prune: true,
            why: `best score ${best.toFixed(4)} below the median ${m.toFixed(4)} at step ${last.step}`,
          }
        : KEEP;
    }
    case 'asha': {
      const rung = rungOf(pruner, last.step);
      if (rung < 0) return KEEP;
      const rungStep = pruner.minStep * pruner.reductionFactor ** rung;
      // Decide once per rung: at the first report that reaches it.
      const earlier = curve.slice(0, -1).some((p) => p.step >= rungStep);
      if (earlier) return KEEP;
      const peers = others
        .map((c) => c.find((p) => p.step >= rungStep)?.score)
        .filter((v): v is number => v !== undefined && Number.isFinite(v));
      const all = [...peers, last.score].sort((a, b) => b - a);
      const keep = Math.max(1, Math.floor(all.length / pruner.reductionFactor));
      const threshold = all[keep - 1]!;
      return last.score < threshold
        ? {
            prune: true,
            why: `score ${last.score.toFixed(4)} not in the top ${keep} of ${all.length} at rung ${rung} (step ${rungStep})`,
          }
        : KEEP;
    }
  }
}

/** The highest rung a step has reached, or -1 below the first. */
export function rungOf(pruner: { minStep: number; reductionFactor: number }, step: number): number {
  if (step < pruner.minStep) return -1;
  let rung = 0;
  while (pruner.minStep * pruner.reductionFactor ** (rung + 1) <= step) rung++;
  return rung;
}
