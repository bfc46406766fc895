// The safetensors format in TypeScript: an 8-byte little-endian header length, a JSON header
// ({name: {dtype, shape, data_offsets}, "__metadata__": {…}}), then the tensors' little-endian bytes.
// The addon has its own reader and writer (native/safetensors.cc); this one serves tests, tools and checks.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** F16 and BF16 stay as their raw 16-bit patterns (Uint16Array); use toFloat64 for their values. */
export type TensorData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsContent {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

function view(dtype: SafetensorsDtype, buffer: ArrayBuffer): TensorData {
  switch (dtype) {
    case 'F64':
      return new Float64Array(buffer);
    case 'F32':
      return new Float32Array(buffer);
    case 'F16':
    case 'BF16':
      return new Uint16Array(buffer);
    case 'I64':
      return new BigInt64Array(buffer);
    case 'I32':
      return new Int32Array(buffer);
    case 'I16':
      return new Int16Array(buffer);
    case 'I8':
      return new Int8Array(buffer);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buffer);
  }
}

/** The dtype a typed array is written as (Uint16Array is ambiguous: pass the dtype explicitly). */
export function dtypeOf(data: TensorData): SafetensorsDtype {
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8';
  throw new TypeError('a Uint16Array tensor needs an explicit dtype (F16 or BF16)');
}

/** Parses the bytes of a safetensors file; `source` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsContent {
  if (bytes.length < 8) throw new Error(`${source}: not a safetensors file (shorter than 8 bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  if (headerLen > bytes.length - 8) {
    throw new Error(
      `${source}: not a safetensors file (header length ${headerLen} beyond ${bytes.length} bytes)`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw new Error(`${source}: the safetensors header is not JSON (${(error as Error).message})`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, SafetensorsTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = entry as {
      dtype: SafetensorsDtype;
      shape: number[];
      data_offsets: [number, number];
    };
    const size = BYTES[dtype];
    if (size === undefined) throw new Error(`${source}: tensor '${name}' has an unsupported dtype ${dtype}`);
    const count = shape.reduce((a, b) => a * b, 1);
    const [begin, end] = offsets;
    if (end < begin || end > dataLen || end - begin !== count * size) {
      throw new Error(
        `${source}: tensor '${name}' has data_offsets [${begin}, ${end}] that do not fit its shape ` +
          `[${shape.join(', ')}] or the file`,
      );
    }
    // A copy (new Uint8Array copies even from a Buffer), so the typed array is aligned whatever the offset.
    const copy = new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { dtype, shape: [...shape], data: view(dtype, copy.buffer) });
  }
  return { tensors, metadata };
}

export function readSafetensors(path: string): SafetensorsContent {
  return parseSafetensors(readFileSync(path), path);
}

export interface TensorToWrite {
  data: TensorData;
  shape: number[];
  /** Needed only for Uint16Array (F16 or BF16) data. */
  dtype?: SafetensorsDtype;
}

/** The bytes of a safetensors file; tensors are written in the order given, data 8-byte aligned. */
export function encodeSafetensors(
  tensors: Iterable<[string, TensorToWrite]>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const dtype = t.dtype ?? dtypeOf(t.data);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new RangeError(
        `tensor '${name}': shape [${t.shape.join(', ')}] needs ${count} values, got ${t.data.length}`,
      );
    }
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Writes to `path`.tmp, then renames it into place. */
export function writeSafetensors(
  path: string,
  tensors: Iterable<[string, TensorToWrite]>,
  metadata?: Record<string, string>,
): void {
  writeFileSync(`${path}.tmp`, encodeSafetensors(tensors, metadata));
  renameSync(`${path}.tmp`, path);
}

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** The values of any tensor as float64 (F16/BF16 decoded, integers converted). */
export function toFloat64(t: SafetensorsTensor): Float64Array {
  const out = new Float64Array(t.data.length);
  if (t.dtype === 'BF16') {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    t.data.forEach((v, i) => {
      u[0] = Number(v) << 16;
      out[i] = f[0]!;
    });
  } else if (t.dtype === 'F16') {
    t.data.forEach((v, i) => {
      out[i] = halfToNumber(Number(v));
    });
  } else {
    t.data.forEach((v, i) => {
      out[i] = Number(v);
    });
  }
  return out;
}
