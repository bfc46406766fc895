// Request counts and latency percentiles for /stats: the last `capacity` latencies in a ring, so memory is
// bounded however long the server runs.

/** The p-th percentiles (nearest rank) of `values`; NaN-free, empty input gives zeros. Pure. */
export function percentiles(values: readonly number[], ps: readonly number[]): number[] {
  if (values.length === 0) return ps.map(() => 0);
  const sorted = [...values].sort((a, b) => a - b);
  return ps.map(
    (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!,
  );
}

export class LatencyStats {
  private readonly ring: number[] = [];
  private next = 0;
  requests = 0;
  errors = 0;
  readonly byRoute = new Map<string, number>();

  constructor(private readonly capacity = 10_000) {}

  record(route: string, ms: number, status: number): void {
    this.requests++;
    if (status >= 400) this.errors++;
    this.byRoute.set(route, (this.byRoute.get(route) ?? 0) + 1);
    if (this.ring.length < this.capacity) this.ring.push(ms);
    else this.ring[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
  }

  /** p50, p95 and p99 in ms over the recent window. */
  latency(): { p50: number; p95: number; p99: number; window: number } {
    const [p50, p95, p99] = percentiles(this.ring, [50, 95, 99]) as [number, number, number];
    return { p50, p95, p99, window: this.ring.length };
  }
}
