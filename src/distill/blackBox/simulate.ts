/**
 * A white-box model seen as a black box: its top-k softmax probabilities (or its label) per sample,
 * as a black-box teacher would report them. For experiments and tests that compare black-box
 * distillation with a known teacher.
 */
import type { TeacherOutput } from './teacherOutputs.js';

/** Top-k softmax(logits) per row of [samples, classes] logits; k = 0 gives the label only. */
export function outputsFromLogits(logits: Float32Array, classes: number, k: number): TeacherOutput[] {
  const outputs: TeacherOutput[] = [];
  for (let i = 0; i < logits.length / classes; i++) {
    const row = Array.from(logits.subarray(i * classes, (i + 1) * classes));
    const top = Math.max(...row);
    const exps = row.map((z) => Math.exp(z - top));
    const total = exps.reduce((a, c) => a + c, 0);
    const ranked = exps.map((e, c) => [c, e / total] as const).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    outputs.push(k === 0 ? { kind: 'label', label: ranked[0]![0] } : { kind: 'topk', topk: ranked.slice(0, k) });
  }
  return outputs;
}
