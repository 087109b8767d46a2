/**
 * FitNets' two-stage training (Romero et al. 2015, §2.3, Algorithm 1): stage 1 pre-trains the
 * student up to its guided layer, with the regressor, on the hint terms alone; stage 2 trains the
 * whole student with KD. Stage 1 updates only the parameters the guided values depend on, so the
 * layers above them keep their initial weights for stage 2.
 */
import { Graph } from '../onnx/graph.js';
import { listParameters } from '../onnx/parameters.js';
import type { ModelProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';
import { createDistillationTrainer, type DistillationRun } from './distill.js';
import type { WeightedTerm } from './terms/types.js';

/** Names of the parameters (initializers or Constant nodes) that `values` depend on. */
export function parametersFeeding(model: ModelProto, values: readonly string[]): Set<string> {
  const graph = new Graph(model.graph!);
  const parameters = new Set(listParameters(graph).map((p) => p.name));
  const feeding = new Set<string>();
  const seen = new Set<string>();
  const pending = [...values];
  while (pending.length > 0) {
    const value = pending.pop()!;
    if (seen.has(value)) continue;
    seen.add(value);
    if (parameters.has(value)) feeding.add(value);
    const producer = graph.producerOf(value);
    if (producer) pending.push(...producer.input.filter((i) => i !== ''));
  }
  return feeding;
}

/** The hint terms of an objective (stage 1) and the rest (stage 2). */
export function splitHintTerms(terms: readonly WeightedTerm[]): { hints: WeightedTerm[]; rest: WeightedTerm[] } {
  return { hints: terms.filter((t) => t.term.hint), rest: terms.filter((t) => !t.term.hint) };
}

/** Regular expressions freezing every student parameter the hint terms' student values do not depend on. */
export function hintStageFrozen(student: ModelProto, hints: readonly WeightedTerm[]): string[] {
  const guided = hints.flatMap((t) => t.term.studentValues ?? []);
  if (guided.length === 0) throw new RetortError('BAD_ARGUMENT', 'The hint stage needs hint terms (fitnet) with guided student values');
  const feeding = parametersFeeding(student, guided);
  const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return listParameters(new Graph(student.graph!)).filter((p) => !feeding.has(p.name)).map((p) => `^${escape(p.name)}$`);
}

/**
 * Stage 1: trains the student on the hint terms for `run.trainer.epochs` epochs, with the parameters
 * above the guided layers frozen; returns the student with its pre-trained lower layers (the
 * regressors are dropped) and the stage's last loss.
 */
export async function hintPretrain(run: DistillationRun & { terms: WeightedTerm[] }): Promise<{ student: ModelProto; lastLoss: number; steps: number }> {
  const { hints } = splitHintTerms(run.terms);
  if (hints.length === 0) throw new RetortError('BAD_ARGUMENT', 'FitNets stage 1 needs at least one hint term (fitnet:...)');
  const frozen = [...(run.trainer.frozen ?? []), ...hintStageFrozen(run.student, hints)];
  const { trainer, close } = await createDistillationTrainer({ ...run, terms: hints, trainer: { ...run.trainer, frozen } });
  try {
    const result = await trainer.fit();
    return { student: result.model, lastLoss: result.lastLoss, steps: result.steps };
  } finally {
    await close();
  }
}
