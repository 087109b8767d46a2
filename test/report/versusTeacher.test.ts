/**
 * A student against its teacher in the report: the paired bootstrap of the accuracy and NLL
 * differences (student minus teacher, the report's resamples and seed) and the UQ fidelity of the
 * intervals every entry already carries.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapInterval, meanOf, pairedBootstrap } from '../../src/eval/bootstrap.js';
import { correctPerSample, fromLogits, nllPerSample, type Predictions } from '../../src/eval/metrics/index.js';
import type { EvaluatedModel } from '../../src/report/collect.js';
import type { BootstrapSettings } from '../../src/report/estimates.js';
import { excludesZero, fidelityEntry, metricsEntry } from '../../src/report/index.js';
import { Rng } from '../../src/util/random.js';
import { sampleReport } from './sampleReport.js';

const classes = 4;
const samples = 300;
const bootstrap: BootstrapSettings = { resamples: 200, confidence: 0.95, seed: 7 };

/** Seeded random labels and logits; `skill` adds to the true class's logit (higher: more accurate). */
function predictions(seed: number, skill: number): Predictions {
  const rng = new Rng(seed);
  const labelRng = new Rng(1); // the same labels for every model: one test set
  const labels = Int32Array.from({ length: samples }, () => labelRng.int(classes));
  const logits = Float64Array.from({ length: samples * classes }, (_, k) => rng.normal() + (k % classes === labels[Math.floor(k / classes)] ? skill : 0));
  return fromLogits(logits, labels, classes);
}

/** An entry as compareModels makes it: cost fields from the sample report (fidelity reads none of them), metrics measured. */
function evaluated(name: string, p: Predictions, settings: BootstrapSettings): EvaluatedModel {
  const cost = sampleReport([name]).models[0]!;
  return { entry: { ...cost, name, metrics: metricsEntry(p, { bootstrap: settings, calibrationBins: 10 }) }, predictions: p };
}

describe('fidelityEntry: paired differences and UQ fidelity', () => {
  const teacherPredictions = predictions(2, 2);

  it('a student identical to the teacher: differences exactly 0 with zero-width intervals, intervals coincide', () => {
    const teacher = evaluated('teacher', teacherPredictions, bootstrap);
    const twin = evaluated('twin', predictions(2, 2), bootstrap);
    const f = fidelityEntry(teacher, twin, bootstrap);
    for (const d of [f.difference!.accuracy, f.difference!.nll]) {
      assert.deepEqual([d.estimate, d.lower, d.upper], [0, 0, 0], JSON.stringify(d));
      assert.deepEqual([d.fractionAGreater, d.fractionBGreater, d.resamples, d.confidence], [0, 0, 200, 0.95]);
      assert.equal(excludesZero(d), false);
    }
    for (const u of [f.uncertainty!.accuracy, f.uncertainty!.nll, f.uncertainty!.ece]) {
      assert.equal(u.coversTeacher, true, JSON.stringify(u));
      assert.equal(u.overlap, 1, JSON.stringify(u));
    }
    assert.equal(f.agreement.value, 1);
  });

  it('a weaker student: student minus teacher, the same resamples as pairedBootstrap on the per-sample values', () => {
    const studentPredictions = predictions(3, 0.5);
    const teacher = evaluated('teacher', teacherPredictions, bootstrap);
    const student = evaluated('student', studentPredictions, bootstrap);
    const f = fidelityEntry(teacher, student, bootstrap);
    const accuracy = f.difference!.accuracy;
    assert.equal(accuracy.estimate, student.entry.metrics.accuracy.value - teacher.entry.metrics.accuracy.value);
    assert.ok(accuracy.estimate < 0 && accuracy.upper < 0 && excludesZero(accuracy), JSON.stringify(accuracy));
    assert.ok(accuracy.fractionBGreater > 0.95, JSON.stringify(accuracy));
    const options = { resamples: 200, confidence: 0.95, seed: 7 };
    assert.deepEqual(f.difference!.nll, pairedBootstrap(samples, meanOf(nllPerSample(studentPredictions)), meanOf(nllPerSample(teacherPredictions)), options));
    assert.ok(f.difference!.nll.estimate > 0, 'the weaker student has the higher NLL');
    // UQ fidelity reads the entries' own intervals: the student's accuracy interval is the bootstrap of its correct flags.
    const studentAccuracy = bootstrapInterval(samples, meanOf(correctPerSample(studentPredictions)), options);
    const t = teacher.entry.metrics.accuracy.interval!;
    assert.equal(f.uncertainty!.accuracy.coversTeacher, studentAccuracy.lower <= t.estimate && t.estimate <= studentAccuracy.upper);
    assert.ok(f.uncertainty!.accuracy.overlap >= 0 && f.uncertainty!.accuracy.overlap < 1);
  });

  it('--bootstrap 0: neither differences nor UQ fidelity', () => {
    const none = { ...bootstrap, resamples: 0 };
    const f = fidelityEntry(evaluated('teacher', teacherPredictions, none), evaluated('student', predictions(3, 0.5), none), none);
    assert.equal(f.difference, undefined);
    assert.equal(f.uncertainty, undefined);
    assert.ok(!('difference' in f) && !('uncertainty' in f), 'absent, not undefined-valued keys');
    assert.ok(f.agreement.value >= 0 && f.agreement.interval === undefined);
  });
});
