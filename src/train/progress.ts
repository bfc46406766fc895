// The progress line: step, bar, loss, throughput and ETA; redrawn in place on a terminal, else a line per update.

export interface ProgressState {
  step: number;
  total: number;
  loss: number;
  accuracy: number;
  tokensPerSecond: number;
  /** Seconds per step, smoothed. */
  secondsPerStep: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function formatProgress(p: ProgressState, width = 24): string {
  const fraction = p.total > 0 ? Math.min(1, p.step / p.total) : 0;
  const filled = Math.round(fraction * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const eta = formatDuration((p.total - p.step) * p.secondsPerStep);
  return (
    `step ${p.step}/${p.total} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
    `loss ${p.loss.toFixed(4)} acc ${p.accuracy.toFixed(3)} ${Math.round(p.tokensPerSecond)} tok/s ETA ${eta}`
  );
}

export class ProgressBar {
  private lastLength = 0;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get interactive(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(p: ProgressState): void {
    const line = formatProgress(p);
    if (this.interactive) {
      this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.lastLength - line.length))}`);
      this.lastLength = line.length;
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Ends the in-place line so that other output starts on a fresh one. */
  break(): void {
    if (this.interactive && this.lastLength > 0) this.stream.write('\n');
    this.lastLength = 0;
  }
}
