// Learning-rate schedules: pure functions of the step, so a resumed run gets exactly the same rates.

export interface ScheduleConfig {
  schedule: 'constant' | 'linear' | 'cosine';
  lr: number;
  warmup_steps: number;
  /** Floor of the decay as a fraction of lr. */
  min_lr_ratio: number;
}

/**
 * The learning rate of optimizer step `step` (0-based) of `totalSteps`: linear warmup from lr/warmup to lr over
 * `warmup_steps` steps, then constant, linear decay or half-cosine decay to lr * min_lr_ratio at the last step.
 */
export function learningRate(step: number, totalSteps: number, c: ScheduleConfig): number {
  if (!Number.isInteger(step) || step < 0)
    throw new RangeError(`step must be a non-negative integer, got ${step}`);
  if (!Number.isInteger(totalSteps) || totalSteps < 1)
    throw new RangeError(`totalSteps must be >= 1, got ${totalSteps}`);
  if (step < c.warmup_steps) return (c.lr * (step + 1)) / c.warmup_steps;
  if (c.schedule === 'constant') return c.lr;
  const floor = c.lr * c.min_lr_ratio;
  const span = totalSteps - 1 - c.warmup_steps;
  const progress = span <= 0 ? 1 : Math.min(1, (step - c.warmup_steps) / span);
  const factor = c.schedule === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
  return floor + (c.lr - floor) * factor;
}
