/**
 * Reference folders for gradient checks: a `manifest.json` naming an input, labels, another
 * framework's logits, loss and gradients, with little-endian row-major binary files beside it
 * (the layout of ../shared/fixtures/torch/NAME.ref, written by a PyTorch export script).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { RetortError } from '../../util/errors.js';

const arrayEntry = z.object({ file: z.string().min(1), shape: z.array(z.number().int().nonnegative()) });

const manifestSchema = z.object({
  model: z.string().optional(),
  input: arrayEntry.extend({ dtype: z.enum(['float32', 'int64']) }),
  labels: arrayEntry,
  logits: arrayEntry.optional(),
  loss: z.number().optional(),
  loss_def: z.string().optional(),
  d_input: arrayEntry.optional(),
  grads: z.record(z.string(), arrayEntry.extend({ torch_names: z.array(z.string()).optional() })).default({}),
});
export type ReferenceManifest = z.infer<typeof manifestSchema>;

export interface ReferenceArray<T> {
  data: T;
  dims: number[];
}

export interface Reference {
  dir: string;
  manifest: ReferenceManifest;
  input: ReferenceArray<Float32Array | BigInt64Array>;
  labels: ReferenceArray<BigInt64Array>;
  logits?: ReferenceArray<Float32Array>;
  loss?: number;
  dInput?: ReferenceArray<Float32Array>;
  /** By the ONNX value (initializer) name the gradient belongs to. */
  grads: Map<string, ReferenceArray<Float32Array>>;
}

function readArray<T>(dir: string, entry: z.infer<typeof arrayEntry>, bytesPerElement: number, make: (b: ArrayBuffer) => T): ReferenceArray<T> {
  const file = join(dir, entry.file);
  if (!existsSync(file)) throw new RetortError('FILE_NOT_FOUND', `Reference file ${file} (named in manifest.json) does not exist`);
  const bytes = readFileSync(file);
  const count = entry.shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== count * bytesPerElement) {
    throw new RetortError(
      'DATA_INVALID',
      `${file} holds ${bytes.byteLength} bytes; shape [${entry.shape.join(',')}] needs ${count * bytesPerElement}`,
    );
  }
  // Copy into an aligned buffer: Buffers from readFileSync may sit at any offset of a shared pool.
  return { data: make(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer), dims: entry.shape };
}

export function loadReference(dir: string): Reference {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RetortError('FILE_NOT_FOUND', `No reference folder at ${dir}`);
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new RetortError('FILE_NOT_FOUND', `${dir} has no manifest.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    throw new RetortError('DATA_INVALID', `${manifestPath} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new RetortError('DATA_INVALID', `${manifestPath} is not a reference manifest: ${problems}`);
  }
  const manifest = parsed.data;
  const floats = (b: ArrayBuffer) => new Float32Array(b);
  const input =
    manifest.input.dtype === 'int64'
      ? readArray(dir, manifest.input, 8, (b) => new BigInt64Array(b))
      : readArray(dir, manifest.input, 4, floats);
  const grads = new Map<string, ReferenceArray<Float32Array>>();
  for (const [name, entry] of Object.entries(manifest.grads)) grads.set(name, readArray(dir, entry, 4, floats));
  return {
    dir,
    manifest,
    input,
    labels: readArray(dir, manifest.labels, 8, (b) => new BigInt64Array(b)),
    logits: manifest.logits && readArray(dir, manifest.logits, 4, floats),
    loss: manifest.loss,
    dInput: manifest.d_input && readArray(dir, manifest.d_input, 4, floats),
    grads,
  };
}
