// The search space: one distribution per config key, some only active when another key has a given value.
import type { Random } from './random.js';

export type ParamValue = number | string | boolean;

export type Distribution =
  | { type: 'uniform'; low: number; high: number }
  | { type: 'log_uniform'; low: number; high: number }
  | { type: 'int'; low: number; high: number; log: boolean }
  | { type: 'categorical'; values: ParamValue[] };

export interface ParamSpec {
  /** The dotted config key, e.g. training.lr. */
  key: string;
  distribution: Distribution;
  /** Active only when each of these keys has the given value (conditional parameters). */
  when: Record<string, ParamValue>;
}

export type Params = Record<string, ParamValue>;

/** Whether a parameter applies given the values chosen so far (its conditions refer to earlier keys). */
export function isActive(spec: ParamSpec, chosen: Params): boolean {
  return Object.entries(spec.when).every(([k, v]) => chosen[k] === v);
}

/** Numeric distributions live in an internal space where they are uniform: log for log scales. */
export function toInternal(d: Distribution, value: ParamValue): number {
  if (d.type === 'categorical') return d.values.indexOf(value);
  const v = value as number;
  return d.type === 'log_uniform' || (d.type === 'int' && d.log) ? Math.log(v) : v;
}

export function fromInternal(d: Distribution, x: number): ParamValue {
  switch (d.type) {
    case 'categorical':
      return d.values[Math.min(d.values.length - 1, Math.max(0, Math.round(x)))]!;
    case 'uniform':
      return clamp(x, d.low, d.high);
    case 'log_uniform':
      return clamp(Math.exp(x), d.low, d.high);
    case 'int':
      return clamp(Math.round(d.log ? Math.exp(x) : x), d.low, d.high);
  }
}

/** The internal bounds of a numeric distribution (int widened by half a step so its ends are as likely). */
export function internalBounds(d: Exclude<Distribution, { type: 'categorical' }>): [number, number] {
  if (d.type === 'uniform') return [d.low, d.high];
  if (d.type === 'log_uniform') return [Math.log(d.low), Math.log(d.high)];
  return d.log ? [Math.log(d.low - 0.5 + 1e-9), Math.log(d.high + 0.5)] : [d.low - 0.5, d.high + 0.5];
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

export function sampleUniform(d: Distribution, random: Random): ParamValue {
  if (d.type === 'categorical') return d.values[Math.floor(random() * d.values.length)]!;
  const [lo, hi] = internalBounds(d);
  return fromInternal(d, lo + random() * (hi - lo));
}

/** Random search: every active key drawn from its distribution, in the space's order. */
export function sampleRandom(space: readonly ParamSpec[], random: Random): Params {
  const params: Params = {};
  for (const spec of space)
    if (isActive(spec, params)) params[spec.key] = sampleUniform(spec.distribution, random);
  return params;
}

/** Whether a value lies in its distribution (for tests and for checking stored trials). */
export function contains(d: Distribution, value: ParamValue): boolean {
  if (d.type === 'categorical') return d.values.includes(value);
  if (typeof value !== 'number') return false;
  if (d.type === 'int' && !Number.isInteger(value)) return false;
  return value >= d.low && value <= d.high;
}
