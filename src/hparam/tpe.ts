// The Tree-structured Parzen Estimator (Bergstra et al., 2011), one key at a time: the finished trials are split
// into the best fraction and the rest, a Parzen density is fitted to each, and of candidates drawn from the good
// density the one with the largest ratio good/rest is chosen. Keys whose conditions do not hold in a trial
// are left out of that key's fit, which is what makes it "tree-structured".
import { normal, type Random } from './random.js';
import {
  type Distribution,
  fromInternal,
  internalBounds,
  isActive,
  type ParamSpec,
  type Params,
  sampleRandom,
  sampleUniform,
  toInternal,
} from './space.js';

export interface Observation {
  params: Params;
  /** The score, oriented so that larger is better; pruned trials count as bad whatever their score. */
  score: number;
  pruned: boolean;
}

export interface TpeOptions {
  /** Random suggestions before the model is used. */
  startupTrials: number;
  /** Candidates drawn from the good density per key. */
  candidates: number;
  /** Fraction of the observations called good (at most 25 of them). */
  gamma: number;
}

export const TPE_DEFAULTS: TpeOptions = { startupTrials: 5, candidates: 24, gamma: 0.25 };

export function sampleTpe(
  space: readonly ParamSpec[],
  history: readonly Observation[],
  random: Random,
  options: TpeOptions = TPE_DEFAULTS,
): Params {
  const usable = history.filter((o) => o.pruned || Number.isFinite(o.score));
  if (usable.filter((o) => !o.pruned).length < options.startupTrials) return sampleRandom(space, random);
  const params: Params = {};
  for (const spec of space) {
    if (!isActive(spec, params)) continue;
    const seen = usable.filter((o) => spec.key in o.params);
    const { good, bad } = split(seen, options.gamma);
    params[spec.key] =
      good.length === 0
        ? sampleUniform(spec.distribution, random)
        : suggestOne(
            spec.distribution,
            good.map((o) => o.params[spec.key]!),
            bad.map((o) => o.params[spec.key]!),
            random,
            options.candidates,
          );
  }
  return params;
}

/** Best first; the good part is the top gamma of the finished ones (at least one), pruned ones are bad. */
function split(seen: readonly Observation[], gamma: number) {
  const finished = seen.filter((o) => !o.pruned).sort((a, b) => b.score - a.score);
  const nGood = Math.min(25, Math.ceil(gamma * finished.length));
  return {
    good: finished.slice(0, nGood),
    bad: [...finished.slice(nGood), ...seen.filter((o) => o.pruned)],
  };
}

function suggestOne(
  d: Distribution,
  good: readonly (number | string | boolean)[],
  bad: readonly (number | string | boolean)[],
  random: Random,
  candidates: number,
) {
  if (d.type === 'categorical') {
    const l = categoricalDensity(
      d.values.length,
      good.map((v) => toInternal(d, v)),
    );
    const g = categoricalDensity(
      d.values.length,
      bad.map((v) => toInternal(d, v)),
    );
    let best = 0;
    let bestRatio = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < candidates; c++) {
      const k = drawCategorical(l, random);
      const ratio = Math.log(l[k]!) - Math.log(g[k]!);
      if (ratio > bestRatio) [best, bestRatio] = [k, ratio];
    }
    return d.values[best]!;
  }
  const [lo, hi] = internalBounds(d);
  const l = parzen(
    good.map((v) => toInternal(d, v)),
    lo,
    hi,
  );
  const g = parzen(
    bad.map((v) => toInternal(d, v)),
    lo,
    hi,
  );
  let best = lo;
  let bestRatio = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < candidates; c++) {
    const x = drawParzen(l, lo, hi, random);
    const ratio = Math.log(density(l, lo, hi, x)) - Math.log(density(g, lo, hi, x));
    if (ratio > bestRatio) [best, bestRatio] = [x, ratio];
  }
  return fromInternal(d, best);
}

/** Each value's share with a prior of one count spread over all values, so none is ever impossible. */
function categoricalDensity(k: number, picks: readonly number[]): number[] {
  const counts = new Array<number>(k).fill(1 / k);
  for (const p of picks) counts[p]! += 1;
  const total = counts.reduce((s, c) => s + c, 0);
  return counts.map((c) => c / total);
}

function drawCategorical(p: readonly number[], random: Random): number {
  let u = random();
  for (let i = 0; i < p.length; i++) {
    u -= p[i]!;
    if (u < 0) return i;
  }
  return p.length - 1;
}

interface Parzen {
  mus: number[];
  sigmas: number[];
}

/** Gaussians at the points plus a wide prior at the centre; each width is the larger gap to a neighbour. */
function parzen(points: readonly number[], lo: number, hi: number): Parzen {
  const range = hi - lo;
  const mus = [...points, (lo + hi) / 2].sort((a, b) => a - b);
  const minSigma = range / Math.min(100, 1 + mus.length);
  const sigmas = mus.map((m, i) => {
    const left = m - (i > 0 ? mus[i - 1]! : lo);
    const right = (i < mus.length - 1 ? mus[i + 1]! : hi) - m;
    return Math.min(range, Math.max(minSigma, left, right));
  });
  // The prior keeps its full width whatever its neighbours.
  const prior = mus.indexOf((lo + hi) / 2);
  sigmas[prior] = range;
  return { mus, sigmas };
}

function drawParzen(p: Parzen, lo: number, hi: number, random: Random): number {
  const i = Math.floor(random() * p.mus.length);
  for (let attempt = 0; attempt < 100; attempt++) {
    const x = p.mus[i]! + p.sigmas[i]! * normal(random);
    if (x >= lo && x <= hi) return x;
  }
  return Math.min(hi, Math.max(lo, p.mus[i]!));
}

/** The mixture's density at x, each component truncated to [lo, hi]. */
function density(p: Parzen, lo: number, hi: number, x: number): number {
  let sum = 0;
  for (let i = 0; i < p.mus.length; i++) {
    const mu = p.mus[i]!;
    const s = p.sigmas[i]!;
    const mass = normalCdf((hi - mu) / s) - normalCdf((lo - mu) / s);
    sum += Math.exp(-0.5 * ((x - mu) / s) ** 2) / (s * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
  }
  return Math.max(sum / p.mus.length, 1e-300);
}

function normalCdf(z: number): number {
  return 0.5 * (1 + erf(z / Math.SQRT2));
}

/** Abramowitz and Stegun 7.1.26 (error below 1.5e-7). */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return sign * y;
}
