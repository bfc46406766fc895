// The on-disk form of a CodeIndex: one file, written to a temporary name and renamed into place.
//   "SECORAIX" | u32 format version | u32 section count | per section: u64 length, sha256 (32 bytes)
//   | sha256 of everything before it (the table) | sections: header JSON, faiss bytes, f32 vectors, BM25 bytes
// Every section is checked against its sha256 before anything parses it: faiss reads its bytes without
// checks and a damaged HNSW graph crashes the process, so faiss never sees bytes that fail their check.
// The faiss bytes are empty for a flat index (made from the vectors at load, as fast as reading them). BM25 is
// stored because tokenizing every snippet again costs seconds at 50k functions (bench/RESULTS.md).
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { writeFileAtomic } from '../safe-fs.js';
import type { EmbedText } from './embed-text.js';
import type { FaissSearchParams } from './faiss-search-params.js';
import type { Snippet } from './snippet.js';

const MAGIC = 'SECORAIX';
export const INDEX_FORMAT_VERSION = 3;
const SECTIONS = ['header', 'faiss', 'vectors', 'bm25'] as const;
type Section = (typeof SECTIONS)[number];
const ENTRY = 8 + 32;
const PREFIX = 8 + 4 + 4;
const TABLE_END = PREFIX + SECTIONS.length * ENTRY;
const DATA_START = TABLE_END + 32;

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
  /** What the model embedded of each snippet (src/search/embed-text.ts); absent: 'whole' (older files). */
  embedText?: EmbedText;
  /** The stored BM25 index: the slot of each of its documents, and its length in bytes at the file's end. */
  bm25: { slots: number[]; bytes: number } | null;
  // New optional keys can be added freely: the reader checks only the keys above, the checksums cover all.
}

export interface IndexFileContents {
  header: IndexHeader;
  faissBytes: Buffer;
  vectors: Float32Array;
  /** BM25 as Bm25Index.toBytes wrote it (empty when header.bm25 is null). */
  bm25Bytes: Buffer;
}

/** An index file that cannot be used as it is (damaged, truncated, another format): rebuilding it is the cure. */
export class IndexFileError extends Error {
  override readonly name = 'IndexFileError';
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(`${file}: not a usable secora index file (${why}); rebuild it: secora index <dir> --rebuild`);
  }
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE')
    throw new Error('secora index files are little-endian; this machine is big-endian');
}

const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

/** Writes the index file atomically: a temporary file in the same folder, fsync, rename. */
export function writeIndexFile(file: string, contents: IndexFileContents): void {
  assertLittleEndian();
  const v = contents.vectors;
  const body: Record<Section, Uint8Array> = {
    header: Buffer.from(JSON.stringify(contents.header), 'utf8'),
    faiss: contents.faissBytes,
    vectors: new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
    bm25: contents.bm25Bytes,
  };
  const table = Buffer.alloc(TABLE_END);
  table.write(MAGIC, 0, 'latin1');
  table.writeUInt32LE(INDEX_FORMAT_VERSION, 8);
  table.writeUInt32LE(SECTIONS.length, 12);
  SECTIONS.forEach((name, i) => {
    table.writeBigUInt64LE(BigInt(body[name].byteLength), PREFIX + i * ENTRY);
    sha256(body[name]).copy(table, PREFIX + i * ENTRY + 8);
  });
  const parts = [table, sha256(table), ...SECTIONS.map((name) => body[name])];
  writeFileAtomic(file, parts);
}

interface Layout {
  offset: Record<Section, number>;
  length: Record<Section, number>;
  hash: Record<Section, Buffer>;
}

function readExactly(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** The section table, checked: magic, version, its own hash, and lengths that add up to the file's size. */
function readLayout(file: string, fd: number): Layout {
  const fail = (why: string): never => {
    throw new IndexFileError(file, why);
  };
  const size = fstatSync(fd).size;
  const head = readExactly(fd, DATA_START, 0);
  if (head.length < 12 || head.subarray(0, 8).toString('latin1') !== MAGIC) fail('wrong magic bytes');
  const version = head.readUInt32LE(8);
  if (version !== INDEX_FORMAT_VERSION)
    fail(`format version ${version}, this secora reads version ${INDEX_FORMAT_VERSION}`);
  if (head.length < DATA_START) fail('truncated section table');
  if (
    head.readUInt32LE(12) !== SECTIONS.length ||
    !sha256(head.subarray(0, TABLE_END)).equals(head.subarray(TABLE_END))
  )
    fail('the section table fails its checksum');
  const layout = { offset: {}, length: {}, hash: {} } as Layout;
  let at = DATA_START;
  SECTIONS.forEach((name, i) => {
    const length = head.readBigUInt64LE(PREFIX + i * ENTRY);
    if (length > BigInt(size)) fail(`the ${name} section claims ${length} bytes, the file has ${size}`);
    layout.offset[name] = at;
    layout.length[name] = Number(length);
    layout.hash[name] = head.subarray(PREFIX + i * ENTRY + 8, PREFIX + (i + 1) * ENTRY);
    at += Number(length);
  });
  if (at !== size) fail(`expected ${at} bytes from the section table, found ${size} (truncated?)`);
  return layout;
}

/** One section's bytes, checked against its sha256 before anything parses them. */
function readSection(file: string, fd: number, layout: Layout, name: Section): Buffer {
  const bytes = readExactly(fd, layout.length[name], layout.offset[name]);
  if (bytes.length !== layout.length[name])
    throw new IndexFileError(file, `the ${name} section is truncated`);
  if (!sha256(bytes).equals(layout.hash[name]))
    throw new IndexFileError(file, `the ${name} section fails its checksum: the file is damaged`);
  return bytes;
}

function parseHeader(file: string, bytes: Buffer): IndexHeader {
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new IndexFileError(file, `header is not JSON: ${(error as Error).message}`);
  }
  const h = header as IndexHeader;
  const ok =
    typeof h === 'object' &&
    h !== null &&
    typeof h.modelId === 'string' &&
    Number.isInteger(h.dim) &&
    h.dim > 0 &&
    typeof h.factory === 'string' &&
    Array.isArray(h.slots) &&
    typeof h.fileHashes === 'object' &&
    h.fileHashes !== null;
  if (!ok) throw new IndexFileError(file, 'the header lacks modelId, dim, factory, slots or fileHashes');
  return h;
}

function withFile<T>(file: string, read: (fd: number) => T): T {
  if (statSync(file).isDirectory())
    throw new IndexFileError(file, 'it is a folder; pass the index file (by default <dir>/.secora-index)');
  const fd = openSync(file, 'r');
  try {
    return read(fd);
  } finally {
    closeSync(fd);
  }
}

/** Only the header (model, kind, slots), checked: the vectors and the faiss bytes are not read. */
export function readIndexHeader(file: string): IndexHeader {
  return withFile(file, (fd) => parseHeader(file, readSection(file, fd, readLayout(file, fd), 'header')));
}

/** Checks every section of an index file against its sha256 without parsing any; throws IndexFileError. */
export function checkIndexFile(file: string): void {
  withFile(file, (fd) => {
    const layout = readLayout(file, fd);
    for (const name of SECTIONS) readSection(file, fd, layout, name);
  });
}

/** Reads an index file and checks every section's sha256 and that the sizes agree with the header. */
export function readIndexFile(file: string): IndexFileContents {
  assertLittleEndian();
  return withFile(file, (fd) => {
    const layout = readLayout(file, fd);
    const header = parseHeader(file, readSection(file, fd, layout, 'header'));
    const vectorBytes = header.slots.length * header.dim * 4;
    if (layout.length.vectors !== vectorBytes)
      throw new IndexFileError(
        file,
        `expected ${vectorBytes} bytes of vectors for ${header.slots.length} slots, found ${layout.length.vectors}`,
      );
    if (layout.length.bm25 !== (header.bm25?.bytes ?? 0))
      throw new IndexFileError(file, 'the BM25 section does not have the length the header gives');
    const faissBytes = readSection(file, fd, layout, 'faiss');
    // A fresh buffer is 8-byte aligned, so the vectors can be viewed in place without copying.
    const raw = readSection(file, fd, layout, 'vectors');
    const vectors =
      raw.byteOffset % 4 === 0
        ? new Float32Array(raw.buffer, raw.byteOffset, vectorBytes / 4)
        : new Float32Array(new Uint8Array(raw).buffer);
    const bm25Bytes = readSection(file, fd, layout, 'bm25');
    return { header, faissBytes, vectors, bm25Bytes };
  });
}
