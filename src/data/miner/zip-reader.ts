// A small reader of zip archives (stored and deflated entries, as the JDK's src.zip holds), over node:zlib's
// inflateRaw: the central directory lists the entries, and each is read and checked against its CRC-32 on
// demand. Zip64 and encrypted entries are refused with a clear error.
import { open } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** Path inside the archive, with / separators. */
  name: string;
  /** 0: stored, 8: deflated. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Offset of the entry's local header. */
  headerOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The entries of a zip held in memory, from its central directory. */
export function zipEntries(zip: Buffer, file = 'zip'): ZipEntry[] {
  // The end-of-central-directory record is in the last 22 + 65535 (its longest comment) bytes.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--)
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new Error(`${file}: not a zip archive (no end of central directory)`);
  const count = zip.readUInt16LE(eocd + 10);
  const offset = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || offset === 0xffffffff) throw new Error(`${file}: zip64 archives are not supported`);
  const entries: ZipEntry[] = [];
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > zip.length || zip.readUInt32LE(p) !== CENTRAL)
      throw new Error(`${file}: corrupt central directory at entry ${i} (offset ${p})`);
    const flags = zip.readUInt16LE(p + 8);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const name = zip.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLength);
    if (flags & 1) throw new Error(`${file}: ${name} is encrypted`);
    entries.push({
      name,
      method: zip.readUInt16LE(p + 10),
      crc32: zip.readUInt32LE(p + 16),
      compressedSize: zip.readUInt32LE(p + 20),
      size: zip.readUInt32LE(p + 24),
      headerOffset: zip.readUInt32LE(p + 42),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** One entry's bytes, inflated and checked against its CRC-32. */
export function readZipEntry(zip: Buffer, entry: ZipEntry, file = 'zip'): Buffer {
  const h = entry.headerOffset;
  if (h + 30 > zip.length || zip.readUInt32LE(h) !== LOCAL)
    throw new Error(`${file}: ${entry.name}: no local header at offset ${h}`);
  const start = h + 30 + zip.readUInt16LE(h + 26) + zip.readUInt16LE(h + 28);
  const raw = zip.subarray(start, start + entry.compressedSize);
  let bytes: Buffer;
  if (entry.method === 0) bytes = Buffer.from(raw);
  else if (entry.method === 8) bytes = inflateRawSync(raw);
  else throw new Error(`${file}: ${entry.name}: compression method ${entry.method} is not supported`);
  if (bytes.length !== entry.size || crc32(bytes) !== entry.crc32)
    throw new Error(`${file}: ${entry.name}: corrupt entry (size or CRC-32 does not match)`);
  return bytes;
}

/** A zip file read into memory once, its entries listed. */
export async function openZip(path: string): Promise<{ entries: ZipEntry[]; read(e: ZipEntry): Buffer }> {
  const handle = await open(path, 'r');
  let zip: Buffer;
  try {
    zip = await handle.readFile();
  } finally {
    await handle.close();
  }
  const entries = zipEntries(zip, path);
  return { entries, read: (e) => readZipEntry(zip, e, path) };
}
