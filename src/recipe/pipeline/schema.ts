/**
 * The shape of a recipe file, before references are resolved: its name and default seed, the
 * variables, the data entries, the stages in the order they run, and the settings of the final
 * comparison. Each stage's `kwargs` is checked afterwards by its kind's own schema (validate.ts),
 * so the paths of those problems read `stages[2].kwargs.sparsity`.
 */
import { z } from 'zod';
import { evaluationKwargsShape } from '../stages/evaluationKwargs.js';

/** Stage and data names: also folder names in the run folder and the STAGE of `STAGE.OUTPUT`. */
export const NAME_PATTERN = /^[a-z][a-zA-Z0-9_-]*$/;
const name = (what: string) => z.string().regex(NAME_PATTERN, `expected ${what} of a lower-case letter then letters, digits, _ or - (e.g. "teacher")`);

const seed = z.number().int().min(0);

/** An input: a data name, a model path (relative to the recipe file) or `STAGE.OUTPUT`; a list for a `models` input. */
const inputValue = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const stageSchema = z.strictObject({
  name: name('a stage name'),
  key: z.string().min(1).describe('the stage kind (retort run --list-stages)'),
  description: z.string().optional().describe('a note for readers; not used'),
  seed: seed.optional().describe("this stage's seed; default the recipe's seed"),
  inputs: z.record(z.string(), inputValue).default({}).describe('input name -> data name, model path or STAGE.OUTPUT'),
  kwargs: z.record(z.string(), z.unknown()).default({}).describe("the kind's settings"),
});

/** The final comparison of every model the run made (and the model files it read). */
export const reportSchema = z.strictObject({
  data: name('a data name').optional().describe('the data entry whose test split scores the models; default the first'),
  teacher: z.string().min(1).optional().describe('what fidelity is measured against: a stage (its model), STAGE.OUTPUT or a model path; default none'),
  title: z.string().optional().describe('title of the HTML report'),
  ...evaluationKwargsShape,
});

export const recipeSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ".", "_" or "-" (it names the run folder)'),
  description: z.string().optional(),
  seed: seed.default(0).describe('the seed of every stage that sets none'),
  vars: z.record(z.string().regex(/^[A-Za-z_][\w-]*$/, 'expected a variable name of letters, digits, _ or -'), z.unknown()).default({}),
  data: z.record(name('a data name'), z.unknown()).default({}),
  stages: z.array(stageSchema).min(1),
  report: reportSchema.optional(),
});

export type StageSpec = z.infer<typeof stageSchema>;
export type ReportSpec = z.infer<typeof reportSchema>;
export type RecipeSpec = z.infer<typeof recipeSchema>;
