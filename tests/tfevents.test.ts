// Reads the events file back with a decoder written here, independent of the writer: a bitwise CRC-32C and a
// protobuf walker that knows only Event's and Summary's field numbers.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsLog } from '../src/train/metrics-log.js';

function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return ~crc >>> 0;
}
const unmask = (masked: number) => {
  const rot = (masked - 0xa282ead8) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
};

type Field = { field: number; wire: number; value: bigint | Uint8Array | number };
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 1) {
      out.push({ field, wire, value: view.getFloat64(i, true) });
      i += 8;
    } else if (wire === 5) {
      out.push({ field, wire, value: view.getFloat32(i, true) });
      i += 4;
    } else if (wire === 2) {
      const n = Number(varint());
      out.push({ field, wire, value: buf.subarray(i, i + n) });
      i += n;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

function readEvents(path: string) {
  const data = new Uint8Array(readFileSync(path));
  const view = new DataView(data.buffer);
  const events: { step: number; wallTime: number; fileVersion?: string; scalars: Record<string, number> }[] =
    [];
  let i = 0;
  while (i < data.length) {
    const lengthBytes = data.subarray(i, i + 8);
    const length = Number(view.getBigUint64(i, true));
    expect(unmask(view.getUint32(i + 8, true))).toBe(crc32cBitwise(lengthBytes));
    const body = data.subarray(i + 12, i + 12 + length);
    expect(unmask(view.getUint32(i + 12 + length, true))).toBe(crc32cBitwise(body));
    i += 16 + length;
    const event = {
      step: 0,
      wallTime: 0,
      scalars: {} as Record<string, number>,
      fileVersion: undefined as string | undefined,
    };
    for (const f of fields(body)) {
      if (f.field === 1) event.wallTime = f.value as number;
      if (f.field === 2) event.step = Number(f.value);
      if (f.field === 3) event.fileVersion = new TextDecoder().decode(f.value as Uint8Array);
      if (f.field === 5) {
        for (const v of fields(f.value as Uint8Array).filter((x) => x.field === 1)) {
          const parts = fields(v.value as Uint8Array);
          const tag = new TextDecoder().decode(parts.find((p) => p.field === 1)!.value as Uint8Array);
          event.scalars[tag] = parts.find((p) => p.field === 2)!.value as number;
        }
      }
    }
    events.push(event);
  }
  return events;
}

describe('TensorBoard events and metrics.jsonl', () => {
  it('writes scalars that an independent decoder reads back with valid CRCs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secora-events-'));
    const log = new MetricsLog(dir);
    log.log(1, { 'train/loss': 2.5, 'train/lr': 1e-4 });
    log.log(2, { 'train/loss': 2.25, 'val/mrr/python': 0.375, 'bad/nan': Number.NaN });
    log.close();
    const file = readdirSync(dir).find((f) => f.startsWith('events.out.tfevents.'))!;
    const events = readEvents(join(dir, file));
    expect(events[0]!.fileVersion).toBe('brain.Event:2');
    expect(events.slice(1).map((e) => [e.step, e.scalars])).toEqual([
      [1, { 'train/loss': 2.5, 'train/lr': Math.fround(1e-4) }],
      [2, { 'train/loss': 2.25, 'val/mrr/python': 0.375 }],
    ]);
    expect(events[1]!.wallTime).toBeGreaterThan(1.7e9);
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.step, l['train/loss']])).toEqual([
      [1, 2.5],
      [2, 2.25],
    ]);
  });

  it('has a CRC that catches a flipped bit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secora-events-'));
    const log = new MetricsLog(dir);
    log.log(7, { x: 1 });
    log.close();
    const path = join(dir, readdirSync(dir).find((f) => f.startsWith('events.'))!);
    const bytes = readFileSync(path);
    bytes[bytes.length - 6]! ^= 0x01;
    const corrupt = join(dir, 'corrupt');
    writeFileSync(corrupt, bytes);
    expect(() => readEvents(corrupt)).toThrow();
  });
});
