/**
 * A recipe's distillation objective: `terms`, a list of `{ key, weight, name, kwargs }` naming the
 * terms of src/distill/terms (kd: forward/reverse KL, JS, MSE on logits; ce: the hard labels;
 * fitnet; at; attn; rkd), summed with their weights (torchdistill's weighted sum of named terms).
 * The options are the ones `retort distill --term KIND:OPTION=VALUE` takes, given as JSON values,
 * and are built by the same term registry, so a recipe and the command accept exactly the same
 * terms; every problem is reported with its path at validation, before anything runs.
 *
 * `hinton` is classic KD as one entry (Hinton, Vinyals & Dean 2015): `ce` weighted alpha plus `kd`
 * (T^2-scaled forward KL at temperature T) weighted 1 - alpha, both times the entry's weight.
 */
import { z } from 'zod';
import { classicKdTerms } from '../../distill/hintonLoss.js';
import { splitHintTerms } from '../../distill/hintStage.js';
import { checkTerms } from '../../distill/terms/objective.js';
import { termFromOptions, TERM_KINDS } from '../../distill/terms/registry.js';
import type { ScalarSchedule } from '../../distill/terms/schedule.js';
import type { WeightedTerm } from '../../distill/terms/types.js';

/** Classic KD as one recipe entry. */
export const HINTON_KEY = 'hinton';

const rampSchedule = z.strictObject({
  kind: z.enum(['linear', 'cosine']).describe('linear, or half-cosine, from `from` at step 0 to `to` at `steps`, then constant'),
  from: z.number(),
  to: z.number(),
  steps: z.number().int().positive(),
});

/** A term weight: a number or a schedule of the training step (fed each step, so resume is exact). */
export const scalarScheduleSchema = z.union([
  z.number(),
  rampSchedule,
  z.strictObject({ kind: z.literal('piecewise'), boundaries: z.array(z.number().int().min(0)), values: z.array(z.number()) }).describe('values[i] from step boundaries[i-1] on'),
]);

const pair = z.union([z.string().regex(/^[^:;]+:[^:;]+$/, 'expected "STUDENT_VALUE:TEACHER_VALUE"'), z.strictObject({ student: z.string().min(1), teacher: z.string().min(1) })]);

/** One option value as JSON: a number, a string, a flag, student:teacher value pairs, or a ramp (e.g. a temperature from 8 to 2). */
const optionValue = z.union([z.number(), z.string(), z.boolean(), z.array(pair).min(1), rampSchedule]);

const hintonKwargs = z.strictObject({
  temperature: z.number().positive().default(4).describe('softmax temperature T of the soft targets'),
  alpha: z.number().min(0).max(1).default(0.1).describe('weight of the hard-label cross-entropy; the T^2-scaled KL gets 1 - alpha'),
});

export const termEntrySchema = z.strictObject({
  key: z.string().describe(`the term kind: ${HINTON_KEY}, ${TERM_KINDS.keys().join(', ')} (retort distill --help lists their options)`),
  name: z.string().optional().describe('its name in the sum and in the metrics (default the key; hinton: prefixes its ce and kd)'),
  weight: scalarScheduleSchema.default(1).describe('its weight: a number, or { kind: linear | cosine, from, to, steps } or { kind: piecewise, boundaries, values } over the training steps'),
  kwargs: z.record(z.string(), optionValue).default({}).describe('the options of the term kind, as `retort distill --term KIND:OPTION=VALUE` takes them'),
});

export type TermEntry = z.infer<typeof termEntrySchema>;

/** An option value in the registry's text form (pairs `s:t;s2:t2`, ramps `FROM>TO@STEPS~KIND`). */
function optionText(value: z.infer<typeof optionValue>): string {
  if (Array.isArray(value)) return value.map((p) => (typeof p === 'string' ? p : `${p.student}:${p.teacher}`)).join(';');
  if (typeof value === 'object') return `${value.from}>${value.to}@${value.steps}~${value.kind}`;
  return String(value);
}

/** One entry's weighted terms (two for `hinton`), or the problems found, each with its path below the entry. */
function entryTerms(entry: TermEntry): { terms: WeightedTerm[]; problems: { path: (string | number)[]; message: string }[] } {
  if (entry.key === HINTON_KEY) {
    const parsed = hintonKwargs.safeParse(entry.kwargs);
    if (!parsed.success) return { terms: [], problems: parsed.error.issues.map((i) => ({ path: ['kwargs', ...(i.path as (string | number)[])], message: i.message })) };
    if (typeof entry.weight !== 'number') return { terms: [], problems: [{ path: ['weight'], message: 'hinton takes a number as its weight (give ce and kd entries to schedule their weights)' }] };
    const weight = entry.weight;
    const named = (name: string) => (entry.name ? `${entry.name}-${name}` : name);
    return { terms: classicKdTerms(parsed.data).map((t) => ({ ...t, name: named(t.name), weight: weight * (t.weight as number) })), problems: [] };
  }
  const reserved = ['name', 'weight'].filter((k) => k in entry.kwargs);
  if (reserved.length > 0) return { terms: [], problems: reserved.map((k) => ({ path: ['kwargs', k], message: `give ${k} beside kwargs, not inside it` })) };
  const values = new Map(Object.entries(entry.kwargs).map(([k, v]) => [k, optionText(v)]));
  if (entry.name !== undefined) values.set('name', entry.name);
  const built = termFromOptions(entry.key, values);
  if (!built.term) return { terms: [], problems: built.problems.map((message) => ({ path: TERM_KINDS.has(entry.key) ? ['kwargs'] : ['key'], message })) };
  return { terms: [{ ...built.term, weight: entry.weight as ScalarSchedule }], problems: [] };
}

/** The objective of a recipe's validated `terms` (validated again here: building the terms is cheap). */
export function objectiveTerms(entries: readonly TermEntry[]): WeightedTerm[] {
  return entries.flatMap((entry) => entryTerms(entry).terms);
}

/**
 * Adds every problem of the `terms` list to a zod context (paths relative to `terms`): options each
 * term kind rejects, names used twice, and for FitNets' two stages (`hintEpochs`) the hint and
 * non-hint terms both stages need.
 */
export function checkTermEntries(entries: readonly TermEntry[], hintEpochs: number, ctx: z.RefinementCtx, at: (string | number)[]): void {
  const terms: WeightedTerm[] = [];
  let complete = true;
  entries.forEach((entry, i) => {
    const { terms: built, problems } = entryTerms(entry);
    for (const p of problems) ctx.addIssue({ code: 'custom', path: [...at, i, ...p.path], message: p.message });
    if (problems.length > 0) complete = false;
    terms.push(...built);
  });
  if (!complete) return;
  try {
    checkTerms(terms);
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: at, message: (error as Error).message });
  }
  if (hintEpochs > 0) {
    const { hints, rest } = splitHintTerms(terms);
    if (hints.length === 0) ctx.addIssue({ code: 'custom', path: at, message: 'hintEpochs needs at least one hint term ({ key: fitnet, kwargs: { student: VALUE, teacher: VALUE } })' });
    if (rest.length === 0) ctx.addIssue({ code: 'custom', path: at, message: 'hintEpochs: stage 2 needs terms besides the hints (e.g. hinton, or kd and ce)' });
  }
}
