/**
 * Distillation terms — composable training objectives on any ONNX teacher and student.
 *
 * Three levels, as torchdistill arranges its losses:
 *
 * 1. Primitive losses (primitives.ts): pure graph functions over value names, e.g.
 *    `klDivergence(b, logP, logQ)`, `meanSquaredError(b, a, c)`, `huber(b, x)`, `attentionMap(b, a, p)`,
 *    `pairwiseDistances(b, e)`. They know nothing of teachers or students.
 * 2. Terms (`DistillTerm`, types.ts): one method's loss between student and teacher values,
 *    built from primitives. A term is data plus a build function:
 *      { kind: 'kd', teacherValues: [TEACHER_OUTPUT], options: {...}, build(ctx) → scalar value }
 *    `ctx` (TermContext) gives the student's values by ONNX value name (`ctx.shape(v)`, the value
 *    name itself is the graph value), teacher values through `ctx.teacher(v)` (a graph input fed per
 *    batch, no gradient), labels through `ctx.labels()`, step-scheduled scalars through
 *    `ctx.scalar(name, schedule)` (fed each step like the lr, so resume is exact), and new trainable
 *    parameters through `ctx.parameter(name, dims, initial)` (training graph only, dropped at export).
 *    Methods: response.ts (kd: forward KL, reverse KL, JS, MSE on logits; ce: hard labels),
 *    fitnet.ts (FitNets hints with a learned regressor), attention.ts (attention transfer: spatial
 *    maps and transformer attention probabilities), rkd.ts (relational KD, distance and angle).
 * 3. The objective (objective.ts): a weighted sum of named terms, `WeightedTerm { name, weight, term }`,
 *    composed into one `subgraph` LossSpec by `composeObjective(terms, { seed, teacherSampleDims })`.
 *    Weights may be schedules too. Each term's unweighted value is metric `NAME`.
 *
 * Running it: `createTermsTrainer` (../distill.ts) opens the teacher with the values the terms
 * declare as extra session outputs (teacherSignals.ts: a teacher signal is a set of named teacher
 * values, cached over the dataset when inputs are not augmented, else computed per batch), feeds
 * them and the scheduled scalars per batch, and trains the student with the Trainer.
 *
 * From the CLI and recipes a term is `{ kind, options }` parsed by the term registry (registry.ts):
 *   --term kd:weight=0.9,temperature=4,divergence=reverse-kl
 *   --term fitnet:student=S,teacher=T,weight=1,distance=l2
 *   --term at:pairs=s1:t1;s2:t2,weight=1000
 *   --term rkd:student=S,teacher=T,distance=25,angle=50
 * parseTermArgument / TERM_KINDS there; `retort distill --help` lists every option.
 *
 * Adding a method (e.g. online or multi-teacher distillation): write a DistillTerm factory in a file
 * of its own, register its kind in registry.ts, and compose it with the others; a term that needs a
 * second teacher names its values like any other teacher value.
 */
export * from './types.js';
export * from './schedule.js';
export * from './primitives.js';
export * from './objective.js';
export * from './response.js';
export * from './fitnet.js';
export * from './attention.js';
export * from './rkd.js';
export * from './registry.js';
