/**
 * The PyTorch-exported reference models in ../shared/fixtures/torch (see its README.md): each
 * NAME.onnx with NAME.ref/manifest.json describing an input, labels, PyTorch's logits and loss,
 * and gradients of the loss. Files are little-endian and row-major.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Resolved from the repository root, where the tests are run. */
export const fixturesDir = path.resolve(process.cwd(), '../shared/fixtures/torch');

interface ArrayEntry {
  file: string;
  shape: number[];
}

export interface FixtureManifest {
  model: string;
  input: ArrayEntry & { dtype: 'float32' | 'int64' };
  labels: ArrayEntry;
  logits: ArrayEntry;
  loss: number;
  loss_def: string;
  grads: Record<string, ArrayEntry & { torch_names: string[] }>;
  d_input?: ArrayEntry;
}

export interface Fixture {
  name: string;
  modelPath: string;
  manifest: FixtureManifest;
  input: Float32Array | BigInt64Array;
  inputDims: number[];
  labels: BigInt64Array;
  labelDims: number[];
  logits: Float32Array;
  logitsDims: number[];
  loss: number;
  /** Gradient of the loss with respect to the input (float-input models only). */
  dInput?: Float32Array;
  /** By ONNX initializer name, laid out like the initializer. */
  grads: Map<string, { data: Float32Array; dims: number[] }>;
}

/** Names of the fixtures present: every NAME.onnx that has a NAME.ref folder. */
export const fixtureNames: readonly string[] = existsSync(fixturesDir)
  ? readdirSync(fixturesDir)
      .filter((f) => f.endsWith('.onnx') && existsSync(path.join(fixturesDir, f.replace(/\.onnx$/, '.ref'))))
      .map((f) => f.replace(/\.onnx$/, ''))
      .sort()
  : [];

/** A fresh, aligned copy of a file's bytes (Buffers from readFileSync may share an unaligned pool). */
function readBytes(file: string): ArrayBuffer {
  const buf = readFileSync(file);
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

function checkedLength(file: string, dims: readonly number[], array: { length: number }): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (array.length !== expected) throw new Error(`${file}: ${array.length} elements, manifest shape [${dims.join(',')}] says ${expected}`);
}

function readFloat32(file: string, dims: readonly number[]): Float32Array {
  const data = new Float32Array(readBytes(file));
  checkedLength(file, dims, data);
  return data;
}

function readInt64(file: string, dims: readonly number[]): BigInt64Array {
  const data = new BigInt64Array(readBytes(file));
  checkedLength(file, dims, data);
  return data;
}

export function loadFixture(name: string): Fixture {
  const refDir = path.join(fixturesDir, `${name}.ref`);
  const manifest = JSON.parse(readFileSync(path.join(refDir, 'manifest.json'), 'utf8')) as FixtureManifest;
  const at = (entry: ArrayEntry): string => path.join(refDir, entry.file);
  const input =
    manifest.input.dtype === 'int64' ? readInt64(at(manifest.input), manifest.input.shape) : readFloat32(at(manifest.input), manifest.input.shape);
  const grads = new Map<string, { data: Float32Array; dims: number[] }>();
  for (const [initializer, entry] of Object.entries(manifest.grads)) {
    grads.set(initializer, { data: readFloat32(at(entry), entry.shape), dims: [...entry.shape] });
  }
  return {
    name,
    modelPath: path.join(fixturesDir, manifest.model),
    manifest,
    input,
    inputDims: [...manifest.input.shape],
    labels: readInt64(at(manifest.labels), manifest.labels.shape),
    labelDims: [...manifest.labels.shape],
    logits: readFloat32(at(manifest.logits), manifest.logits.shape),
    logitsDims: [...manifest.logits.shape],
    loss: manifest.loss,
    dInput: manifest.d_input ? readFloat32(at(manifest.d_input), manifest.d_input.shape) : undefined,
    grads,
  };
}
