// A faiss IndexFlatIP in its serialized form, made straight from a Float32Array: faiss-node only takes plain
// arrays (one JS number per float), so reading these bytes with Index.fromBuffer loads a flat index many
// times faster than adding the rows. Layout as faiss's index_io writes it (checked byte for byte in
// tests/search-faiss-params.test.ts): "IxFI", d, ntotal, two dummies, is_trained, metric, count, floats.

const HEADER = 4 + 4 + 8 + 8 + 8 + 1 + 4 + 8;

export function flatInnerProductBytes(dim: number, vectors: Float32Array): Buffer {
  if (vectors.length % dim !== 0) throw new RangeError(`${vectors.length} values are not rows of ${dim}`);
  const buf = Buffer.alloc(HEADER + vectors.byteLength);
  let at = buf.write('IxFI', 0, 'latin1');
  at = buf.writeInt32LE(dim, at);
  at = buf.writeBigInt64LE(BigInt(vectors.length / dim), at);
  at = buf.writeBigInt64LE(1n << 20n, at);
  at = buf.writeBigInt64LE(1n << 20n, at);
  at = buf.writeUInt8(1, at); // is_trained
  at = buf.writeInt32LE(0, at); // METRIC_INNER_PRODUCT
  at = buf.writeBigUInt64LE(BigInt(vectors.length), at);
  Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength).copy(buf, at);
  return buf;
}
