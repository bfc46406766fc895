// Every scalar of a run goes to two places: TensorBoard's events file and metrics.jsonl (one JSON object a line).
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventFileWriter } from './tfevents.js';

export class MetricsLog {
  private readonly jsonlPath: string;
  private readonly events: EventFileWriter;

  constructor(runDir: string) {
    this.jsonlPath = join(runDir, 'metrics.jsonl');
    this.events = new EventFileWriter(runDir);
  }

  log(step: number, values: Record<string, number>): void {
    const time = Date.now() / 1000;
    this.events.scalars(step, values, time);
    appendFileSync(this.jsonlPath, `${JSON.stringify({ step, time, ...values })}\n`);
  }

  close(): void {
    this.events.close();
  }
}
