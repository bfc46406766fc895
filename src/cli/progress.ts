// Progress of a long step (walking, parsing, embedding, building faiss) on stderr: on a terminal one line
// redrawn in place with the count, rate and ETA; elsewhere ('lines') a plain line every few seconds and at
// the end; or nothing ('off').

export type ProgressMode = 'tty' | 'lines' | 'off';

export interface ProgressStep {
  /** `done` of `total` (total unknown: undefined); drawn at most every 100 ms (5 s in lines mode). */
  update(done: number, total?: number): void;
  /** The final line, with the count and the time the step took. */
  finish(summary?: string): void;
}

export interface Writer {
  write(text: string): unknown;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60
    ? `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${m % 60}m`;
}

/** "parsing 1200/5000 files  340/s  ETA 11s": what one update of a step shows. */
export function progressLine(
  name: string,
  unit: string,
  done: number,
  total: number | undefined,
  seconds: number,
): string {
  if (total === undefined && done === 0) return `${name}…`; // a step without a count (building faiss, saving)
  const rate = seconds > 0 ? done / seconds : 0;
  const count = total === undefined ? `${done} ${unit}` : `${done}/${total} ${unit}`;
  const eta =
    total !== undefined && rate > 0 && done < total ? `  ETA ${duration((total - done) / rate)}` : '';
  return `${name} ${count}  ${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)}/s${eta}`;
}

export function progressStep(
  mode: ProgressMode,
  name: string,
  unit: string,
  out: Writer = process.stderr,
  now: () => number = () => performance.now(),
): ProgressStep {
  const started = now();
  // The first line waits one interval too: a rate over the first milliseconds means nothing.
  let last = started;
  let state = { done: 0, total: undefined as number | undefined };
  const interval = mode === 'tty' ? 100 : 5000;
  const draw = (line: string, end: boolean) => {
    if (mode === 'tty') out.write(`\r\x1b[K${line}${end ? '\n' : ''}`);
    else out.write(`${line}\n`);
  };
  return {
    update(done, total) {
      state = { done, total };
      if (mode === 'off') return;
      const t = now();
      if (t - last < interval) return;
      last = t;
      draw(progressLine(name, unit, done, total, (t - started) / 1000), false);
    },
    finish(summary) {
      if (mode === 'off') return;
      const seconds = (now() - started) / 1000;
      const count = state.done > 0 || state.total !== undefined ? ` ${state.done} ${unit}` : '';
      draw(summary ?? `${name}${count} in ${seconds.toFixed(1)} s`, true);
    },
  };
}

/** The mode from --progress / --quiet and whether stderr is a terminal. */
export function progressMode(flags: { progress?: boolean; quiet?: boolean }, isTTY: boolean): ProgressMode {
  if (flags.quiet) return 'off';
  if (isTTY) return 'tty';
  return flags.progress ? 'lines' : 'off';
}
