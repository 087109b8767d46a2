/**
 * Canonical Huffman coding (Huffman 1952; canonical codes as in DEFLATE, RFC 1951 3.2.2): code
 * lengths from symbol frequencies, codes assigned in (length, symbol) order so that the lengths alone
 * describe the code. Deep Compression applies it to the weight indices and the sparse index deltas.
 */
import { RetortError } from '../util/errors.js';
import { BitReader, BitWriter } from './bits.js';

/** Optimal code length per symbol (0 for symbols that never occur; a lone symbol gets length 1). */
export function huffmanCodeLengths(frequencies: ArrayLike<number>): Uint8Array {
  const n = frequencies.length;
  const lengths = new Uint8Array(n);
  const used = [...Array(n).keys()].filter((s) => frequencies[s]! > 0);
  if (used.length === 1) lengths[used[0]!] = 1;
  if (used.length <= 1) return lengths;
  // Nodes: leaves 0..n-1, internal nodes after; a simple sorted-queue merge (alphabets here are <= 2^16).
  const weight: number[] = [];
  const parent: number[] = [];
  const queue: number[] = [];
  for (const s of used) {
    weight[s] = frequencies[s]!;
    queue.push(s);
  }
  let next = n;
  const byWeight = (a: number, b: number): number => weight[a]! - weight[b]! || a - b;
  queue.sort(byWeight);
  const internal: number[] = [];
  const pop = (): number => (internal.length > 0 && (queue.length === 0 || byWeight(internal[0]!, queue[0]!) < 0) ? internal.shift()! : queue.shift()!);
  while (queue.length + internal.length > 1) {
    const a = pop();
    const b = pop();
    weight[next] = weight[a]! + weight[b]!;
    parent[a] = next;
    parent[b] = next;
    internal.push(next++);
  }
  for (const s of used) {
    let depth = 0;
    for (let v = s; parent[v] !== undefined; v = parent[v]!) depth++;
    if (depth > 31) throw new RetortError('DATA_INVALID', 'Huffman code longer than 31 bits');
    lengths[s] = depth;
  }
  return lengths;
}

/** Canonical codes for the given lengths. */
export function canonicalCodes(lengths: Uint8Array): Uint32Array {
  const codes = new Uint32Array(lengths.length);
  const order = [...lengths.keys()].filter((s) => lengths[s]! > 0).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  let code = 0;
  let prev = 0;
  for (const s of order) {
    code <<= lengths[s]! - prev;
    prev = lengths[s]!;
    codes[s] = code++;
  }
  return codes;
}

export function huffmanEncode(symbols: ArrayLike<number>, lengths: Uint8Array, writer: BitWriter): void {
  const codes = canonicalCodes(lengths);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i]!;
    if (!lengths[s]) throw new RetortError('DATA_INVALID', `Symbol ${s} has no Huffman code`);
    writer.write(codes[s]!, lengths[s]!);
  }
}

export function huffmanDecode(reader: BitReader, lengths: Uint8Array, count: number): Uint32Array {
  // Decode table: (length, code) -> symbol.
  const codes = canonicalCodes(lengths);
  const table = new Map<number, number>();
  lengths.forEach((len, s) => {
    if (len) table.set(len * 2 ** 32 + codes[s]!, s);
  });
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    let code = 0;
    for (let len = 1; ; len++) {
      if (len > 31) throw new RetortError('CORRUPT_MODEL', 'Invalid Huffman code in the bit stream');
      code = (code << 1) | reader.read(1);
      const s = table.get(len * 2 ** 32 + code);
      if (s !== undefined) {
        out[i] = s;
        break;
      }
    }
  }
  return out;
}
