// SIGINT/SIGTERM during training: the first asks the loop to stop after the current step (it then writes a
// checkpoint and returns); a second one calls `onSecond` at once. Checkpoints are written into temporary folders
// and renamed when complete, so leaving at any moment never corrupts the last good one.

export class StopRequest {
  private signal: NodeJS.Signals | null = null;
  private looping = false;
  private wanted = false;
  private attached = false;
  private readonly handler = (signal: NodeJS.Signals) => {
    if (this.signal !== null) {
      this.onSecond(signal);
      return;
    }
    this.signal = signal;
    this.onFirst(signal);
  };

  constructor(
    private readonly onFirst: (signal: NodeJS.Signals) => void,
    private readonly onSecond: (signal: NodeJS.Signals) => void,
  ) {}

  get requested(): boolean {
    return this.signal !== null;
  }

  get reason(): NodeJS.Signals | null {
    return this.signal;
  }

  /** Asks for a stop without a signal (tests, a maximum time). */
  request(reason: NodeJS.Signals = 'SIGTERM'): void {
    this.signal ??= reason;
  }

  /**
   * The training loop has begun: from now the first signal lets the current step finish. Before it, nothing is
   * worth saving (config and tokenizer are written whole or not at all) and start-up runs long synchronous work
   * (BPE training, scoring the baseline) during which a JavaScript handler could not run: so until here the
   * signals keep their default action and end the process at once.
   */
  enterLoop(): void {
    this.looping = true;
    if (this.wanted) this.attach();
  }

  install(): this {
    this.wanted = true;
    if (this.looping) this.attach();
    return this;
  }

  private attach(): void {
    if (this.attached) return;
    this.attached = true;
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  uninstall(): void {
    this.wanted = false;
    this.attached = false;
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}
