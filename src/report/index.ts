/** Reports: the comparison data structure, its evaluation from model files, and the HTML view. */
export type * from './types.js';
export { compareModels, retortVersion, type CompareOptions, type DataSelection, type ModelFile, type TestSet } from './compare.js';
export { EVALUATION_DEFAULTS, defaultPgdStepSize } from './defaults.js';
export { evaluateModelFile, fidelityEntry, metricsEntry, modelNames, type EvaluationSettings } from './collect.js';
export { excludesZero, intervalFidelity, pairedDifferences } from './versusTeacher.js';
export { formatDifference } from './format.js';
export { renderReportHtml, tradeOffFronts, PALETTE } from './html.js';
export { escapeHtml, jsonForScript } from './escape.js';
export { HUFFMAN_LEGEND } from './table.js';
export { paretoFront, type TradeOffPoint } from './pareto.js';
export { writeReport } from './write.js';
export { compareLanguageModels, languageModelTable, renderLanguageModelHtml, writeLanguageModelReport, type LanguageCompareOptions, type LanguageModelEntry, type LanguageModelReport } from './languageModels.js';
