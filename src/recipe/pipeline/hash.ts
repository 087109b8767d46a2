/**
 * What decides a stage's result, hashed: its kind and kwargs (defaults filled in, so writing a
 * default out changes nothing), its seed, the data entries it reads (a text entry's file by its
 * bytes), and for each model it reads the hash of the stage that made it or the bytes of the file.
 * Editing one stage therefore reruns it and every stage downstream of it, and nothing else (as
 * src/recipe/hinton/recipe.ts stageHash does for the demo). Keys are sorted before hashing, so reordering a mapping changes nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TEXT_DATA_KEY, textPathOf, type TextKwargs } from './textData.js';
import type { ModelRef, Recipe, ResolvedInput } from './validate.js';

/** JSON with object keys sorted at every level: equal data, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

const digest = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** sha256 of each model file a recipe reads, read once. */
export function fileHasher(): (path: string) => string {
  const cache = new Map<string, string>();
  return (path) => {
    let hash = cache.get(path);
    if (hash === undefined) cache.set(path, (hash = digest(readFileSync(path))));
    return hash;
  };
}

/** Every stage's hash, in recipe order. */
export function stageHashes(recipe: Recipe, hashFile: (path: string) => string = fileHasher()): Map<string, string> {
  const hashes = new Map<string, string>();
  const model = (ref: ModelRef) => (ref.from === 'stage' ? { stage: hashes.get(ref.stage)!, output: ref.output } : { file: hashFile(ref.path) });
  // A text entry's file counts by its bytes, as a model file does (an edited text reruns what reads it).
  const dataInput = (name: string) => {
    const entry = recipe.data[name]!;
    return entry.key === TEXT_DATA_KEY ? { data: entry, text: hashFile(textPathOf(entry.kwargs as TextKwargs, recipe.baseDir)) } : { data: entry };
  };
  const input = (i: ResolvedInput) => (i.kind === 'data' ? dataInput(i.data) : i.kind === 'model' ? { model: model(i.model) } : { models: i.models.map(model) });
  for (const stage of recipe.stages) {
    const inputs = Object.fromEntries(Object.entries(stage.inputs).map(([name, i]) => [name, input(i)]));
    hashes.set(stage.name, digest(canonicalJson({ key: stage.key, kwargs: stage.kwargs, seed: stage.seed, inputs })));
  }
  return hashes;
}

/** A hash of the whole validated recipe (variables substituted, defaults filled in), for the manifest. */
export function recipeHash(recipe: Recipe): string {
  const { name, seed, data } = recipe;
  // References as the recipe wrote them, so the same recipe in another folder hashes the same.
  const written = (i: ResolvedInput) => (i.kind === 'data' ? i.data : i.kind === 'model' ? i.model.label : i.models.map((m) => m.label));
  const stages = recipe.stages.map(({ name, key, seed, kwargs, inputs }) => ({ name, key, seed, kwargs, inputs: Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, written(i)])) }));
  const report = { ...recipe.report, teacher: recipe.report.teacher?.label ?? null };
  return digest(canonicalJson({ name, seed, data, stages, report }));
}
