// faiss-node 0.5.1 has no way to set IVF's nprobe or HNSW's efSearch, and faiss keeps both in its
// serialized index. So we set them there: read the index's bytes, overwrite the field, read it back.
// Offsets follow faiss's index_io (checked against faiss 1.7.3: tests/search-faiss-params.test.ts).

export interface FaissSearchParams {
  /** IVF: how many inverted lists a query visits (faiss default 1). */
  nprobe?: number;
  /** HNSW: size of the candidate list during a search (faiss default 16). */
  efSearch?: number;
}

const IVF_KINDS = new Set(['IwFl']);
const HNSW_KINDS = new Set(['IHNf', 'IHNp', 'IHNs']);

/** Byte length of faiss's common index header: d, ntotal, two dummies, is_trained, metric (+ metric_arg). */
function headerLength(buf: Buffer): number {
  const metric = buf.readInt32LE(4 + 4 + 8 + 8 + 8 + 1);
  return 4 + 8 + 8 + 8 + 1 + 4 + (metric > 1 ? 4 : 0);
}

/** Offset of HNSW's efSearch: after the header come five length-prefixed vectors and three ints. */
function efSearchOffset(buf: Buffer): number {
  let at = 4 + headerLength(buf);
  for (const width of [8, 4, 4, 8, 4]) at += 8 + Number(buf.readBigUInt64LE(at)) * width;
  return at + 12; // entry_point, max_level, efConstruction
}

/** The kind of a serialized index: faiss's four-character code ("IwFl" IVF-Flat, "IHNf" HNSW-Flat, …). */
export function faissKind(buf: Buffer): string {
  return buf.subarray(0, 4).toString('latin1');
}

/** The search parameters stored in a serialized index (only those its kind has). */
export function readSearchParams(buf: Buffer): FaissSearchParams {
  const kind = faissKind(buf);
  if (IVF_KINDS.has(kind)) return { nprobe: Number(buf.readBigUInt64LE(4 + headerLength(buf) + 8)) };
  if (HNSW_KINDS.has(kind)) return { efSearch: buf.readInt32LE(efSearchOffset(buf)) };
  return {};
}

/**
 * Writes the parameters that apply to this kind of index into its serialized bytes, in place. A parameter
 * the index does not have is an error (nprobe on HNSW, efSearch on IVF, either on a flat index).
 */
export function writeSearchParams(buf: Buffer, params: FaissSearchParams): Buffer {
  const kind = faissKind(buf);
  const check = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
  };
  if (params.nprobe !== undefined) {
    if (!IVF_KINDS.has(kind)) throw new Error(`nprobe applies to an IVF index, not a faiss '${kind}' index`);
    check('nprobe', params.nprobe);
    const at = 4 + headerLength(buf);
    const nlist = Number(buf.readBigUInt64LE(at));
    buf.writeBigUInt64LE(BigInt(Math.min(params.nprobe, nlist)), at + 8);
  }
  if (params.efSearch !== undefined) {
    if (!HNSW_KINDS.has(kind))
      throw new Error(`efSearch applies to an HNSW index, not a faiss '${kind}' index`);
    check('efSearch', params.efSearch);
    buf.writeInt32LE(params.efSearch, efSearchOffset(buf));
  }
  return buf;
}
