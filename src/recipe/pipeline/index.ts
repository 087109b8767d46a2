/** Recipes: multi-stage compression pipelines as data — parsing, validation, the runner and the stage-kind contract. */
export type { DataInput, InputSpec, ModelInput, StageContext, StageData, StageKind, StageOutput, TextDataInput } from './stageKind.js';
export { TEXT_DATA_KEY, textKwargsSchema, type TextKwargs } from './textData.js';
export { loadRecipe, validateRecipe, type ModelRef, type PlannedReport, type PlannedStage, type Recipe, type ResolvedInput, type ValidateOptions } from './validate.js';
export { parseJsonRecipe, parseYamlRecipe, readRecipeFile, type RecipeText } from './source.js';
export { parseOverrides } from './variables.js';
export { formatPath, type RecipeProblem } from './problems.js';
export { recipeHash, stageHashes } from './hash.js';
export { defaultRunFolder, runRecipe, type RunOptions, type RunResult } from './runner.js';
export { MANIFEST_FILE, readManifest, type ComparisonRecord, type Manifest, type StageRecord, type StageStatus } from './manifest.js';
export { describeStageKind, type FieldDescription, type StageKindDescription } from './describe.js';
export { COMPARISON_FILES } from './comparison.js';
export { CHECKPOINT_FILE } from './stageRun.js';
export { registerStageKind, stageKinds } from '../stages/index.js';
