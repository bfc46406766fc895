// SIGINT/SIGTERM during training: the first asks the loop to stop after the current step (it then writes a
// checkpoint and returns); a second one calls `onSecond` at once. Checkpoints are written into temporary folders
// and renamed when complete, so leaving at any moment never corrupts the last good one.

export class StopRequest {
  private signal: NodeJS.Signals | null = null;
  private looping = false;
  private readonly handler = (signal: NodeJS.Signals) => {
    // Before the first step there is nothing to save (config and tokenizer are written whole or not at all),
    // so a signal during start-up (data, tokenizer training, the baseline validation) stops at once.
    if (this.signal !== null || !this.looping) {
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

  /** The training loop has begun: from now the first signal lets the current step finish. */
  enterLoop(): void {
    this.looping = true;
  }

  /** Whether the training loop has begun. */
  get inLoop(): boolean {
    return this.looping;
  }

  install(): this {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
    return this;
  }

  uninstall(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}
