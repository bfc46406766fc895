// safetensors: the TypeScript reader/writer round trip, and files passing between it and the addon's.
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Encoder } from '../src/model/encoder.js';
import {
  encodeSafetensors,
  parseSafetensors,
  readSafetensors,
  type TensorToWrite,
  toFloat64,
  writeSafetensors,
} from '../src/safetensors.js';
import { maxAbsDiff } from './encoder-helpers.js';

const bertFixture = join(import.meta.dirname, 'fixtures', 'hf-parity', 'bert');

describe('safetensors in TypeScript', () => {
  it('round-trips every dtype, shape and metadata', () => {
    const bytes = encodeSafetensors(
      [
        ['f64', { data: Float64Array.of(1.5, -2, Math.PI), shape: [3] }],
        ['f32', { data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] }],
        ['i64', { data: BigInt64Array.of(-1n, 2n ** 40n), shape: [2] }],
        ['i32', { data: Int32Array.of(7), shape: [] }],
        ['u8', { data: Uint8Array.of(1, 2, 3), shape: [3, 1] }],
        ['bf16', { data: Uint16Array.of(0x3fc0, 0xc000), shape: [2], dtype: 'BF16' }],
        ['f16', { data: Uint16Array.of(0x3c00, 0xc500), shape: [2], dtype: 'F16' }],
        ['empty', { data: new Float32Array(0), shape: [0, 4] }],
      ],
      { format: 'pt', note: 'ünïcode "quoted"' },
    );
    expect(new DataView(bytes.buffer).getBigUint64(0, true) % 8n).toBe(0n); // data 8-byte aligned
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', note: 'ünïcode "quoted"' });
    expect([...tensors.get('f64')!.data]).toEqual([1.5, -2, Math.PI]);
    expect(tensors.get('f32')!.shape).toEqual([2, 3]);
    expect([...(tensors.get('i64')!.data as BigInt64Array)]).toEqual([-1n, 2n ** 40n]);
    expect(tensors.get('i32')!.shape).toEqual([]);
    expect([...toFloat64(tensors.get('bf16')!)]).toEqual([1.5, -2]);
    expect([...toFloat64(tensors.get('f16')!)]).toEqual([1, -5]);
    expect(tensors.get('empty')!.data.length).toBe(0);
  });

  it('names the tensor of a corrupt file', () => {
    const bytes = encodeSafetensors([['w', { data: new Float32Array(4), shape: [4] }]]);
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 4), 'x.safetensors')).toThrow(
      /x\.safetensors: tensor 'w' has data_offsets \[0, 16\]/,
    );
    expect(() => parseSafetensors(bytes.subarray(0, 4), 'x.safetensors')).toThrow(/shorter than 8 bytes/);
  });
});

describe('safetensors between TypeScript and the addon', () => {
  it('a checkpoint rewritten by TypeScript (float64, extra tensors, metadata) loads in the addon unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secora-st-'));
    copyFileSync(join(bertFixture, 'config.json'), join(dir, 'config.json'));
    const { tensors } = readSafetensors(join(bertFixture, 'model.safetensors'));
    const rewritten: [string, TensorToWrite][] = [...tensors].map(([n, t]) => [
      `bert.${n}`,
      { data: toFloat64(t), shape: t.shape },
    ]);
    rewritten.push(['cls.extra', { data: new Float64Array(3), shape: [3] }]);
    writeSafetensors(join(dir, 'model.safetensors'), rewritten, { format: 'pt' });
    const original = await Encoder.load(bertFixture, { dtype: 'float64' });
    const copy = await Encoder.load(dir, { dtype: 'float64' });
    for (const name of original.parameterNames()) {
      expect(maxAbsDiff(original.getParameter(name), copy.getParameter(name)), name).toBe(0);
    }
  });

  it('the addon writes what the TypeScript reader reads, bit for bit', async () => {
    const enc = await Encoder.load(bertFixture);
    const dir = mkdtempSync(join(tmpdir(), 'secora-st-'));
    await enc.save(dir);
    const saved = readSafetensors(join(dir, 'model.safetensors'));
    const source = readSafetensors(join(bertFixture, 'model.safetensors'));
    expect(saved.tensors.has('pooler.dense.weight')).toBe(false); // unused by our poolers, not kept
    for (const [name, t] of saved.tensors) {
      expect(t.dtype).toBe('F32');
      expect(
        Buffer.from(t.data.buffer).equals(Buffer.from(source.tensors.get(name)!.data.buffer)),
        name,
      ).toBe(true);
    }
    expect(readFileSync(join(dir, 'model.safetensors')).subarray(8, 9).toString()).toBe('{');
  });
});
