/** How closely a quantized model's outputs follow the float model's: cosine similarity and top-1 agreement. */
export interface OutputAgreement {
  cosineSimilarity: number;
  /** Fraction of rows (samples) whose arg-max class is the same. */
  topOneAgreement: number;
}

function argmax(values: ArrayLike<number>, start: number, length: number): number {
  let best = start;
  for (let i = start + 1; i < start + length; i++) if (values[i]! > values[best]!) best = i;
  return best - start;
}

export function outputAgreement(reference: ArrayLike<number>, candidate: ArrayLike<number>, classes: number): OutputAgreement {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < reference.length; i++) {
    dot += reference[i]! * candidate[i]!;
    na += reference[i]! ** 2;
    nb += candidate[i]! ** 2;
  }
  const rows = Math.floor(reference.length / classes);
  let same = 0;
  for (let r = 0; r < rows; r++) if (argmax(reference, r * classes, classes) === argmax(candidate, r * classes, classes)) same++;
  return { cosineSimilarity: na === 0 || nb === 0 ? (na === nb ? 1 : 0) : dot / Math.sqrt(na * nb), topOneAgreement: rows === 0 ? 1 : same / rows };
}
