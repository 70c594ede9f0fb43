/**
 * Worker pool options: defaults and validation (zod), at the boundary.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import type { WorkerOptions } from './worker-options.js';

/** Auto-scaling settings of a `WorkerPool`. */
export interface AutoScaleOptions {
  /** Fewest workers. At least 1. */
  min: number;
  /** Most workers. */
  max: number;
  /** Add a worker when the backlog (waiting jobs, plus scheduled jobs that fell due) exceeds this. */
  scaleUpAbove: number;
  /** Retire a worker when the backlog is below this. At most `scaleUpAbove`. */
  scaleDownBelow: number;
  /** How often the backlog is measured. Default 5000 ms. */
  checkIntervalMs?: number;
  /** Workers added or retired per check. Default 1. */
  step?: number;
}

/** Options of `WorkerPool`: every {@link WorkerOptions} field applies to each worker. */
export interface WorkerPoolOptions extends Omit<WorkerOptions, 'autorun'> {
  /**
   * Workers started by `WorkerPool.start`. Default 1, or `autoScale.min` with auto-scaling
   * (then it must lie between `min` and `max`). When `workerId` is set, workers are named
   * `<workerId>-1`, `<workerId>-2`, ….
   */
  size?: number;
  /** Grow and shrink the pool with the backlog. */
  autoScale?: AutoScaleOptions;
}

const count = z.number().int().nonnegative();
const autoScaleSchema = z
  .object({
    min: z.number().int().min(1).max(1000),
    max: z.number().int().min(1).max(1000),
    scaleUpAbove: count,
    scaleDownBelow: count,
    checkIntervalMs: z.number().int().positive().default(5000),
    step: z.number().int().min(1).max(1000).default(1),
  })
  .refine((a) => a.max >= a.min, { message: 'must be at least min', path: ['max'] })
  .refine((a) => a.scaleDownBelow <= a.scaleUpAbove, {
    message: 'must not exceed scaleUpAbove (the pool would flap)',
    path: ['scaleDownBelow'],
  });

/** Validated auto-scaling settings, defaults applied. */
export type ResolvedAutoScale = z.infer<typeof autoScaleSchema>;

/** Validates pool options (worker options are validated by each Worker); the error names the field. */
export function resolvePoolOptions(options: WorkerPoolOptions): {
  size: number;
  autoScale?: ResolvedAutoScale;
} {
  let autoScale: ResolvedAutoScale | undefined;
  if (options.autoScale !== undefined) {
    const parsed = autoScaleSchema.safeParse(options.autoScale);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.join('.');
      throw new ValidationError(path ? `autoScale.${path}` : 'autoScale', issue?.message ?? 'invalid');
    }
    autoScale = parsed.data;
  }
  const size = options.size ?? autoScale?.min ?? 1;
  if (!Number.isInteger(size) || size < 1 || size > 1000) {
    throw new ValidationError('size', `must be an integer between 1 and 1000, got ${String(size)}`);
  }
  if (autoScale && (size < autoScale.min || size > autoScale.max)) {
    throw new ValidationError('size', `must lie between autoScale.min and autoScale.max, got ${size}`);
  }
  return autoScale ? { size, autoScale } : { size };
}
