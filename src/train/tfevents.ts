// TensorBoard event files, written here: TFRecord framing (length, masked CRC-32C of the length, data,
// masked CRC-32C of the data) around Event protobufs that carry scalar summaries.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), as TFRecord uses. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord stores CRCs rotated and offset ("masked"). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

export class ProtoWriter {
  private readonly parts: number[] = [];
  varint(value: number | bigint): this {
    let v = BigInt(value);
    if (v < 0n) v += 1n << 64n;
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      this.parts.push(byte);
    } while (v > 0n);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  double(field: number, value: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.tag(field, 1).parts.push(...b);
    return this;
  }
  float(field: number, value: number): this {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.tag(field, 5).parts.push(...b);
    return this;
  }
  int64(field: number, value: number): this {
    return this.tag(field, 0).varint(value);
  }
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2)
      .varint(value.length)
      .parts.push(...value);
    return this;
  }
  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** One Event protobuf: wall_time = 1, step = 2, file_version = 3, summary = 5 (Summary.value = 1: tag = 1, simple_value = 2). */
export function encodeEvent(
  wallTime: number,
  step: number,
  body: { fileVersion: string } | { scalars: Record<string, number> },
): Uint8Array {
  const event = new ProtoWriter().double(1, wallTime).int64(2, step);
  if ('fileVersion' in body) return event.string(3, body.fileVersion).finish();
  const summary = new ProtoWriter();
  for (const [tag, value] of Object.entries(body.scalars)) {
    summary.bytes(1, new ProtoWriter().string(1, tag).float(2, value).finish());
  }
  return event.bytes(5, summary.finish()).finish();
}

/** Frames one record as TFRecord does. */
export function frameRecord(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, data, footer]);
}

/** Appends scalar summaries to a new events file in `dir`, as TensorBoard's own writers name them. */
export class EventFileWriter {
  readonly path: string;
  private fd: number | null;

  constructor(dir: string, now = Date.now()) {
    this.path = join(dir, `events.out.tfevents.${Math.floor(now / 1000)}.${hostname()}.${process.pid}.0`);
    this.fd = openSync(this.path, 'a');
    this.write(frameRecord(encodeEvent(now / 1000, 0, { fileVersion: 'brain.Event:2' })));
  }

  private write(record: Buffer): void {
    if (this.fd === null) throw new Error(`events file ${this.path} is closed`);
    writeSync(this.fd, record);
  }

  scalars(step: number, values: Record<string, number>, wallTime = Date.now() / 1000): void {
    const finite = Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
    if (Object.keys(finite).length > 0)
      this.write(frameRecord(encodeEvent(wallTime, step, { scalars: finite })));
  }

  flush(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}
