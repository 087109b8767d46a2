/**
 * A recipe's `data` entries: a source src/data/sources.ts knows (`key: mnist`) and how much of it
 * a run uses, or a text file for language models (`key: text`, textData.ts). Each entry becomes one DataInput shared by every stage that reads it, loaded once
 * per layout the models ask for (flat [784] for an MLP, [1, 28, 28] for a conv net).
 */
import { z } from 'zod';
import { sliceDataset, splitValidation, subset } from '../../data/dataset.js';
import { DATA_SOURCES, loadDataSource } from '../../data/sources.js';
import type { TestSet } from '../../report/index.js';
import { RetortError } from '../../util/errors.js';
import type { DataInput, StageData } from './stageKind.js';
import { TEXT_DATA_KEY, textDataInput, textKwargsSchema, type TextKwargs } from './textData.js';

const limit = z.number().int().positive().nullable().default(null);

export const dataKwargsSchema = z
  .strictObject({
    limitTrain: limit.describe('use only the first N training samples (quick runs); null for all'),
    validation: z.number().int().min(0).default(0).describe('hold out the last N of those training samples as a validation split (for tuning); 0 for none'),
    limitTest: limit.describe('score only the first N test samples; null for all'),
  })
  .refine((k) => k.limitTrain === null || k.validation < k.limitTrain, { message: 'validation must be smaller than limitTrain', path: ['validation'] });

export type DataKwargs = z.infer<typeof dataKwargsSchema>;

export type DataEntry = { key: typeof TEXT_DATA_KEY; kwargs: TextKwargs } | { key: string; kwargs: DataKwargs };

/** `{ key, kwargs }` with the source named checked against the sources there are; `text` for a text file (textData.ts). */
export const dataEntrySchema = z.discriminatedUnion('key', [
  z.strictObject({ key: z.literal(TEXT_DATA_KEY), kwargs: textKwargsSchema }).describe('a text file for language models'),
  z.strictObject({
    key: z.enum(DATA_SOURCES as [string, ...string[]]).describe(`a data source: ${DATA_SOURCES.join(', ')}`),
    kwargs: dataKwargsSchema.default({ limitTrain: null, validation: 0, limitTest: null }),
  }),
]);

const isText = (entry: DataEntry): entry is { key: typeof TEXT_DATA_KEY; kwargs: TextKwargs } => entry.key === TEXT_DATA_KEY;

/**
 * The entry's splits for a model's per-sample dims, loaded on first use per layout; a text entry's
 * tokens instead (`baseDir`: the folder its path is relative to).
 */
export function dataInput(name: string, entry: DataEntry, baseDir = '.'): DataInput {
  if (isText(entry)) return textDataInput(name, entry.kwargs, baseDir);
  const sample = entry as { key: string; kwargs: DataKwargs };
  const cache = new Map<string, StageData>();
  return {
    name,
    load(inputDims) {
      const layout = inputDims === null ? '?' : inputDims.join('x');
      const cached = cache.get(layout);
      if (cached) return cached;
      const { train: all, test: fullTest } = loadDataSource(sample.key, { inputDims });
      const { limitTrain, validation, limitTest } = sample.kwargs;
      const train = limitTrain === null ? all : subset(all, limitTrain);
      if (limitTest !== null && limitTest > fullTest.length) {
        throw new RetortError('BAD_ARGUMENT', `data.${name}.kwargs.limitTest ${limitTest}: the ${sample.key} test split has only ${fullTest.length} samples`);
      }
      const test = limitTest === null ? fullTest : sliceDataset(fullTest, 0, limitTest);
      const data: StageData = validation === 0 ? { train, test } : { ...splitValidation(train, { method: 'last', size: validation }), test };
      cache.set(layout, data);
      return data;
    },
  };
}

/** The entry's test split as the report's evaluation takes it (in each model's layout). */
export function testSetOf(input: DataInput): TestSet {
  return { name: input.name, test: (dims) => input.load(dims).test };
}
