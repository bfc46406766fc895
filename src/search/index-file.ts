// The on-disk form of a CodeIndex: one file, written to a temporary name and renamed into place.
//   "SECORAIX" | u32 header length | header JSON | u64 faiss length | faiss bytes | f32 vectors (slots × dim)
//   | BM25 bytes (header.bm25.bytes long)
// The faiss bytes are empty for a flat index (made from the vectors at load, as fast as reading them). BM25 is
// stored because tokenizing every snippet again costs seconds at 50k functions (bench/RESULTS.md).
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { endianness } from 'node:os';
import type { FaissSearchParams } from './faiss-search-params.js';
import type { Snippet } from './snippet.js';

const MAGIC = 'SECORAIX';
export const INDEX_FORMAT_VERSION = 2;

export interface IndexHeader {
  version: number;
  /** The embedder's modelId: searching with another model is refused. */
  modelId: string;
  dim: number;
  /** Where the model was loaded from when the index was built (a folder), if known. */
  modelSource?: string;
  /** The faiss factory string the index was built with. */
  factory: string;
  searchParams: FaissSearchParams;
  /** One entry per faiss id; null for a removed snippet whose vector is still in the faiss index. */
  slots: (Snippet | null)[];
  /** Content hash (sha256, hex) of each indexed file, for incremental re-indexing. */
  fileHashes: Record<string, string>;
  /** Each indexed file's [mtime in ms, size] when hashed: an unchanged stamp skips reading it again. */
  fileStamps?: Record<string, [number, number]>;
  /** The absolute folder the snippets' paths are relative to, when built from a folder. */
  root?: string;
  /** The stored BM25 index: the slot of each of its documents, and its length in bytes at the file's end. */
  bm25: { slots: number[]; bytes: number } | null;
}

export interface IndexFileContents {
  header: IndexHeader;
  faissBytes: Buffer;
  vectors: Float32Array;
  /** BM25 as Bm25Index.toBytes wrote it (empty when header.bm25 is null). */
  bm25Bytes: Buffer;
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE')
    throw new Error('secora index files are little-endian; this machine is big-endian');
}

/** Writes the index file atomically: a temporary file in the same folder, fsync, rename. */
export function writeIndexFile(file: string, contents: IndexFileContents): void {
  assertLittleEndian();
  const header = Buffer.from(JSON.stringify(contents.header), 'utf8');
  const lengths = Buffer.alloc(4);
  lengths.writeUInt32LE(header.length);
  const faissLength = Buffer.alloc(8);
  faissLength.writeBigUInt64LE(BigInt(contents.faissBytes.length));
  const v = contents.vectors;
  const parts = [
    Buffer.from(MAGIC, 'latin1'),
    lengths,
    header,
    faissLength,
    contents.faissBytes,
    Buffer.from(v.buffer, v.byteOffset, v.byteLength),
    contents.bm25Bytes,
  ];
  const temp = `${file}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    for (const part of parts) writeSync(fd, part);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, file);
}

function failure(file: string) {
  return (why: string): never => {
    throw new Error(`${file}: not a secora index file (${why})`);
  };
}

/** The header from its bytes (`head` starts at the file's start and holds at least the whole header). */
function parseHeader(file: string, head: Buffer, fileLength: number): { header: IndexHeader; end: number } {
  const fail = failure(file);
  if (head.length < 12 || head.subarray(0, 8).toString('latin1') !== MAGIC) fail('wrong magic bytes');
  const headerLength = head.readUInt32LE(8);
  if (12 + headerLength + 8 > fileLength) fail('truncated header');
  let header: IndexHeader;
  try {
    header = JSON.parse(head.subarray(12, 12 + headerLength).toString('utf8')) as IndexHeader;
  } catch (error) {
    return fail(`header is not JSON: ${(error as Error).message}`);
  }
  if (header.version !== INDEX_FORMAT_VERSION) {
    fail(`format version ${header.version}, this secora reads version ${INDEX_FORMAT_VERSION}`);
  }
  return { header, end: 12 + headerLength };
}

/** Only the header (model, kind, slots): the vectors and the faiss bytes are not read. */
export function readIndexHeader(file: string): IndexHeader {
  const fd = openSync(file, 'r');
  try {
    const start = Buffer.alloc(12);
    const got = readSync(fd, start, 0, 12, 0);
    const length =
      got === 12 && start.subarray(0, 8).toString('latin1') === MAGIC ? start.readUInt32LE(8) : 0;
    const head = Buffer.alloc(12 + length);
    const read = readSync(fd, head, 0, head.length, 0);
    return parseHeader(file, head.subarray(0, read), read + 8).header;
  } finally {
    closeSync(fd);
  }
}

/** Reads and checks an index file: magic bytes, format version, and that the sizes add up. */
export function readIndexFile(file: string): IndexFileContents {
  assertLittleEndian();
  const buf = readFileSync(file);
  const fail = failure(file);
  const { header, end } = parseHeader(file, buf, buf.length);
  let at = end;
  const faissLength = Number(buf.readBigUInt64LE(at));
  at += 8;
  const vectorBytes = header.slots.length * header.dim * 4;
  const bm25Length = header.bm25?.bytes ?? 0;
  const expected = at + faissLength + vectorBytes + bm25Length;
  if (expected !== buf.length) {
    fail(`expected ${expected} bytes for ${header.slots.length} vectors, found ${buf.length}`);
  }
  const faissBytes = buf.subarray(at, at + faissLength);
  at += faissLength;
  // Copy the vectors out: the file buffer's offset need not be 4-byte aligned.
  const vectors = new Float32Array(header.slots.length * header.dim);
  Buffer.from(vectors.buffer).set(buf.subarray(at, at + vectorBytes));
  const bm25Bytes = buf.subarray(at + vectorBytes);
  return { header, faissBytes, vectors, bm25Bytes };
}
